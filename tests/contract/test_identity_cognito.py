"""CognitoIdentityProvider against a moto user pool, plus error mapping on stubbed replies.

moto signs every pool's tokens with one fixed RSA key (kid ``dummy``) whose public JWKS
ships inside moto; the verifier gets it as a ``StaticJwks``. Because the key is shared by
all pools, only ``iss`` and ``client_id`` tell two pools' tokens apart here — which is
exactly what the cross-pool/cross-client tests check.

Where moto differs from Cognito the test says so and asserts what moto does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from soundshelf.adapters.cognito_identity import CognitoIdentityProvider
from soundshelf.adapters.jwt_verifier import HttpJwks, JwtVerifier, StaticJwks
from soundshelf.errors import Forbidden, NotFound, RateLimited, ValidationFailed
from soundshelf.ports.identity import (
    CodeExpired,
    InvalidCode,
    InvalidCredentials,
    InvalidToken,
    UserDisabled,
    UsernameTaken,
    UserNotConfirmed,
    WeakPassword,
)
from tests.support import CognitoPool, create_cognito_client, create_cognito_pool, moto_jwks

pytestmark = pytest.mark.aws

REGION = "us-east-1"
PASSWORD = "Correct-Horse-7"
OTHER_PASSWORD = "Battery-Staple-8"


MOTO_JWKS = StaticJwks(moto_jwks())
# Stricter than LENIENT_PASSWORDS: the weak-password mapping needs rules to break.
PASSWORD_POLICY = {
    "MinimumLength": 10,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": False,
}


@pytest.fixture
def cognito(fake_aws: None) -> Any:
    return boto3.client("cognito-idp", region_name=REGION)


def _create_pool(cognito: Any, name: str = "soundshelf") -> CognitoPool:
    return create_cognito_pool(
        cognito,
        name=name,
        passwords=PASSWORD_POLICY,
        groups=("artist", "admin"),
        AutoVerifiedAttributes=["email"],
    )


def _provider(pool: CognitoPool) -> CognitoIdentityProvider:
    return CognitoIdentityProvider(pool.pool_id, pool.client_id, region=REGION, jwks=MOTO_JWKS)


@pytest.fixture
def pool(cognito: Any) -> CognitoPool:
    return _create_pool(cognito)


@pytest.fixture
def provider(pool: CognitoPool) -> CognitoIdentityProvider:
    return _provider(pool)


@pytest.fixture
def verifier(provider: CognitoIdentityProvider) -> JwtVerifier:
    return JwtVerifier(provider.token_settings, provider.jwks)


def _confirmed_user(provider: CognitoIdentityProvider, username: str = "alice") -> str:
    user = provider.admin_create_user(
        username=username, email=f"{username}@example.com", password=PASSWORD, confirmed=True
    )
    return user.user_id


# --- construction -------------------------------------------------------------------------


def test_construction_needs_no_aws_and_derives_token_settings() -> None:
    # No mock, no credentials, an endpoint nobody listens on: nothing may be called yet.
    provider = CognitoIdentityProvider(
        "us-east-1_Pool", "client123", region=REGION, endpoint_url="http://127.0.0.1:9"
    )
    issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool"
    assert provider.token_settings.issuer == issuer
    assert provider.token_settings.client_id == "client123"
    assert provider.token_settings.jwks_url == f"{issuer}/.well-known/jwks.json"
    assert isinstance(provider.jwks, HttpJwks)
    assert provider.jwks.url == f"{issuer}/.well-known/jwks.json"


# --- the self-service journey ---------------------------------------------------------------


def test_sign_up_confirm_login_refresh_logout(
    provider: CognitoIdentityProvider, verifier: JwtVerifier
) -> None:
    user = provider.sign_up(username="alice", email="alice@example.com", password=PASSWORD)
    assert user.username == "alice"
    assert user.email == "alice@example.com"
    assert user.user_id
    assert user.confirmed is False
    with pytest.raises(UserNotConfirmed):
        provider.login(username="alice", password=PASSWORD)

    # moto accepts ANY confirmation code (Cognito checks it); this proves the call only.
    provider.confirm_sign_up(username="alice", code="123456")
    tokens = provider.login(username="alice", password=PASSWORD)
    assert tokens.token_type == "Bearer"
    assert tokens.expires_in > 0

    claims = verifier.verify(tokens.access_token)
    assert claims["sub"] == user.user_id
    assert claims["username"] == "alice"
    assert claims["token_use"] == "access"
    assert claims["client_id"] == provider.token_settings.client_id

    id_claims = verifier.verify(tokens.id_token, token_use="id")
    assert id_claims["sub"] == user.user_id
    assert id_claims["cognito:username"] == "alice"
    assert id_claims["aud"] == provider.token_settings.client_id
    with pytest.raises(InvalidToken):
        verifier.verify(tokens.access_token, token_use="id")
    with pytest.raises(InvalidToken):
        verifier.verify(tokens.id_token)  # an id token is not an access token

    refreshed = provider.refresh(refresh_token=tokens.refresh_token)
    assert refreshed.refresh_token == tokens.refresh_token  # Cognito does not rotate it
    assert refreshed.access_token != tokens.access_token
    assert verifier.verify(refreshed.access_token)["sub"] == user.user_id
    assert verifier.verify(refreshed.id_token, token_use="id")["sub"] == user.user_id

    provider.logout(access_token=refreshed.access_token)
    # moto does revoke refresh tokens on GlobalSignOut, as Cognito does.
    with pytest.raises(InvalidCredentials):
        provider.refresh(refresh_token=tokens.refresh_token)
    # ...and forgets the access tokens, so signing out again with one is refused.
    with pytest.raises(InvalidToken):
        provider.logout(access_token=refreshed.access_token)
    # JWTs stay cryptographically valid until they expire: revocation is Cognito-side.
    assert verifier.verify(refreshed.access_token)["sub"] == user.user_id
    # Signing out ends sessions, not the account.
    assert verifier.verify(provider.login(username="alice", password=PASSWORD).access_token)


def test_unknown_refresh_token_is_refused(provider: CognitoIdentityProvider) -> None:
    with pytest.raises(InvalidCredentials):
        provider.refresh(refresh_token="not-a-refresh-token")


def test_duplicate_username_is_taken(provider: CognitoIdentityProvider) -> None:
    provider.sign_up(username="alice", email="alice@example.com", password=PASSWORD)
    with pytest.raises(UsernameTaken):
        provider.sign_up(username="alice", email="other@example.com", password=PASSWORD)
    with pytest.raises(UsernameTaken):
        provider.admin_create_user(
            username="alice", email="x@example.com", password=PASSWORD, confirmed=True
        )


@pytest.mark.parametrize(
    "password",
    ["Short1abc", "no-uppercase-123", "NO-LOWERCASE-123", "No-Numbers-Here"],
    ids=["too-short", "no-upper", "no-lower", "no-digit"],
)
def test_password_policy_is_enforced_on_sign_up(
    provider: CognitoIdentityProvider, password: str
) -> None:
    with pytest.raises(WeakPassword) as caught:
        provider.sign_up(username="alice", email="alice@example.com", password=password)
    assert "password policy" in caught.value.detail  # Cognito's own explanation is kept
    assert provider.admin_get_user(username="alice") is None
    # The name is still free.
    provider.sign_up(username="alice", email="alice@example.com", password=PASSWORD)


def test_wrong_password_and_unknown_user_look_the_same(provider: CognitoIdentityProvider) -> None:
    _confirmed_user(provider)
    with pytest.raises(InvalidCredentials) as wrong_password:
        provider.login(username="alice", password=OTHER_PASSWORD)
    # moto answers UserNotFoundException here (Cognito too unless PreventUserExistenceErrors).
    with pytest.raises(InvalidCredentials) as unknown_user:
        provider.login(username="nobody", password=PASSWORD)
    assert type(wrong_password.value) is type(unknown_user.value)
    assert wrong_password.value.code == unknown_user.value.code == "invalid_credentials"
    assert wrong_password.value.detail == unknown_user.value.detail


def test_forgot_password_is_silent_for_unknown_users(provider: CognitoIdentityProvider) -> None:
    # moto itself answers 200 here; Cognito raises UserNotFoundException unless the app
    # client prevents user existence errors (stubbed test below).
    assert provider.forgot_password(username="nobody") is None


def test_reset_password_replaces_the_password(provider: CognitoIdentityProvider) -> None:
    _confirmed_user(provider)
    provider.forgot_password(username="alice")
    # moto accepts any code that does not start with "moto-confirmation-code:".
    provider.reset_password(username="alice", code="123456", new_password=OTHER_PASSWORD)
    assert provider.login(username="alice", password=OTHER_PASSWORD).access_token
    with pytest.raises(InvalidCredentials):
        provider.login(username="alice", password=PASSWORD)


def test_reset_password_with_a_wrong_code_is_refused(provider: CognitoIdentityProvider) -> None:
    _confirmed_user(provider)
    provider.forgot_password(username="alice")
    # moto only checks codes with its own prefix, and answers a mismatch with
    # ExpiredCodeException (Cognito would say CodeMismatchException -> InvalidCode).
    with pytest.raises(CodeExpired):
        provider.reset_password(
            username="alice", code="moto-confirmation-code:0", new_password=OTHER_PASSWORD
        )
    assert provider.login(username="alice", password=PASSWORD).access_token


# --- administration -----------------------------------------------------------------------


def test_admin_created_confirmed_user_can_log_in(
    provider: CognitoIdentityProvider, verifier: JwtVerifier
) -> None:
    created = provider.admin_create_user(
        username="bob", email="bob@example.com", password=PASSWORD, confirmed=True
    )
    assert created.confirmed is True
    assert created.user_id

    fetched = provider.admin_get_user(username="bob")
    assert fetched == created

    claims = verifier.verify(provider.login(username="bob", password=PASSWORD).access_token)
    assert claims["sub"] == created.user_id
    assert claims["username"] == "bob"


def test_admin_created_user_has_a_verified_email(cognito: Any, pool: CognitoPool) -> None:
    _confirmed_user(_provider(pool), "bob")
    user = cognito.admin_get_user(UserPoolId=pool.pool_id, Username="bob")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["email_verified"] == "true"
    assert user["UserStatus"] == "CONFIRMED"


def test_admin_created_unconfirmed_user_must_confirm(provider: CognitoIdentityProvider) -> None:
    created = provider.admin_create_user(
        username="carol", email="carol@example.com", password=PASSWORD, confirmed=False
    )
    assert created.confirmed is False
    fetched = provider.admin_get_user(username="carol")
    assert fetched is not None
    assert fetched.confirmed is False
    with pytest.raises(UserNotConfirmed):
        provider.login(username="carol", password=PASSWORD)
    provider.confirm_sign_up(username="carol", code="123456")
    assert provider.login(username="carol", password=PASSWORD).access_token


def test_admin_create_with_weak_password_leaves_no_user(provider: CognitoIdentityProvider) -> None:
    # moto does not check TemporaryPassword, so this goes through the roll-back path.
    with pytest.raises(WeakPassword):
        provider.admin_create_user(
            username="bob", email="bob@example.com", password="weak", confirmed=True
        )
    assert provider.admin_get_user(username="bob") is None


def test_groups_are_replaced_and_appear_in_tokens(
    provider: CognitoIdentityProvider, verifier: JwtVerifier
) -> None:
    _confirmed_user(provider)

    def groups_claim() -> list[str] | None:
        tokens = provider.login(username="alice", password=PASSWORD)
        return verifier.verify(tokens.access_token).get("cognito:groups")

    assert groups_claim() is None

    provider.admin_set_groups(username="alice", groups={"artist"})
    assert groups_claim() == ["artist"]
    user = provider.admin_get_user(username="alice")
    assert user is not None
    assert user.groups == frozenset({"artist"})

    provider.admin_set_groups(username="alice", groups={"admin"})
    assert groups_claim() == ["admin"]

    provider.admin_set_groups(username="alice", groups={"admin", "artist"})
    assert sorted(groups_claim() or []) == ["admin", "artist"]

    provider.admin_set_groups(username="alice", groups=set())
    assert groups_claim() is None


def test_set_groups_creates_a_missing_group(
    cognito: Any, pool: CognitoPool, provider: CognitoIdentityProvider
) -> None:
    _confirmed_user(provider)
    provider.admin_set_groups(username="alice", groups={"moderator"})
    cognito.get_group(UserPoolId=pool.pool_id, GroupName="moderator")  # raises if missing
    user = provider.admin_get_user(username="alice")
    assert user is not None
    assert user.groups == frozenset({"moderator"})


def test_disabled_user_cannot_log_in_or_refresh(provider: CognitoIdentityProvider) -> None:
    _confirmed_user(provider)
    tokens = provider.login(username="alice", password=PASSWORD)

    provider.admin_set_enabled(username="alice", enabled=False)
    user = provider.admin_get_user(username="alice")
    assert user is not None
    assert user.enabled is False
    # moto (like Cognito) answers NotAuthorizedException "User is disabled." even for
    # the right password; we report it as UserDisabled, not as a wrong password.
    with pytest.raises(UserDisabled):
        provider.login(username="alice", password=PASSWORD)
    # moto does not check Enabled on refresh; this fails only because disabling also
    # signs the user out globally (revoked refresh token -> InvalidCredentials).
    with pytest.raises(InvalidCredentials):
        provider.refresh(refresh_token=tokens.refresh_token)

    provider.admin_set_enabled(username="alice", enabled=True)
    assert provider.login(username="alice", password=PASSWORD).access_token
    with pytest.raises(InvalidCredentials):  # old sessions stay dead after re-enabling
        provider.refresh(refresh_token=tokens.refresh_token)


def test_admin_get_unknown_user_is_none(provider: CognitoIdentityProvider) -> None:
    assert provider.admin_get_user(username="nobody") is None


def test_admin_changes_to_unknown_users_are_not_found(provider: CognitoIdentityProvider) -> None:
    with pytest.raises(NotFound):
        provider.admin_set_enabled(username="nobody", enabled=False)
    with pytest.raises(NotFound):
        provider.admin_set_groups(username="nobody", groups={"artist"})


def test_admin_delete_user(provider: CognitoIdentityProvider) -> None:
    _confirmed_user(provider)
    provider.admin_delete_user(username="alice")
    assert provider.admin_get_user(username="alice") is None
    with pytest.raises(InvalidCredentials):
        provider.login(username="alice", password=PASSWORD)
    provider.admin_delete_user(username="alice")  # idempotent


# --- tokens from elsewhere ------------------------------------------------------------------


def test_token_for_another_client_is_refused(
    cognito: Any, pool: CognitoPool, verifier: JwtVerifier
) -> None:
    other_client = CognitoPool(pool.pool_id, create_cognito_client(cognito, pool.pool_id, "other"))
    other = _provider(other_client)
    _confirmed_user(other)
    tokens = other.login(username="alice", password=PASSWORD)
    assert JwtVerifier(other.token_settings, other.jwks).verify(tokens.access_token)

    with pytest.raises(InvalidToken, match="another client"):
        verifier.verify(tokens.access_token)
    with pytest.raises(InvalidToken, match="another client"):
        verifier.verify(tokens.id_token, token_use="id")


def test_token_from_another_pool_is_refused(cognito: Any, verifier: JwtVerifier) -> None:
    other = _provider(_create_pool(cognito, "elsewhere"))
    _confirmed_user(other)
    tokens = other.login(username="alice", password=PASSWORD)
    # Same moto signing key, so only the issuer check can catch this.
    with pytest.raises(InvalidToken):
        verifier.verify(tokens.access_token)


# --- error mapping on stubbed Cognito replies (cases moto cannot produce) -------------------


@pytest.fixture
def stubbed() -> Iterator[tuple[CognitoIdentityProvider, Stubber]]:
    client = boto3.client(
        "cognito-idp",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        yield CognitoIdentityProvider("pool", "client", region=REGION, client=client), stubber
        stubber.assert_no_pending_responses()


Call = Callable[[CognitoIdentityProvider], object]


def _login(provider: CognitoIdentityProvider) -> object:
    return provider.login(username="alice", password=PASSWORD)


def _confirm(provider: CognitoIdentityProvider) -> object:
    return provider.confirm_sign_up(username="alice", code="123456")


def _sign_up(provider: CognitoIdentityProvider) -> object:
    return provider.sign_up(username="alice", email="alice@example.com", password=PASSWORD)


def _forgot(provider: CognitoIdentityProvider) -> object:
    return provider.forgot_password(username="alice")


def _reset(provider: CognitoIdentityProvider) -> object:
    return provider.reset_password(username="alice", code="123456", new_password=PASSWORD)


# (Cognito operation, the provider call that makes it)
LOGIN = ("initiate_auth", _login)
CONFIRM = ("confirm_sign_up", _confirm)
SIGN_UP = ("sign_up", _sign_up)
FORGOT = ("forgot_password", _forgot)
RESET = ("confirm_forgot_password", _reset)


@pytest.mark.parametrize(
    ("operation", "code", "message", "expected"),
    [
        (LOGIN, "TooManyRequestsException", "Too many requests", RateLimited),
        (LOGIN, "NotAuthorizedException", "Password attempts exceeded", RateLimited),
        (LOGIN, "UserNotConfirmedException", "User is not confirmed.", UserNotConfirmed),
        (FORGOT, "LimitExceededException", "Attempt limit exceeded", RateLimited),
        (CONFIRM, "TooManyFailedAttemptsException", "Too many failed attempts", RateLimited),
        (CONFIRM, "CodeMismatchException", "Invalid code provided", InvalidCode),
        (CONFIRM, "ExpiredCodeException", "Code expired", CodeExpired),
        (CONFIRM, "UserNotFoundException", "User does not exist.", InvalidCode),
        (RESET, "CodeMismatchException", "Invalid code provided", InvalidCode),
        (RESET, "InvalidPasswordException", "Password not long enough", WeakPassword),
        (SIGN_UP, "InvalidParameterException", "Invalid email address format.", ValidationFailed),
    ],
)
def test_cognito_errors_become_domain_errors(
    stubbed: tuple[CognitoIdentityProvider, Stubber],
    operation: tuple[str, Call],
    code: str,
    message: str,
    expected: type[Exception],
) -> None:
    provider, stubber = stubbed
    name, call = operation
    stubber.add_client_error(name, service_error_code=code, service_message=message)
    with pytest.raises(expected) as caught:
        call(provider)
    assert type(caught.value) is expected  # not merely a parent class


def test_validation_errors_keep_cognitos_message(
    stubbed: tuple[CognitoIdentityProvider, Stubber],
) -> None:
    provider, stubber = stubbed
    stubber.add_client_error(
        "sign_up", "InvalidParameterException", "Invalid email address format."
    )
    with pytest.raises(ValidationFailed, match="Invalid email address format"):
        _sign_up(provider)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("UserNotFoundException", "Username/client id combination not found."),
        ("InvalidParameterException", "User is already confirmed."),
    ],
)
def test_resend_code_is_silent_for_unknown_or_confirmed_users(
    stubbed: tuple[CognitoIdentityProvider, Stubber], code: str, message: str
) -> None:
    # moto does not implement ResendConfirmationCode at all, hence the stub.
    provider, stubber = stubbed
    stubber.add_client_error(
        "resend_confirmation_code",
        code,
        message,
        expected_params={"ClientId": "client", "Username": "alice"},
    )
    assert provider.resend_code(username="alice") is None


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("UserNotFoundException", "Username/client id combination not found."),
        ("NotAuthorizedException", "User is disabled."),
        ("InvalidParameterException", "Cannot reset password: no verified email"),
    ],
)
def test_forgot_password_gives_the_same_answer_for_every_user(
    stubbed: tuple[CognitoIdentityProvider, Stubber], code: str, message: str
) -> None:
    provider, stubber = stubbed
    stubber.add_client_error("forgot_password", code, message)
    assert provider.forgot_password(username="alice") is None


def test_resend_code_sends(stubbed: tuple[CognitoIdentityProvider, Stubber]) -> None:
    provider, stubber = stubbed
    stubber.add_response(
        "resend_confirmation_code", {}, expected_params={"ClientId": "client", "Username": "bob"}
    )
    provider.resend_code(username="bob")


def test_resend_code_still_reports_rate_limits(
    stubbed: tuple[CognitoIdentityProvider, Stubber],
) -> None:
    provider, stubber = stubbed
    stubber.add_client_error("resend_confirmation_code", "LimitExceededException", "later")
    with pytest.raises(RateLimited):
        provider.resend_code(username="alice")


def test_unknown_cognito_errors_propagate(stubbed: tuple[CognitoIdentityProvider, Stubber]) -> None:
    provider, stubber = stubbed
    stubber.add_client_error("initiate_auth", "InternalErrorException", "boom", 500)
    with pytest.raises(ClientError):
        _login(provider)


def test_unsupported_sign_in_challenge_is_refused(
    stubbed: tuple[CognitoIdentityProvider, Stubber],
) -> None:
    provider, stubber = stubbed
    stubber.add_response(
        "initiate_auth",
        {"ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": "s" * 20, "ChallengeParameters": {}},
    )
    with pytest.raises(Forbidden, match="NEW_PASSWORD_REQUIRED"):
        _login(provider)
