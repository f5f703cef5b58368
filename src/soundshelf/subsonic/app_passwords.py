"""App passwords: the separate secrets Subsonic clients sign in with.

Account passwords are argon2 hashes (or live in Cognito), but Subsonic token
authentication sends ``md5(password + salt)``, so the server must know the secret in
clear. Each app password is therefore stored encrypted with a server key (Fernet:
AES-128-CBC + HMAC), shown once, and revocable on its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from ulid import ULID

from soundshelf.core.users import Principal, principal_of, profile_key, username_key
from soundshelf.errors import NotFound, ValidationFailed
from soundshelf.ports.clock import Clock, iso
from soundshelf.ports.table import (
    Delete,
    ItemAbsent,
    ItemPresent,
    Put,
    Table,
    TransactionFailed,
)

MAX_APP_PASSWORDS = 5
# A revoked app password is remembered (encrypted, as before) for 90 days, so that a phone
# still using it is told so at once instead of counting as someone guessing.
REVOKED_KEPT_FOR = 90 * 86400
REVOKED_REMEMBERED = 20


class Revoked(Exception):
    """The credentials match an app password that its owner revoked."""


_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes: people type these into phones


def app_password_key(user_id: str, password_id: str) -> tuple[str, str]:
    return f"USER#{user_id}", f"APPPW#{password_id}"


def revoked_app_password_key(user_id: str, password_id: str) -> tuple[str, str]:
    return f"USER#{user_id}", f"APPPWREVOKED#{password_id}"


def fernet_key(raw: bytes | str) -> bytes:
    """A Fernet key from 32 raw bytes (the key file) or a base64 text (the setting)."""
    if isinstance(raw, str):
        raw = base64.urlsafe_b64decode(raw.strip().encode())
    if len(raw) != 32:
        raise ValueError("the app password key must be 32 bytes")
    return base64.urlsafe_b64encode(raw)


@dataclass(frozen=True)
class NewAppPassword:
    password_id: str
    name: str
    password: str  # shown once
    created_at: float


class AppPasswords:
    def __init__(self, *, table: Table, clock: Clock, key: bytes | None) -> None:
        self.table = table
        self.clock = clock
        # No key configured (AWS without the setting): the feature is off, not broken.
        self._fernet = Fernet(key) if key else None

    @property
    def enabled(self) -> bool:
        return self._fernet is not None

    def create(self, principal: Principal, *, name: str) -> NewAppPassword:
        fernet = self._require_key()
        name = name.strip()
        if not 1 <= len(name) <= 64:
            raise ValidationFailed("Name the app password with 1 to 64 characters")
        if len(self._items(principal.user_id)) >= MAX_APP_PASSWORDS:
            raise ValidationFailed(f"At most {MAX_APP_PASSWORDS} app passwords per account")
        password_id, now = str(ULID()).lower(), self.clock.now()
        password = "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(5))
        pk, sk = app_password_key(principal.user_id, password_id)
        self.table.put(
            {
                "PK": pk,
                "SK": sk,
                "passwordId": password_id,
                "userId": principal.user_id,
                "name": name,
                "secret": fernet.encrypt(password.encode()).decode(),
                "createdAt": now,
            },
            condition=ItemAbsent(),
        )
        return NewAppPassword(password_id, name, password, now)

    def list(self, principal: Principal) -> list[dict[str, Any]]:
        return [self.view(item) for item in self._items(principal.user_id)]

    @staticmethod
    def view(item: dict[str, Any]) -> dict[str, Any]:
        last = item.get("lastUsedAt")
        return {
            "id": item["passwordId"],
            "name": item["name"],
            "createdAt": iso(item["createdAt"]),
            "lastUsedAt": iso(last) if last else None,
        }

    def revoke(self, principal: Principal, password_id: str) -> None:
        key = app_password_key(principal.user_id, password_id)
        item = self.table.get(*key)
        if item is None:
            raise NotFound("No such app password")
        pk, sk = revoked_app_password_key(principal.user_id, password_id)
        tombstone = {
            "PK": pk,
            "SK": sk,
            "secret": item["secret"],
            "expiresAt": int(self.clock.now() + REVOKED_KEPT_FOR),
        }
        try:
            self.table.transact([Delete(*key, condition=ItemPresent()), Put(tombstone)])
        except TransactionFailed:
            raise NotFound("No such app password") from None

    # --- checking credentials ------------------------------------------------------------

    def check_password(self, username: str, password: str) -> Principal | None:
        """The account when ``password`` is one of its app passwords."""
        return self._check(username, lambda secret: hmac.compare_digest(secret, password))

    def check_token(self, username: str, token: str, salt: str) -> Principal | None:
        """The account when ``token`` is ``md5(app password + salt)``."""
        token = token.lower()

        def matches(secret: str) -> bool:
            expected = hashlib.md5((secret + salt).encode(), usedforsecurity=False).hexdigest()
            return hmac.compare_digest(expected, token)

        return self._check(username, matches)

    def _check(self, username: str, matches: Any) -> Principal | None:
        """The account when a live app password matches; ``Revoked`` when a revoked one
        does; else None."""
        if self._fernet is None:
            return None
        reservation = self.table.get(*username_key(username.strip().lower()))
        if reservation is None:
            return None
        profile = self.table.get(*profile_key(reservation["userId"]))
        if profile is None or profile.get("disabled"):
            return None
        for item in self._items(profile["userId"]):
            if self._matches(item, matches):
                self._touch(item)
                return principal_of(profile)
        revoked = self.table.query(
            f"USER#{profile['userId']}",
            begins_with="APPPWREVOKED#",
            forward=False,
            limit=REVOKED_REMEMBERED,
        ).items
        now = self.clock.now()
        if any(item["expiresAt"] > now and self._matches(item, matches) for item in revoked):
            raise Revoked()
        return None

    def _matches(self, item: dict[str, Any], matches: Any) -> bool:
        assert self._fernet is not None
        try:
            secret = self._fernet.decrypt(item["secret"].encode()).decode()
        except InvalidToken:
            return False  # written under another key: unusable, revoke and recreate
        return bool(matches(secret))

    def _touch(self, item: dict[str, Any]) -> None:
        # At most one write an hour per password: clients call on every request.
        now = self.clock.now()
        if now - item.get("lastUsedAt", 0) >= 3600:
            self.table.update(item["PK"], item["SK"], set={"lastUsedAt": now})

    def _items(self, user_id: str) -> list[dict[str, Any]]:
        page = self.table.query(
            f"USER#{user_id}", begins_with="APPPW#", limit=MAX_APP_PASSWORDS + 1
        )
        return page.items

    def _require_key(self) -> Fernet:
        if self._fernet is None:
            raise ValidationFailed(
                "App passwords are not configured on this server (SOUNDSHELF_APP_PASSWORD_KEY)"
            )
        return self._fernet
