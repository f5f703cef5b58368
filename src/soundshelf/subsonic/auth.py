"""Who is calling a Subsonic endpoint: ``u``+``p``, ``u``+``t``+``s`` or ``apiKey``.

Passwords and tokens are checked against the user's app passwords; ``apiKey`` takes
our ``ssk_...`` API keys. Failures are throttled per account and per client address
with the same windows as the web sign-in.
"""

from __future__ import annotations

from collections.abc import Mapping

from soundshelf.accounts.models import Principal
from soundshelf.accounts.service import (
    LOGIN_FAILURES_PER_ACCOUNT,
    LOGIN_FAILURES_PER_CLIENT,
    LOGIN_WINDOW,
    AccountsService,
)
from soundshelf.errors import RateLimited
from soundshelf.ports.identity import InvalidToken, UserDisabled
from soundshelf.ratelimit import RateLimiter
from soundshelf.subsonic.app_passwords import AppPasswords
from soundshelf.subsonic.protocol import (
    CONFLICTING_AUTH,
    INVALID_API_KEY,
    MISSING_PARAMETER,
    WRONG_CREDENTIALS,
    SubsonicError,
)

_THROTTLED = "Too many failed sign-ins; wait a few minutes and try again"


class SubsonicAuth:
    def __init__(
        self, *, accounts: AccountsService, app_passwords: AppPasswords, limiter: RateLimiter
    ) -> None:
        self.accounts = accounts
        self.app_passwords = app_passwords
        self.limiter = limiter

    def authenticate(self, params: Mapping[str, str], *, client: str) -> Principal:
        api_key, username = params.get("apiKey"), params.get("u")
        if api_key:
            if username:
                raise SubsonicError(CONFLICTING_AUTH, "Send either apiKey or u, not both")
            return self._api_key(api_key)
        if not username:
            raise SubsonicError(MISSING_PARAMETER, "Required parameter is missing: u")
        password, token, salt = params.get("p"), params.get("t"), params.get("s")
        if not password and not (token and salt):
            raise SubsonicError(MISSING_PARAMETER, "Required parameter is missing: p or t and s")
        keys = (f"login-user:{username.strip().lower()}", f"login-client:{client}")
        self._ensure_not_throttled(*keys)
        if password:
            principal = self.app_passwords.check_password(username, _decoded(password))
        else:
            principal = self.app_passwords.check_token(username, token or "", salt or "")
        if principal is None:
            for key in keys:
                self.limiter.hit(key, window=LOGIN_WINDOW)
            raise SubsonicError(WRONG_CREDENTIALS, "Wrong username or password")
        return principal

    def _api_key(self, api_key: str) -> Principal:
        try:
            return self.accounts.authenticate_api_key(api_key)
        except (InvalidToken, UserDisabled, RateLimited):
            raise SubsonicError(INVALID_API_KEY, "Invalid API key") from None

    def _ensure_not_throttled(self, account_key: str, client_key: str) -> None:
        try:
            self.limiter.ensure_below(
                account_key, limit=LOGIN_FAILURES_PER_ACCOUNT, window=LOGIN_WINDOW, detail=""
            )
            self.limiter.ensure_below(
                client_key, limit=LOGIN_FAILURES_PER_CLIENT, window=LOGIN_WINDOW, detail=""
            )
        except RateLimited:
            # The protocol has no "slow down" code; clients show the message.
            raise SubsonicError(WRONG_CREDENTIALS, _THROTTLED) from None


def _decoded(password: str) -> str:
    """``p`` is plain text or ``enc:`` followed by the hex of its UTF-8 bytes."""
    if password.startswith("enc:"):
        try:
            return bytes.fromhex(password[4:]).decode()
        except ValueError:
            return ""
    return password
