"""The ``IdentityProvider`` port on an Amazon Cognito user pool (boto3 ``cognito-idp``).

The pool is expected to allow self sign-up, use plain usernames (email as an alias is
fine) and have an app client *without* a secret that allows ``USER_PASSWORD_AUTH`` and
``REFRESH_TOKEN_AUTH``. Cognito error codes are translated to our domain errors in one
place (``_translate``); errors it does not know propagate as ``ClientError`` (a real 5xx).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Set
from typing import Any

import boto3
from botocore.exceptions import ClientError

from soundshelf.adapters.jwt_verifier import HttpJwks
from soundshelf.errors import DomainError, Forbidden, NotFound, RateLimited, ValidationFailed
from soundshelf.ports.identity import (
    CodeExpired,
    EmailTaken,
    IdentityUser,
    InvalidCode,
    InvalidCredentials,
    InvalidToken,
    JwksSource,
    Tokens,
    TokenSettings,
    UserDisabled,
    UsernameTaken,
    UserNotConfirmed,
    WeakPassword,
)

# --- Cognito error code -> domain error -------------------------------------------------

_DEFAULT_ERRORS: Mapping[str, type[DomainError]] = {
    "UsernameExistsException": UsernameTaken,
    "AliasExistsException": EmailTaken,  # email alias already used by a confirmed user
    "InvalidPasswordException": WeakPassword,
    "NotAuthorizedException": InvalidCredentials,
    "UserNotFoundException": InvalidCredentials,  # no enumeration: same as a wrong password
    "UserNotConfirmedException": UserNotConfirmed,
    "CodeMismatchException": InvalidCode,
    "ExpiredCodeException": CodeExpired,
    "TooManyRequestsException": RateLimited,
    "LimitExceededException": RateLimited,
    "TooManyFailedAttemptsException": RateLimited,
    "InvalidParameterException": ValidationFailed,
}

# Per-operation exceptions to the table above. ``None`` means "treat as success".
_OPERATION_ERRORS: Mapping[str, Mapping[str, type[DomainError] | None]] = {
    # Same answer whether or not the user exists, is confirmed, disabled or has no
    # verified email (Cognito reports those as InvalidParameter/NotAuthorized).
    "forgot_password": {
        "UserNotFoundException": None,
        "InvalidParameterException": None,
        "NotAuthorizedException": None,
    },
    "resend_confirmation_code": {
        "UserNotFoundException": None,
        "InvalidParameterException": None,  # "User is already confirmed."
    },
    # A code for nobody, or for an already confirmed user, is just a wrong code.
    "confirm_sign_up": {
        "UserNotFoundException": InvalidCode,
        "NotAuthorizedException": InvalidCode,
    },
    "confirm_forgot_password": {"UserNotFoundException": InvalidCode},
    "global_sign_out": {"NotAuthorizedException": InvalidToken},
    "admin_get_user": {"UserNotFoundException": NotFound},
    "admin_list_groups_for_user": {"UserNotFoundException": NotFound},
    "admin_add_user_to_group": {"UserNotFoundException": NotFound},
    "admin_remove_user_from_group": {"UserNotFoundException": NotFound},
    "admin_enable_user": {"UserNotFoundException": NotFound},
    "admin_disable_user": {"UserNotFoundException": NotFound},
    "admin_user_global_sign_out": {"UserNotFoundException": NotFound},
    "admin_set_user_password": {"UserNotFoundException": NotFound},
    "admin_delete_user": {"UserNotFoundException": None},  # deleting twice is fine
}


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _silenced(error: ClientError, operation: str) -> bool:
    overrides = _OPERATION_ERRORS.get(operation, {})
    code = _error_code(error)
    return code in overrides and overrides[code] is None


def _translate(error: ClientError, operation: str) -> DomainError | None:
    """The domain error for a Cognito error, or None for one we cannot explain (5xx)."""
    code = _error_code(error)
    message = str(error.response.get("Error", {}).get("Message", ""))
    target = _OPERATION_ERRORS.get(operation, {}).get(code)
    if target is not None:
        return target()
    if code == "NotAuthorizedException" and message.rstrip(".").lower() == "user is disabled":
        return UserDisabled()
    if code == "NotAuthorizedException" and "attempts exceeded" in message.lower():
        return RateLimited("Too many failed sign-in attempts; try again later")
    target = _DEFAULT_ERRORS.get(code)
    if target is None:
        return None
    # Cognito's wording helps (and is harmless) for these two; elsewhere it could leak.
    if target in (WeakPassword, ValidationFailed) and message:
        return target(message)
    return target()


# --- the adapter ------------------------------------------------------------------------


class CognitoIdentityProvider:
    def __init__(
        self,
        user_pool_id: str,
        client_id: str,
        *,
        region: str,
        endpoint_url: str | None = None,
        client: Any = None,
        jwks: JwksSource | None = None,
    ) -> None:
        self.user_pool_id = user_pool_id
        self.client_id = client_id
        self.region = region
        self.endpoint_url = endpoint_url
        issuer = f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
        jwks_url = f"{issuer}/.well-known/jwks.json"
        self.token_settings = TokenSettings(issuer=issuer, client_id=client_id, jwks_url=jwks_url)
        self.jwks: JwksSource = jwks or HttpJwks(jwks_url)
        self._client = client
        self._client_lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The boto3 client, created on first use so that building the app needs no AWS."""
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    self._client = boto3.client(
                        "cognito-idp", region_name=self.region, endpoint_url=self.endpoint_url
                    )
        return self._client

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        """Call ``operation``; Cognito errors become domain errors (``{}`` if silenced)."""
        try:
            return getattr(self.client, operation)(**params)
        except ClientError as exc:
            if _silenced(exc, operation):
                return {}
            translated = _translate(exc, operation)
            if translated is None:
                raise
            raise translated from exc

    # --- self-service -----------------------------------------------------------------

    def sign_up(self, *, username: str, email: str, password: str) -> IdentityUser:
        response = self._call(
            "sign_up",
            ClientId=self.client_id,
            Username=username,
            Password=password,
            UserAttributes=[{"Name": "email", "Value": email}],
        )
        return IdentityUser(
            user_id=response["UserSub"],
            username=username,
            email=email,
            confirmed=bool(response.get("UserConfirmed", False)),
            enabled=True,
            groups=frozenset(),
        )

    def confirm_sign_up(self, *, username: str, code: str) -> None:
        self._call(
            "confirm_sign_up", ClientId=self.client_id, Username=username, ConfirmationCode=code
        )

    def resend_code(self, *, username: str) -> None:
        self._call("resend_confirmation_code", ClientId=self.client_id, Username=username)

    def login(self, *, username: str, password: str) -> Tokens:
        response = self._call(
            "initiate_auth",
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        return _tokens(response)

    def refresh(self, *, refresh_token: str, username: str | None = None) -> Tokens:
        # ``username`` only matters for SECRET_HASH, and our app client has no secret.
        response = self._call(
            "initiate_auth",
            ClientId=self.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token},
        )
        # Cognito does not rotate refresh tokens: the one given stays valid.
        return _tokens(response, refresh_token=refresh_token)

    def logout(self, *, access_token: str) -> None:
        self._call("global_sign_out", AccessToken=access_token)

    def forgot_password(self, *, username: str) -> None:
        self._call("forgot_password", ClientId=self.client_id, Username=username)

    def reset_password(self, *, username: str, code: str, new_password: str) -> None:
        self._call(
            "confirm_forgot_password",
            ClientId=self.client_id,
            Username=username,
            ConfirmationCode=code,
            Password=new_password,
        )
        # Cognito keeps the old refresh tokens through a reset; a reset ends every session.
        self._call("admin_user_global_sign_out", UserPoolId=self.user_pool_id, Username=username)

    def change_password(self, *, username: str, current_password: str, new_password: str) -> None:
        # Cognito's ChangePassword needs an access token; proving the current password by
        # signing in does the same without one (and counts in Cognito's own lockout).
        self.login(username=username, password=current_password)
        self._call(
            "admin_set_user_password",
            UserPoolId=self.user_pool_id,
            Username=username,
            Password=new_password,
            Permanent=True,
        )
        self._call("admin_user_global_sign_out", UserPoolId=self.user_pool_id, Username=username)

    # --- administration ---------------------------------------------------------------

    def admin_create_user(
        self, *, username: str, email: str, password: str, confirmed: bool
    ) -> IdentityUser:
        """A user with ``password`` as its permanent password.

        Cognito has no "unconfirmed admin-created user": a user created with
        AdminCreateUser becomes CONFIRMED once its permanent password is set. So an
        unconfirmed user is created through SignUp instead, exactly like a self-service
        one (UNCONFIRMED, a code is emailed, login answers ``UserNotConfirmed``).
        """
        if not confirmed:
            return self.sign_up(username=username, email=email, password=password)
        response = self._call(
            "admin_create_user",
            UserPoolId=self.user_pool_id,
            Username=username,
            # Passing the password as the temporary one makes Cognito check the policy
            # before the user exists; no message is sent (SUPPRESS).
            TemporaryPassword=password,
            MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ],
        )
        self._set_permanent_password(username, password)
        return IdentityUser(
            user_id=_attributes(response["User"].get("Attributes", []))["sub"],
            username=username,
            email=email,
            confirmed=True,
            enabled=True,
            groups=frozenset(),
        )

    def _set_permanent_password(self, username: str, password: str) -> None:
        try:
            self._call(
                "admin_set_user_password",
                UserPoolId=self.user_pool_id,
                Username=username,
                Password=password,
                Permanent=True,
            )
        except Exception:
            # Do not leave a half-made user (FORCE_CHANGE_PASSWORD) holding the username.
            self.admin_delete_user(username=username)
            raise

    def admin_get_user(self, *, username: str) -> IdentityUser | None:
        try:
            response = self._call("admin_get_user", UserPoolId=self.user_pool_id, Username=username)
        except NotFound:
            return None
        attributes = _attributes(response.get("UserAttributes", []))
        return IdentityUser(
            user_id=attributes["sub"],
            username=response["Username"],
            email=attributes.get("email", ""),
            confirmed=response.get("UserStatus") == "CONFIRMED",
            enabled=bool(response.get("Enabled", True)),
            groups=self._groups_of(username),
        )

    def _groups_of(self, username: str) -> frozenset[str]:
        groups: set[str] = set()
        params: dict[str, Any] = {"UserPoolId": self.user_pool_id, "Username": username}
        while True:
            page = self._call("admin_list_groups_for_user", **params)
            groups.update(group["GroupName"] for group in page.get("Groups", []))
            if not page.get("NextToken"):
                return frozenset(groups)
            params["NextToken"] = page["NextToken"]

    def admin_set_groups(self, *, username: str, groups: Set[str]) -> None:
        current = self._groups_of(username)
        for group in sorted(set(groups) - current):
            self._add_to_group(username, group)
        for group in sorted(current - set(groups)):
            self._call(
                "admin_remove_user_from_group",
                UserPoolId=self.user_pool_id,
                Username=username,
                GroupName=group,
            )

    def _add_to_group(self, username: str, group: str) -> None:
        params = {"UserPoolId": self.user_pool_id, "Username": username, "GroupName": group}
        try:
            self._call("admin_add_user_to_group", **params)
        except ClientError as exc:
            if _error_code(exc) != "ResourceNotFoundException":
                raise
            self._create_group(group)
            self._call("admin_add_user_to_group", **params)

    def _create_group(self, group: str) -> None:
        try:
            self._call("create_group", UserPoolId=self.user_pool_id, GroupName=group)
        except ClientError as exc:
            if _error_code(exc) != "GroupExistsException":  # created concurrently: fine
                raise

    def admin_set_enabled(self, *, username: str, enabled: bool) -> None:
        params = {"UserPoolId": self.user_pool_id, "Username": username}
        if enabled:
            self._call("admin_enable_user", **params)
            return
        self._call("admin_disable_user", **params)
        # A disabled user can neither sign in nor refresh, but re-enabling would revive
        # the old refresh tokens; revoke them so a disabled account's sessions end for good.
        self._call("admin_user_global_sign_out", **params)

    def admin_delete_user(self, *, username: str) -> None:
        self._call("admin_delete_user", UserPoolId=self.user_pool_id, Username=username)


def _attributes(attributes: list[dict[str, str]]) -> dict[str, str]:
    return {attribute["Name"]: attribute.get("Value", "") for attribute in attributes}


def _tokens(response: Mapping[str, Any], *, refresh_token: str | None = None) -> Tokens:
    result = response.get("AuthenticationResult")
    if result is None:
        # A challenge (new password required, MFA...) that our API does not offer.
        challenge = response.get("ChallengeName", "unknown")
        raise Forbidden(f"Sign-in needs a step this app does not support ({challenge})")
    return Tokens(
        access_token=result["AccessToken"],
        id_token=result["IdToken"],
        refresh_token=result.get("RefreshToken") or refresh_token or "",
        expires_in=int(result["ExpiresIn"]),
        token_type=result.get("TokenType", "Bearer"),
    )
