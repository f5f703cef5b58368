"""The embedded identity provider: Cognito's behaviour on our own Table.

Passwords are argon2id hashes; confirmation and reset codes are 6 digits, stored as
HMACs, valid 15 minutes and 5 tries; tokens are ES256 JWTs shaped like Cognito's,
signed with a key generated on first start; refresh tokens are random, stored hashed,
rotated on every use and revoked together by logout, a password reset or the replay of
a used one (a per-user generation number).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import uuid
from collections.abc import Set
from pathlib import Path
from typing import Any, NoReturn

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from soundshelf.adapters.jwt_verifier import JwtVerifier, StaticJwks
from soundshelf.keyfiles import load_or_create_file
from soundshelf.ports.clock import Clock
from soundshelf.ports.identity import (
    CodeExpired,
    IdentityUser,
    InvalidCode,
    InvalidCredentials,
    InvalidToken,
    RefreshTokenReused,
    Tokens,
    TokenSettings,
    UserDisabled,
    UsernameTaken,
    UserNotConfirmed,
)
from soundshelf.ports.mail import Mailer, Message
from soundshelf.ports.table import (
    AttributeAbsent,
    AttributeEquals,
    ConditionFailed,
    ItemAbsent,
    Table,
)

log = logging.getLogger("soundshelf.identity")

# OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): ~25 ms a hash on this machine,
# cheap enough for logins, costly enough to slow offline guessing. See docs/benchmarks.md.
PASSWORD_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
CODE_TTL = 15 * 60
CODE_MAX_ATTEMPTS = 5


def _user_key(username: str) -> tuple[str, str]:
    return f"IDP#USER#{username}", "IDP"


def _refresh_key(token: str) -> tuple[str, str]:
    return f"IDP#REFRESH#{hashlib.sha256(token.encode()).hexdigest()}", "IDP"


class LocalIdentityProvider:
    def __init__(
        self,
        table: Table,
        mailer: Mailer,
        clock: Clock,
        *,
        key_dir: Path,
        issuer: str,
        client_id: str = "soundshelf-web",
        access_ttl: int = 3600,
        refresh_ttl: int = 30 * 24 * 3600,
    ) -> None:
        self.table = table
        self.mailer = mailer
        self.clock = clock
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self._signing_key = _load_signing_key(key_dir / "jwt-signing.pem")
        self._code_key = load_or_create_file(key_dir / "code-hmac.key")
        public_jwk = _public_jwk(self._signing_key)
        self.kid = public_jwk["kid"]
        self.jwks_document = {"keys": [public_jwk]}
        self.jwks = StaticJwks(self.jwks_document)
        self.token_settings = TokenSettings(issuer=issuer, client_id=client_id, jwks_url=None)
        self._verifier = JwtVerifier(self.token_settings, self.jwks, clock=clock.now)
        # Verified against when the user does not exist, so both answers take as long.
        self._dummy_hash = PASSWORD_HASHER.hash(secrets.token_hex(16))

    # --- sign-up and codes ----------------------------------------------------------------

    def sign_up(self, *, username: str, email: str, password: str) -> IdentityUser:
        user = self._create(username, email, password, confirmed=False)
        self._send_code(user, "confirm")
        return self._as_user(user)

    def confirm_sign_up(self, *, username: str, code: str) -> None:
        user = self._get(username)
        if user is None or user["confirmed"]:
            raise InvalidCode()
        self._use_code(user, "confirm", code, then={"confirmed": True})

    def resend_code(self, *, username: str) -> None:
        user = self._get(username)
        if user is not None and not user["confirmed"]:
            self._send_code(user, "confirm")

    def forgot_password(self, *, username: str) -> None:
        user = self._get(username)
        if user is not None and user["enabled"]:
            self._send_code(user, "reset")

    def reset_password(self, *, username: str, code: str, new_password: str) -> None:
        user = self._get(username)
        if user is None:
            raise InvalidCode()
        self._use_code(
            user,
            "reset",
            code,
            # A reset proves the mailbox, so it confirms the account too; and it ends
            # every existing session.
            then={"passwordHash": PASSWORD_HASHER.hash(new_password), "confirmed": True},
            bump_generation=True,
        )

    def change_password(self, *, username: str, current_password: str, new_password: str) -> None:
        user = self._get(username)
        if user is None or not _verify_password(user["passwordHash"], current_password):
            raise InvalidCredentials()
        self.table.update(
            *_user_key(username),
            set={"passwordHash": PASSWORD_HASHER.hash(new_password)},
            add={"generation": 1},  # ends every session
            condition=AttributeEquals("passwordHash", user["passwordHash"]),
        )

    # --- sessions ---------------------------------------------------------------------------

    def login(self, *, username: str, password: str) -> Tokens:
        user = self._get(username)
        if user is None:
            _verify_password(self._dummy_hash, password)
            raise InvalidCredentials()
        if not _verify_password(user["passwordHash"], password):
            raise InvalidCredentials()
        if not user["enabled"]:
            raise UserDisabled()
        if not user["confirmed"]:
            raise UserNotConfirmed()
        if PASSWORD_HASHER.check_needs_rehash(user["passwordHash"]):
            self.table.update(
                *_user_key(username), set={"passwordHash": PASSWORD_HASHER.hash(password)}
            )
        return self._issue(user)

    def refresh(self, *, refresh_token: str, username: str | None = None) -> Tokens:
        key, now = _refresh_key(refresh_token), self.clock.now()
        session = self.table.get(*key)
        if session is None or session["expiresAt"] < now:
            raise InvalidCredentials("The session has ended; sign in again")
        if "usedAt" in session:
            self._replayed(session)
        try:
            # Rotation: each refresh token works once. A used one stays on record (marked)
            # until it expires, so that its replay is recognised.
            self.table.update(
                *key,
                set={"usedAt": now},
                condition=[
                    AttributeEquals("generation", session["generation"]),
                    AttributeAbsent("usedAt"),
                ],
            )
        except ConditionFailed:
            if "usedAt" in (self.table.get(*key) or {}):
                self._replayed(session)  # lost the race to another use of the same token
            raise InvalidCredentials("The session has ended; sign in again") from None
        user = self._get(session["username"])
        # The sub check: a later account that reuses a deleted user's name is someone else.
        if (
            user is None
            or user["sub"] != session.get("sub")
            or user["generation"] != session["generation"]
        ):
            raise InvalidCredentials("The session has ended; sign in again")
        if not user["enabled"]:
            raise UserDisabled()
        return self._issue(user)

    def _replayed(self, session: dict[str, Any]) -> NoReturn:
        """A used refresh token came back: end every refresh token of the account."""
        try:
            self.table.update(
                *_user_key(session["username"]),
                add={"generation": 1},
                condition=AttributeEquals("sub", session.get("sub")),
            )
        except ConditionFailed:
            pass  # the account is gone (or its name now belongs to someone else)
        raise RefreshTokenReused(str(session.get("sub")))

    def logout(self, *, access_token: str) -> None:
        claims = self._verifier.verify(access_token)
        self.table.update(*_user_key(claims["username"]), add={"generation": 1})

    # --- administration ---------------------------------------------------------------------

    def admin_create_user(
        self, *, username: str, email: str, password: str, confirmed: bool
    ) -> IdentityUser:
        return self._as_user(self._create(username, email, password, confirmed=confirmed))

    def admin_get_user(self, *, username: str) -> IdentityUser | None:
        user = self._get(username)
        return self._as_user(user) if user else None

    def admin_set_groups(self, *, username: str, groups: Set[str]) -> None:
        self.table.update(
            *_user_key(username),
            set={"groups": sorted(groups)},
            condition=AttributeEquals("username", username),
        )

    def admin_set_enabled(self, *, username: str, enabled: bool) -> None:
        self.table.update(
            *_user_key(username),
            set={"enabled": enabled},
            add={} if enabled else {"generation": 1},  # disabling ends every session
            condition=AttributeEquals("username", username),
        )

    def admin_delete_user(self, *, username: str) -> None:
        user = self._get(username)
        self.table.delete(*_user_key(username))
        if user is None:
            return
        # Its sessions go too: nothing of a deleted account stays behind.
        while sessions := self.table.query(
            f"IDP#SESSIONS#{user['sub']}", index="GSI1", limit=100
        ).items:
            for session in sessions:
                self.table.delete(session["PK"], session["SK"])

    # --- internals ----------------------------------------------------------------------------

    def _get(self, username: str) -> dict[str, Any] | None:
        return self.table.get(*_user_key(username))

    def _create(
        self, username: str, email: str, password: str, *, confirmed: bool
    ) -> dict[str, Any]:
        pk, sk = _user_key(username)
        user = {
            "PK": pk,
            "SK": sk,
            "sub": str(uuid.uuid4()),
            "username": username,
            "email": email,
            "passwordHash": PASSWORD_HASHER.hash(password),
            "confirmed": confirmed,
            "enabled": True,
            "groups": [],
            "generation": 0,
            "createdAt": self.clock.now(),
        }
        try:
            self.table.put(user, condition=ItemAbsent())
        except ConditionFailed:
            raise UsernameTaken() from None
        return user

    def _code_hash(self, username: str, purpose: str, code: str) -> str:
        message = f"{username}\n{purpose}\n{code}".encode()
        return hmac.new(self._code_key, message, hashlib.sha256).hexdigest()

    def _send_code(self, user: dict[str, Any], purpose: str) -> None:
        code = f"{secrets.randbelow(10**6):06d}"
        self.table.update(
            *_user_key(user["username"]),
            set={
                "code": {
                    "purpose": purpose,
                    "hash": self._code_hash(user["username"], purpose, code),
                    "expiresAt": self.clock.now() + CODE_TTL,
                    "attempts": 0,
                }
            },
        )
        subject, text = {
            "confirm": ("Confirm your Soundshelf account", "Your confirmation code is"),
            "reset": ("Reset your Soundshelf password", "Your password reset code is"),
        }[purpose]
        body = (
            f"Hello {user['username']},\n\n{text}: {code}\n\n"
            "It is valid for 15 minutes. If you did not ask for it, ignore this message.\n"
        )
        self.mailer.send(Message(to=user["email"], subject=subject, body=body))

    def _use_code(
        self,
        user: dict[str, Any],
        purpose: str,
        code: str,
        *,
        then: dict[str, Any],
        bump_generation: bool = False,
    ) -> None:
        stored = user.get("code")
        if not stored or stored["purpose"] != purpose or stored["attempts"] >= CODE_MAX_ATTEMPTS:
            raise InvalidCode("The code is not valid; ask for a new one")
        if stored["expiresAt"] < self.clock.now():
            raise CodeExpired()
        expected = self._code_hash(user["username"], purpose, str(code))
        key = _user_key(user["username"])
        if not hmac.compare_digest(expected, stored["hash"]):
            # Counted against the stored code so parallel guesses cannot exceed the limit.
            self.table.update(
                *key,
                set={"code": {**stored, "attempts": stored["attempts"] + 1}},
                condition=AttributeEquals("code", stored),
            )
            raise InvalidCode()
        try:
            self.table.update(
                *key,
                set=then,
                add={"generation": 1} if bump_generation else {},
                remove=["code"],
                condition=AttributeEquals("code", stored),  # a code works once
            )
        except ConditionFailed:
            raise InvalidCode() from None

    def _issue(self, user: dict[str, Any]) -> Tokens:
        now = int(self.clock.now())
        common = {
            "iss": self.token_settings.issuer,
            "sub": user["sub"],
            "iat": now,
            "auth_time": now,
            "exp": now + self.access_ttl,
            "cognito:groups": list(user["groups"]),
        }
        headers = {"kid": self.kid}
        access = {
            **common,
            "token_use": "access",
            "client_id": self.token_settings.client_id,
            "username": user["username"],
            "jti": str(uuid.uuid4()),
        }
        identity = {
            **common,
            "token_use": "id",
            "aud": self.token_settings.client_id,
            "cognito:username": user["username"],
            "email": user["email"],
            "email_verified": bool(user["confirmed"]),
            "jti": str(uuid.uuid4()),
        }
        refresh_token = secrets.token_urlsafe(32)
        pk, sk = _refresh_key(refresh_token)
        self.table.put(
            {
                "PK": pk,
                "SK": sk,
                "username": user["username"],
                "sub": user["sub"],
                "generation": user["generation"],
                "expiresAt": now + self.refresh_ttl,
                "GSI1PK": f"IDP#SESSIONS#{user['sub']}",
                "GSI1SK": pk,
            }
        )
        return Tokens(
            access_token=jwt.encode(access, self._signing_key, algorithm="ES256", headers=headers),
            id_token=jwt.encode(identity, self._signing_key, algorithm="ES256", headers=headers),
            refresh_token=refresh_token,
            expires_in=self.access_ttl,
        )

    def _as_user(self, user: dict[str, Any]) -> IdentityUser:
        return IdentityUser(
            user_id=user["sub"],
            username=user["username"],
            email=user["email"],
            confirmed=bool(user["confirmed"]),
            enabled=bool(user["enabled"]),
            groups=frozenset(user["groups"]),
        )


def _verify_password(password_hash: str, password: str) -> bool:
    try:
        return PASSWORD_HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _load_signing_key(path: Path) -> ec.EllipticCurvePrivateKey:
    def new_key() -> bytes:
        return ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    key = serialization.load_pem_private_key(load_or_create_file(path, new_key), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise InvalidToken("The signing key is not an EC key")
    return key


def _public_jwk(private_key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    jwk: dict[str, str] = ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    # RFC 7638 thumbprint as the key id: stable for the key, different for a new one.
    members = {"crv": jwk["crv"], "kty": "EC", "x": jwk["x"], "y": jwk["y"]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
    kid = jwt.utils.base64url_encode(hashlib.sha256(canonical.encode()).digest()).decode()
    return {**jwk, "kid": kid, "alg": "ES256", "use": "sig"}
