"""The accounts service journey on both stacks: embedded (SQLite + local identity
provider + outbox) and AWS (DynamoDB + Cognito, under moto).

moto accepts any confirmation code, so on the AWS stack the code step proves only that
our service calls Cognito correctly; the embedded provider's code checks are tested in
tests/http/test_accounts.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from soundshelf.accounts.service import Accounts
from soundshelf.accounts.throttles import LOGIN_FREE_FAILURES, MAILS_PER_TARGET
from soundshelf.adapters.cognito_identity import CognitoIdentityProvider
from soundshelf.adapters.dynamodb_table import DynamoDbTable
from soundshelf.adapters.jwt_verifier import JwtVerifier, StaticJwks
from soundshelf.adapters.local_identity import LocalIdentityProvider
from soundshelf.adapters.outbox_mail import OutboxMailer
from soundshelf.adapters.sqlite_table import SqliteTable
from soundshelf.core.users import profile_key
from soundshelf.errors import RateLimited
from soundshelf.ports.clock import SystemClock
from soundshelf.ports.identity import (
    EmailTaken,
    InvalidCredentials,
    InvalidToken,
    UserDisabled,
    UsernameTaken,
    UserNotConfirmed,
    WrongPassword,
)
from soundshelf.ratelimit import RateLimiter
from tests.support import MOTO_REGION, code_from_outbox, create_cognito_pool, moto_jwks

PASSWORD = "Correct-Horse-7-battery"


@dataclass
class Stack:
    accounts: Accounts
    code_for: Callable[[str], str]  # email → the confirmation code sent to it


def _local(tmp_path: Path) -> Stack:
    clock = SystemClock()
    table = SqliteTable(tmp_path / "db.sqlite")
    identity = LocalIdentityProvider(
        table,
        OutboxMailer(tmp_path / "outbox"),
        clock,
        key_dir=tmp_path / "keys",
        issuer="http://testserver",
    )
    accounts = Accounts(
        table=table,
        identity=identity,
        verifier=JwtVerifier(identity.token_settings, identity.jwks, clock=clock.now),
        clock=clock,
        limiter=RateLimiter(table, clock),
    )
    return Stack(accounts, lambda email: code_from_outbox(tmp_path, email))


def _aws() -> Stack:
    pool = create_cognito_pool()
    identity = CognitoIdentityProvider(
        pool.pool_id, pool.client_id, region=MOTO_REGION, jwks=StaticJwks(moto_jwks())
    )
    clock = SystemClock()
    table = DynamoDbTable("accounts", region="us-east-1", create_if_missing=True)
    accounts = Accounts(
        table=table,
        identity=identity,
        verifier=JwtVerifier(identity.token_settings, identity.jwks, clock=clock.now),
        clock=clock,
        limiter=RateLimiter(table, clock),
    )
    return Stack(accounts, lambda email: "123456")  # moto accepts any code


@pytest.fixture(params=["embedded", pytest.param("aws", marks=pytest.mark.aws)])
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    if request.param == "embedded":
        yield _local(tmp_path)
    else:
        request.getfixturevalue("fake_aws")
        yield _aws()


def test_sign_up_confirm_login_refresh_logout(stack: Stack) -> None:
    accounts = stack.accounts
    profile = accounts.sign_up(
        username="Ada", email="ada@example.com", password=PASSWORD, client="c"
    )
    assert profile["username"] == "ada"
    with pytest.raises(UserNotConfirmed):
        accounts.login(username="ada", password=PASSWORD, client="1.2.3.4")
    accounts.confirm(username="ada", code=stack.code_for("ada@example.com"), client="c")

    tokens = accounts.login(username="ada", password=PASSWORD, client="1.2.3.4")
    me = accounts.authenticate_token(tokens.access_token)
    assert (me.user_id, me.username, me.roles) == (profile["userId"], "ada", {"listener"})

    refreshed = accounts.refresh(refresh_token=tokens.refresh_token)
    assert accounts.authenticate_token(refreshed.access_token).user_id == me.user_id

    accounts.logout(access_token=refreshed.access_token, principal=me)
    with pytest.raises(InvalidCredentials):
        accounts.refresh(refresh_token=refreshed.refresh_token)


def test_login_with_email_and_wrong_password(stack: Stack) -> None:
    accounts = stack.accounts
    accounts.create_user(username="bob", email="Bob@Example.com", password=PASSWORD)
    tokens = accounts.login(username="Bob@example.com", password=PASSWORD, client="c")
    assert accounts.authenticate_token(tokens.access_token).username == "bob"
    with pytest.raises(InvalidCredentials):
        accounts.login(username="bob", password=PASSWORD + "x", client="c")
    with pytest.raises(InvalidCredentials):
        accounts.login(username="nobody", password=PASSWORD, client="c")


def test_duplicates_are_refused(stack: Stack) -> None:
    accounts = stack.accounts
    accounts.create_user(username="cyd", email="cy@example.com", password=PASSWORD)
    with pytest.raises(UsernameTaken):
        accounts.sign_up(username="cyd", email="other@example.com", password=PASSWORD, client="c")
    with pytest.raises(EmailTaken):
        accounts.sign_up(username="cyd2", email="cy@example.com", password=PASSWORD, client="c")


def test_roles_show_in_tokens_and_apply_at_once(stack: Stack) -> None:
    accounts = stack.accounts
    profile = accounts.create_user(username="dia", email="di@example.com", password=PASSWORD)
    tokens = accounts.login(username="dia", password=PASSWORD, client="c")
    accounts.set_roles(profile["userId"], ["artist", "admin"])
    # The old token's claims say nothing, but the profile is what counts.
    assert accounts.authenticate_token(tokens.access_token).roles == {"listener", "artist", "admin"}
    fresh = accounts.login(username="dia", password=PASSWORD, client="c")
    import jwt

    claims = jwt.decode(fresh.access_token, options={"verify_signature": False})
    assert sorted(claims["cognito:groups"]) == ["admin", "artist"]
    accounts.set_roles(profile["userId"], [])
    assert accounts.authenticate_token(fresh.access_token).roles == {"listener"}


def test_disabled_user_is_refused_everywhere(stack: Stack) -> None:
    accounts = stack.accounts
    profile = accounts.create_user(username="eddy", email="ed@example.com", password=PASSWORD)
    tokens = accounts.login(username="eddy", password=PASSWORD, client="c")
    # What an administrator's "disable" writes (moderation.admin.UserAdmin.update).
    accounts.table.update(*profile_key(profile["userId"]), set={"disabled": True})
    accounts.identity.admin_set_enabled(username="eddy", enabled=False)
    with pytest.raises(UserDisabled):
        accounts.authenticate_token(tokens.access_token)
    with pytest.raises(UserDisabled):
        accounts.login(username="eddy", password=PASSWORD, client="c")
    with pytest.raises((InvalidCredentials, UserDisabled, InvalidToken)):
        accounts.refresh(refresh_token=tokens.refresh_token)


# --- throttles and ending sessions, on both stacks (issue 15 items 3, 4, 5, 7) ------------


def test_wrong_passwords_slow_down_the_source_not_the_owner(stack: Stack) -> None:
    accounts = stack.accounts
    accounts.create_user(username="fay", email="fay@example.com", password=PASSWORD)
    for _ in range(LOGIN_FREE_FAILURES):
        with pytest.raises(InvalidCredentials):
            accounts.login(username="fay", password="wrong password!", client="attacker")
    with pytest.raises(RateLimited):
        accounts.login(username="fay", password=PASSWORD, client="attacker")
    tokens = accounts.login(username="fay", password=PASSWORD, client="owner")
    assert accounts.authenticate_token(tokens.access_token).username == "fay"


def test_reset_mails_are_limited_per_account_and_silent_about_existence(stack: Stack) -> None:
    accounts = stack.accounts
    accounts.create_user(username="gus", email="gus@example.com", password=PASSWORD)
    (per_hour, _), _ = MAILS_PER_TARGET
    for name in ("gus", "nobody-like-gus"):
        for n in range(per_hour):
            accounts.forgot_password(username=name, client=f"c{n}")
        with pytest.raises(RateLimited):
            accounts.forgot_password(username=name, client="another")


def test_a_password_reset_ends_every_session(stack: Stack) -> None:
    accounts = stack.accounts
    accounts.create_user(username="hal", email="hal@example.com", password=PASSWORD)
    tokens = accounts.login(username="hal", password=PASSWORD, client="c")
    accounts.forgot_password(username="hal", client="c")
    new_password = "Another-Fine-9-password"
    accounts.reset_password(
        username="hal",
        code=stack.code_for("hal@example.com"),
        new_password=new_password,
        client="c",
    )
    with pytest.raises(InvalidToken):
        accounts.authenticate_token(tokens.access_token)
    with pytest.raises((InvalidCredentials, InvalidToken)):
        accounts.refresh(refresh_token=tokens.refresh_token)
    fresh = accounts.login(username="hal", password=new_password, client="c")
    assert accounts.authenticate_token(fresh.access_token).username == "hal"


def test_logout_ends_tokens_issued_earlier_in_the_same_second(stack: Stack) -> None:
    """On the real clock: ``iat`` is whole seconds, the logout is not."""
    accounts = stack.accounts
    accounts.create_user(username="ida", email="ida@example.com", password=PASSWORD)
    for _ in range(5):  # a slow machine may straddle a second: try again
        while time.time() % 1 > 0.05:
            time.sleep(0.01)
        second = int(time.time())
        before = accounts.login(username="ida", password=PASSWORD, client="c")
        device = accounts.login(username="ida", password=PASSWORD, client="c")
        me = accounts.authenticate_token(device.access_token)
        accounts.logout(access_token=device.access_token, principal=me)
        after = accounts.login(username="ida", password=PASSWORD, client="c")
        if int(time.time()) == second:
            break
    else:
        pytest.skip("could not fit the calls into one second")
    for ended in (before, device):
        with pytest.raises(InvalidToken):
            accounts.authenticate_token(ended.access_token)
    assert accounts.authenticate_token(after.access_token).username == "ida"


def test_a_password_change_ends_every_other_session(stack: Stack) -> None:
    accounts = stack.accounts
    accounts.create_user(username="jon", email="jon@example.com", password=PASSWORD)
    tokens = accounts.login(username="jon", password=PASSWORD, client="c")
    me = accounts.authenticate_token(tokens.access_token)
    new_password = "Another-Fine-9-password"
    with pytest.raises(WrongPassword):
        accounts.change_password(
            me, current_password="Not-The-9-password", new_password=new_password, client="c"
        )
    kept = accounts.change_password(
        me, current_password=PASSWORD, new_password=new_password, client="c"
    )
    with pytest.raises(InvalidToken):
        accounts.authenticate_token(tokens.access_token)
    assert accounts.authenticate_token(kept.access_token).username == "jon"  # this session
    with pytest.raises((InvalidCredentials, InvalidToken)):
        accounts.refresh(refresh_token=tokens.refresh_token)
    with pytest.raises(InvalidCredentials):
        accounts.login(username="jon", password=PASSWORD, client="c")
    fresh = accounts.login(username="jon", password=new_password, client="c")
    assert accounts.authenticate_token(fresh.access_token).username == "jon"
