"""Who is calling a Subsonic endpoint: ``u``+``p``, ``u``+``t``+``s`` or ``apiKey``.

Passwords and tokens are checked against the user's app passwords; ``apiKey`` takes
our ``ssk_...`` API keys. Failures are throttled per username and client address, apart
from the web sign-in (``accounts.throttles``): a phone with a wrong app password slows down
only itself. A revoked app password fails at once and counts toward nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from soundshelf.accounts.service import Accounts
from soundshelf.accounts.throttles import app_password_throttle
from soundshelf.core.users import Principal
from soundshelf.errors import RateLimited
from soundshelf.ports.identity import InvalidToken, UserDisabled
from soundshelf.ratelimit import RateLimiter
from soundshelf.subsonic.app_passwords import AppPasswords, Revoked
from soundshelf.subsonic.protocol import (
    CONFLICTING_AUTH,
    INVALID_API_KEY,
    MISSING_PARAMETER,
    WRONG_CREDENTIALS,
    SubsonicError,
)

MAX_USERNAME = 320  # as the web sign-in's field


class SubsonicAuth:
    def __init__(
        self, *, accounts: Accounts, app_passwords: AppPasswords, limiter: RateLimiter
    ) -> None:
        self.accounts = accounts
        self.app_passwords = app_passwords
        self.throttle = app_password_throttle(limiter.table, limiter.clock, limiter)

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
        name = username.strip().lower()
        if len(name) > MAX_USERNAME:  # nobody's: not worth a counter (nor a huge key)
            raise SubsonicError(WRONG_CREDENTIALS, "Wrong username or password")
        try:
            failures = self.throttle.ensure_allowed(name, client)
        except RateLimited as exc:
            # The protocol has no "slow down" code; clients show the message.
            raise SubsonicError(WRONG_CREDENTIALS, exc.detail) from None
        try:
            if password:
                principal = self.app_passwords.check_password(name, _decoded(password))
            else:
                principal = self.app_passwords.check_token(name, token or "", salt or "")
        except Revoked:
            raise SubsonicError(
                WRONG_CREDENTIALS, "This app password was revoked; create a new one"
            ) from None
        if principal is None:
            self.throttle.failed(name, client)
            raise SubsonicError(WRONG_CREDENTIALS, "Wrong username or password")
        self.throttle.succeeded(name, client, failures=failures)
        return principal

    def _api_key(self, api_key: str) -> Principal:
        try:
            return self.accounts.authenticate_api_key(api_key)
        except (InvalidToken, UserDisabled, RateLimited):
            raise SubsonicError(INVALID_API_KEY, "Invalid API key") from None


def _decoded(password: str) -> str:
    """``p`` is plain text or ``enc:`` followed by the hex of its UTF-8 bytes."""
    if password.startswith("enc:"):
        try:
            return bytes.fromhex(password[4:]).decode()
        except ValueError:
            return ""
    return password
