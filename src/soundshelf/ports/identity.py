"""The ``IdentityProvider`` port: who a user is and the tokens that prove it.

Two adapters sit behind the same API routes: the embedded provider (users in the Table,
argon2id, our own signing key) and Amazon Cognito. Both issue Cognito-shaped JWTs
(``sub``, ``username``, ``cognito:groups``, ``token_use``) that one ``JwtVerifier``
checks. Profiles, roles and the disabled flag live in the Table for both (the accounts
service), so the provider only answers for credentials, codes and tokens.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from typing import Any, Protocol

from soundshelf.errors import Conflict, DomainError, Forbidden, NotAuthenticated

# --- errors (codes are part of the HTTP contract) -----------------------------------------


class UsernameTaken(Conflict):
    code, title = "username_taken", "This username is taken"


class EmailTaken(Conflict):
    code, title = "email_taken", "An account already uses this email"


class WeakPassword(DomainError):
    status, code, title = 422, "weak_password", "The password is too weak"


class InvalidCredentials(NotAuthenticated):
    code, title = "invalid_credentials", "Wrong username or password"


class RefreshTokenReused(InvalidCredentials):
    """A refresh token that was already exchanged came back (a copy is in other hands);
    the provider has ended the account's refresh tokens, the caller ends the rest."""

    def __init__(self, user_id: str) -> None:
        super().__init__("The session has ended; sign in again")
        self.user_id = user_id  # the token's ``sub``


class InvalidToken(NotAuthenticated):
    code, title = "invalid_token", "The token is not valid"


class WrongPassword(Forbidden):
    # 403, not 401: the caller is signed in, only the password they retyped is wrong.
    code, title = "wrong_password", "The current password is not right"


class UserNotConfirmed(Forbidden):
    code, title = "user_not_confirmed", "Confirm your email address first"


class UserDisabled(Forbidden):
    code, title = "user_disabled", "This account is disabled"


class InvalidCode(DomainError):
    status, code, title = 400, "invalid_code", "The code is not valid"


class CodeExpired(DomainError):
    status, code, title = 400, "code_expired", "The code has expired; ask for a new one"


# --- values ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdentityUser:
    user_id: str  # the token's ``sub``; stable for the life of the account
    username: str
    email: str
    confirmed: bool
    enabled: bool
    groups: frozenset[str]


@dataclass(frozen=True)
class Tokens:
    access_token: str
    id_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


@dataclass(frozen=True)
class TokenSettings:
    """What a verifier needs to know about a provider's tokens."""

    issuer: str
    client_id: str
    jwks_url: str | None  # None: the provider hands out its keys in-process


class JwksSource(Protocol):
    def key_for(self, kid: str) -> Any:
        """The public key for ``kid`` (cached), or raise ``InvalidToken``."""
        ...


class TokenVerifier(Protocol):
    def verify(self, token: str, *, token_use: str = "access") -> dict[str, Any]:
        """The claims of a token the provider issued, or raise ``InvalidToken``."""
        ...


class IdentityProvider(Protocol):
    token_settings: TokenSettings

    @property
    def jwks(self) -> JwksSource:
        """Read-only, so an adapter may hold a more specific source."""
        ...

    def sign_up(self, *, username: str, email: str, password: str) -> IdentityUser:
        """Create an unconfirmed user and send the confirmation code by email."""
        ...

    def confirm_sign_up(self, *, username: str, code: str) -> None: ...

    def resend_code(self, *, username: str) -> None:
        """Send a new confirmation code; silent for unknown or confirmed users."""
        ...

    def login(self, *, username: str, password: str) -> Tokens: ...

    def refresh(self, *, refresh_token: str, username: str | None = None) -> Tokens:
        """New access and id tokens (and, for the embedded provider, a rotated refresh
        token; Cognito returns the same one)."""
        ...

    def logout(self, *, access_token: str) -> None:
        """Revoke every refresh token of the token's user (global sign-out)."""
        ...

    def forgot_password(self, *, username: str) -> None:
        """Send a reset code; silent for unknown users (no enumeration)."""
        ...

    def reset_password(self, *, username: str, code: str, new_password: str) -> None:
        """Set a new password with a mailed code; ends every refresh token."""
        ...

    def change_password(self, *, username: str, current_password: str, new_password: str) -> None:
        """Set a new password given the current one (``InvalidCredentials`` when it is
        wrong); ends every refresh token."""
        ...

    # administration (CLI, admins, the accounts service)
    def admin_create_user(
        self, *, username: str, email: str, password: str, confirmed: bool
    ) -> IdentityUser: ...

    def admin_get_user(self, *, username: str) -> IdentityUser | None: ...

    def admin_set_groups(self, *, username: str, groups: Set[str]) -> None: ...

    def admin_set_enabled(self, *, username: str, enabled: bool) -> None: ...

    def admin_delete_user(self, *, username: str) -> None: ...
