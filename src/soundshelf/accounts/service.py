"""Account use cases over the identity provider and the Table.

The provider answers for credentials and tokens; the Table keeps the profile, the
username and email reservations, roles and the disabled flag, checked on every request
so that disabling a user or revoking a role takes effect at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ulid import ULID

from soundshelf.accounts.signin_links import SignInLinks
from soundshelf.accounts.throttles import (
    code_throttle,
    ensure_mail_allowed,
    login_throttle,
)
from soundshelf.accounts.token_times import issued_before, record_issue
from soundshelf.accounts.validation import (
    check_password,
    check_sign_up,
    normalize_email,
    normalize_username,
)
from soundshelf.core import audit as audit_actions
from soundshelf.core.audit import NO_AUDIT, AuditRecorder
from soundshelf.core.stats import signup_counters
from soundshelf.core.users import (
    GRANTABLE_ROLES,
    Principal,
    email_key,
    principal_of,
    profile_index_keys,
    profile_key,
    roles_update,
    username_key,
)
from soundshelf.errors import NotFound, ValidationFailed
from soundshelf.ports.clock import Clock, iso
from soundshelf.ports.identity import (
    EmailTaken,
    IdentityProvider,
    InvalidCode,
    InvalidCredentials,
    InvalidToken,
    RefreshTokenReused,
    Tokens,
    TokenVerifier,
    UserDisabled,
    UsernameTaken,
    WrongPassword,
)
from soundshelf.ports.mail import Mailer
from soundshelf.ports.table import (
    AttributeEquals,
    ConditionFailed,
    ItemAbsent,
    ItemPresent,
    Put,
    Table,
    TransactionFailed,
)
from soundshelf.ratelimit import RateLimiter

API_KEY_PREFIX = "ssk"
MAX_API_KEYS = 20


@dataclass(frozen=True)
class NewApiKey:
    key_id: str
    name: str
    secret: str  # shown once
    created_at: float


class Accounts:
    def __init__(
        self,
        *,
        table: Table,
        identity: IdentityProvider,
        verifier: TokenVerifier,
        clock: Clock,
        limiter: RateLimiter,
        api_key_requests_per_minute: int = 600,
        audit: AuditRecorder = NO_AUDIT,
        mailer: Mailer | None = None,
    ) -> None:
        self.table = table
        self.identity = identity
        self.clock = clock
        self.limiter = limiter
        self.verifier = verifier
        self.api_key_requests_per_minute = api_key_requests_per_minute
        self.audit = audit
        self.login_throttle = login_throttle(table, clock, limiter)
        self.code_throttle = code_throttle(table, clock, limiter)
        self.sign_in_links = SignInLinks(table=table, clock=clock, mailer=mailer)

    # --- sign-up -------------------------------------------------------------------------

    def sign_up(self, *, username: str, email: str, password: str, client: str) -> dict[str, Any]:
        username, email = check_sign_up(username, email, password)
        self._ensure_free(username, email)
        ensure_mail_allowed(self.limiter, target=username, source=client)
        user = self.identity.sign_up(username=username, email=email, password=password)
        return self._create_profile(user.user_id, username, email, roles=())

    def create_user(
        self,
        *,
        username: str,
        email: str,
        password: str,
        roles: Iterable[str] = (),
        confirmed: bool = True,
    ) -> dict[str, Any]:
        """An account made by an administrator (CLI, demo loader): no email round trip."""
        username, email = normalize_username(username), normalize_email(email)
        check_password(password, username=username)
        roles = self._checked_roles(roles)
        self._ensure_free(username, email)
        user = self.identity.admin_create_user(
            username=username, email=email, password=password, confirmed=confirmed
        )
        if roles:
            self.identity.admin_set_groups(username=username, groups=set(roles))
        return self._create_profile(user.user_id, username, email, roles=roles)

    def _ensure_free(self, username: str, email: str) -> None:
        # A fast, friendly answer; the transaction in _create_profile is what guarantees it.
        if self.table.get(*username_key(username)):
            raise UsernameTaken()
        if self.table.get(*email_key(email)):
            raise EmailTaken()

    def _create_profile(
        self, user_id: str, username: str, email: str, *, roles: Iterable[str]
    ) -> dict[str, Any]:
        now = self.clock.now()
        profile = {
            "PK": profile_key(user_id)[0],
            "SK": profile_key(user_id)[1],
            "userId": user_id,
            "username": username,
            "email": email,
            "displayName": username,
            "bio": "",
            "roles": sorted(roles),
            "disabled": False,
            "tokensValidAfter": 0,
            "createdAt": now,
            "GSI1PK": "USERS",
            "GSI1SK": f"{iso(now)}#{user_id}",
            **profile_index_keys(user_id, username, roles),
        }
        reservation = {"userId": user_id, "username": username}
        try:
            self.table.transact(
                [
                    Put(profile, condition=ItemAbsent()),
                    Put(
                        {
                            "PK": username_key(username)[0],
                            "SK": username_key(username)[1],
                            **reservation,
                        },
                        condition=ItemAbsent(),
                    ),
                    Put(
                        {"PK": email_key(email)[0], "SK": email_key(email)[1], **reservation},
                        condition=ItemAbsent(),
                    ),
                    *signup_counters(now),
                ]
            )
        except TransactionFailed as exc:
            self.identity.admin_delete_user(username=username)
            raise (EmailTaken() if 2 in exc.failed_indexes else UsernameTaken()) from None
        return profile

    def confirm(self, *, username: str, code: str, client: str) -> None:
        name = self._username(username)
        self._guess_code(
            name, client, lambda: self.identity.confirm_sign_up(username=name, code=code)
        )

    def resend_code(self, *, username: str, client: str) -> None:
        name = self._username(username)
        ensure_mail_allowed(self.limiter, target=name, source=client)
        self.identity.resend_code(username=name)

    def _guess_code(self, name: str, client: str, attempt: Callable[[], None]) -> None:
        """Codes are guessed across every code of the account (see ``throttles``)."""
        failures = self.code_throttle.ensure_allowed(name, client)
        try:
            attempt()
        except InvalidCode:
            self.code_throttle.failed(name, client)
            raise
        self.code_throttle.succeeded(name, client, failures=failures)

    # --- sessions ------------------------------------------------------------------------

    def login(
        self, *, username: str, password: str, client: str, sign_in_link: str | None = None
    ) -> Tokens:
        """``username`` may be the email address; ``client`` is the caller's address;
        ``sign_in_link`` a mailed link's token, which lets the owner past the throttle."""
        name = self._username(username)
        proven = self.sign_in_links.proves(sign_in_link, username=name)
        failures = self.login_throttle.ensure_allowed(name, client, owner_proven=proven)
        try:
            tokens = self._issued(lambda: self.identity.login(username=name, password=password))
        except InvalidCredentials:
            if self.login_throttle.failed(name, client):
                # One entry when a failure starts a throttle (not one per refusal).
                self.audit.record(
                    audit_actions.LOGIN_THROTTLED,
                    target_type="user",
                    target_id=name,
                    details={"client": client},
                )
            raise
        self.login_throttle.succeeded(name, client, failures=failures)
        if proven and sign_in_link:
            self.sign_in_links.used(sign_in_link)
        return tokens

    def send_sign_in_link(self, *, username: str, client: str, base_url: str) -> None:
        """Mail a sign-in link to the account's owner; silent for unknown accounts."""
        name = self._username(username)
        ensure_mail_allowed(self.limiter, target=name, source=client)
        profile = self.find_by_username(name)
        if profile is not None and not profile.get("disabled"):
            self.sign_in_links.send(username=name, email=profile["email"], base_url=base_url)

    def refresh(self, *, refresh_token: str) -> Tokens:
        try:
            return self._issued(lambda: self.identity.refresh(refresh_token=refresh_token))
        except RefreshTokenReused as reused:
            # A used refresh token came back: it was copied. Which copy is the thief's
            # cannot be told, so every session of the account ends.
            self._end_sessions(reused.user_id)
            raise

    def _issued(self, issue: Callable[[], Tokens]) -> Tokens:
        asked_at = self.clock.now()  # before the provider signs: never later than ``iat``
        tokens = issue()
        record_issue(self.table, tokens.access_token, asked_at=asked_at)
        return tokens

    def logout(self, *, access_token: str, principal: Principal) -> None:
        self.identity.logout(access_token=access_token)
        self._end_sessions(principal.user_id)

    def _end_sessions(self, user_id: str) -> None:
        """Access tokens issued before now stop working (refresh tokens are the
        provider's to revoke). Sub-second: see ``token_times``."""
        try:
            self.table.update(
                *profile_key(user_id),
                set={"tokensValidAfter": self.clock.now()},
                condition=ItemPresent(),
            )
        except ConditionFailed:
            pass  # no profile: its tokens are refused anyway

    def forgot_password(self, *, username: str, client: str) -> None:
        name = self._username(username)
        ensure_mail_allowed(self.limiter, target=name, source=client)
        self.identity.forgot_password(username=name)

    def reset_password(self, *, username: str, code: str, new_password: str, client: str) -> None:
        name = self._username(username)
        check_password(new_password, username=name)
        self._guess_code(
            name,
            client,
            lambda: self.identity.reset_password(
                username=name, code=code, new_password=new_password
            ),
        )
        # The provider revoked the refresh tokens; the access tokens end here.
        if reservation := self.table.get(*username_key(name)):
            self._end_sessions(reservation["userId"])
        self.audit.record(audit_actions.PASSWORD_RESET, target_type="user", target_id=name)

    def change_password(
        self, principal: Principal, *, current_password: str, new_password: str, client: str
    ) -> Tokens:
        """Every session ends; the caller's goes on with the fresh tokens returned (a
        sign-in with the new password), so only the other sessions are gone. Wrong
        current passwords count as failed sign-ins: a stolen access token must not become
        a way to guess the password."""
        name = principal.username
        check_password(new_password, username=name)
        failures = self.login_throttle.ensure_allowed(name, client)
        try:
            self.identity.change_password(
                username=name, current_password=current_password, new_password=new_password
            )
        except InvalidCredentials:
            self.login_throttle.failed(name, client)
            raise WrongPassword() from None
        self.login_throttle.succeeded(name, client, failures=failures)
        self._end_sessions(principal.user_id)
        self.audit.record(
            audit_actions.PASSWORD_CHANGED, actor=principal, target_type="user", target_id=name
        )
        return self._issued(lambda: self.identity.login(username=name, password=new_password))

    def check_password(self, principal: Principal, *, password: str, client: str) -> None:
        """The signed-in caller retyped their password (before something that cannot be
        undone); ``WrongPassword`` (403) if not. Throttled as sign-ins are."""
        name = principal.username
        failures = self.login_throttle.ensure_allowed(name, client)
        try:
            self.identity.login(username=name, password=password)  # its tokens are dropped
        except InvalidCredentials:
            self.login_throttle.failed(name, client)
            raise WrongPassword() from None
        self.login_throttle.succeeded(name, client, failures=failures)

    def _username(self, username_or_email: str) -> str:
        """The username for a username or an email address (as typed)."""
        text = username_or_email.strip()
        if "@" in text:
            item = self.table.get(*email_key(text))
            return item["username"] if item else text.lower()
        return text.lower()

    # --- who is calling ------------------------------------------------------------------

    def authenticate_token(self, access_token: str) -> Principal:
        claims = self.verifier.verify(access_token, token_use="access")
        profile = self._active_profile(claims["sub"])
        if issued_before(self.table, claims, float(profile.get("tokensValidAfter", 0))):
            raise InvalidToken("The session has ended; sign in again")
        return principal_of(profile)

    def authenticate_api_key(self, api_key: str) -> Principal:
        prefix, _, rest = api_key.partition("_")
        key_id, _, secret = rest.partition("_")
        if prefix != API_KEY_PREFIX or not key_id or not secret or len(api_key) > 200:
            raise InvalidToken("The API key is not valid")
        item = self.table.get(*_api_key_key(key_id))
        if item is None or not hmac.compare_digest(item["hash"], _hash_secret(secret)):
            raise InvalidToken("The API key is not valid")
        profile = self._active_profile(item["userId"])
        self.limiter.hit(
            f"apikey:{key_id}",
            window=60,
            limit=self.api_key_requests_per_minute,
            detail="This API key made too many requests; slow down",
        )
        return principal_of(profile, via_api_key=key_id)

    def _active_profile(self, user_id: str) -> dict[str, Any]:
        profile = self.table.get(*profile_key(user_id))
        if profile is None:
            raise InvalidToken("This account does not exist")
        if profile.get("disabled"):
            raise UserDisabled()
        return profile

    # --- profile -------------------------------------------------------------------------

    def get_profile(self, user_id: str) -> dict[str, Any]:
        profile = self.table.get(*profile_key(user_id))
        if profile is None:
            raise NotFound("No such user")
        return profile

    def find_by_username(self, username: str) -> dict[str, Any] | None:
        item = self.table.get(*username_key(username.strip().lower()))
        return self.table.get(*profile_key(item["userId"])) if item else None

    def update_profile(
        self, principal: Principal, *, display_name: str | None, bio: str | None
    ) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if display_name is not None:
            changes["displayName"] = display_name.strip() or principal.username
        if bio is not None:
            changes["bio"] = bio.strip()
        if not changes:
            return self.get_profile(principal.user_id)
        return self.table.update(
            *profile_key(principal.user_id), set=changes, condition=ItemPresent()
        )

    # --- roles and status (admins, CLI) --------------------------------------------------

    def set_roles(self, user_id: str, roles: Iterable[str]) -> dict[str, Any]:
        profile = self.get_profile(user_id)
        granted = self._checked_roles(roles)
        self.identity.admin_set_groups(username=profile["username"], groups=set(granted))
        return self.table.update(*profile_key(user_id), **roles_update(user_id, granted))

    @staticmethod
    def _checked_roles(roles: Iterable[str]) -> list[str]:
        wanted = set(roles) - {"listener"}
        if unknown := wanted - GRANTABLE_ROLES:
            raise ValidationFailed(f"Unknown role(s): {', '.join(sorted(unknown))}")
        return sorted(wanted)

    # --- API keys ------------------------------------------------------------------------

    def create_api_key(self, principal: Principal, *, name: str) -> NewApiKey:
        name = name.strip()
        if not 1 <= len(name) <= 64:
            raise ValidationFailed("Name the key with 1 to 64 characters")
        if len(self.list_api_keys(principal)) >= MAX_API_KEYS:
            raise ValidationFailed(f"At most {MAX_API_KEYS} API keys per account")
        key_id, secret, now = str(ULID()).lower(), secrets.token_urlsafe(32), self.clock.now()
        pk, sk = _api_key_key(key_id)
        self.table.put(
            {
                "PK": pk,
                "SK": sk,
                "keyId": key_id,
                "userId": principal.user_id,
                "name": name,
                "hash": _hash_secret(secret),
                "createdAt": now,
                "GSI1PK": f"USER#{principal.user_id}#APIKEYS",
                "GSI1SK": key_id,
            },
            condition=ItemAbsent(),
        )
        self.audit.record(
            audit_actions.API_KEY_CREATED, actor=principal, target_type="apikey", target_id=key_id
        )
        return NewApiKey(key_id, name, f"{API_KEY_PREFIX}_{key_id}_{secret}", now)

    def list_api_keys(self, principal: Principal) -> list[dict[str, Any]]:
        page = self.table.query(
            f"USER#{principal.user_id}#APIKEYS", index="GSI1", limit=MAX_API_KEYS + 1
        )
        return page.items

    def revoke_api_key(self, principal: Principal, key_id: str) -> None:
        try:
            self.table.delete(
                *_api_key_key(key_id), condition=AttributeEquals("userId", principal.user_id)
            )
        except ConditionFailed:
            raise NotFound("No such API key") from None
        self.audit.record(
            audit_actions.API_KEY_REVOKED, actor=principal, target_type="apikey", target_id=key_id
        )


def _api_key_key(key_id: str) -> tuple[str, str]:
    return f"APIKEY#{key_id}", "APIKEY"


def _hash_secret(secret: str) -> str:
    # API key secrets are 256 random bits: a fast hash is enough (no guessing to slow down).
    return hashlib.sha256(secret.encode()).hexdigest()
