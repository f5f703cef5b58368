"""One JWT verifier for both identity providers.

It checks the signature against the provider's JWKS (keys cached by ``kid``), allows
only asymmetric algorithms (so neither ``alg: none`` nor an HS256 token "signed" with
the public key passes), and checks issuer, audience/``client_id``, expiry (small
leeway) and ``token_use``.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import jwt
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from soundshelf.ports.identity import InvalidToken, JwksSource, TokenSettings

ALLOWED_ALGORITHMS = ("RS256", "ES256")
LEEWAY_SECONDS = 30
# Checking an ES256 signature costs ~100 us, about as much as the rest of a small request;
# a client sends the same access token many times, so good signatures are remembered.
SIGNATURE_CACHE_SIZE = 4096


def public_key_from_jwk(jwk: Mapping[str, Any]) -> Any:
    if jwk.get("kty") == "RSA":
        return RSAAlgorithm.from_jwk(dict(jwk))
    if jwk.get("kty") == "EC":
        return ECAlgorithm.from_jwk(dict(jwk))
    raise InvalidToken("Unsupported key type")


class StaticJwks:
    """Keys known in-process (the embedded provider's own, or a fixed JWKS document)."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._keys = {k["kid"]: public_key_from_jwk(k) for k in document.get("keys", [])}

    def key_for(self, kid: str) -> Any:
        try:
            return self._keys[kid]
        except KeyError:
            raise InvalidToken("Unknown signing key") from None


class HttpJwks:
    """A JWKS document fetched over HTTPS, cached, refetched at most once a minute for
    an unknown ``kid`` (key rotation) and otherwise every ``max_age`` seconds."""

    def __init__(
        self,
        url: str,
        *,
        max_age: float = 3600,
        fetch: Callable[[str], Mapping[str, Any]] | None = None,
    ) -> None:
        self.url = url
        self.max_age = max_age
        self._fetch = fetch or _fetch_json
        self._lock = threading.Lock()
        self._keys: StaticJwks | None = None
        self._fetched_at = 0.0

    def key_for(self, kid: str) -> Any:
        now = time.monotonic()
        if self._keys is None or now - self._fetched_at > self.max_age:
            self._refresh(now)
        assert self._keys is not None
        try:
            return self._keys.key_for(kid)
        except InvalidToken:
            if now - self._fetched_at < 60:
                raise
            self._refresh(now)
            return self._keys.key_for(kid)

    def _refresh(self, now: float) -> None:
        with self._lock:
            try:
                self._keys = StaticJwks(self._fetch(self.url))
            except (OSError, ValueError) as exc:
                raise InvalidToken("The signing keys cannot be fetched") from exc
            self._fetched_at = now


def _fetch_json(url: str) -> Mapping[str, Any]:
    if not url.startswith("https://"):
        raise ValueError("JWKS must be fetched over HTTPS")
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (https only)
        return json.load(response)


class JwtVerifier:
    def __init__(
        self,
        settings: TokenSettings,
        jwks: JwksSource,
        *,
        leeway: float = LEEWAY_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.jwks = jwks
        self.leeway = leeway
        self.clock = clock
        self._lock = threading.Lock()
        self._verified: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def verify(self, token: str, *, token_use: str = "access") -> dict[str, Any]:
        """The token's claims, or ``InvalidToken`` saying (vaguely) why not."""
        claims = self._signed_claims(token)
        now = self.clock()
        if not isinstance(claims["exp"], int | float) or claims["exp"] + self.leeway < now:
            raise InvalidToken("Token expired")
        if not isinstance(claims["iat"], int | float) or claims["iat"] - self.leeway > now:
            raise InvalidToken("Token issued in the future")
        if claims.get("token_use") != token_use:
            raise InvalidToken(f"An {token_use} token is required")
        # Cognito puts the app client in ``client_id`` on access tokens, ``aud`` on id tokens.
        audience = claims.get("client_id") if token_use == "access" else claims.get("aud")
        if audience != self.settings.client_id:
            raise InvalidToken("Token issued for another client")
        return dict(claims)

    def _signed_claims(self, token: str) -> Mapping[str, Any]:
        """Claims of a token whose signature and issuer are good (remembered, since they
        cannot change; times, use and audience are checked on every call)."""
        with self._lock:
            claims = self._verified.get(token)
            if claims is not None:
                self._verified.move_to_end(token)
                return claims
        claims = self._check_signature(token)
        with self._lock:
            self._verified[token] = claims
            if len(self._verified) > SIGNATURE_CACHE_SIZE:
                self._verified.popitem(last=False)
        return claims

    def _check_signature(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("Malformed token") from exc
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise InvalidToken("Token algorithm not allowed")
        key = self.jwks.key_for(str(header.get("kid", "")))
        try:
            # Times are checked in verify() against our clock (tests move it), not PyJWT's.
            return jwt.decode(
                token,
                key=key,
                algorithms=list(ALLOWED_ALGORITHMS),
                issuer=self.settings.issuer,
                options={
                    "require": ["exp", "iat", "iss", "sub", "token_use"],
                    "verify_aud": False,
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken("Token rejected") from exc
