"""The one verifier refuses every kind of forged or misused token."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from soundshelf.adapters.jwt_verifier import HttpJwks, JwtVerifier, StaticJwks
from soundshelf.ports.identity import InvalidToken, TokenSettings

ISSUER = "https://idp.example"
CLIENT = "web-client"
SETTINGS = TokenSettings(issuer=ISSUER, client_id=CLIENT, jwks_url=None)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(private_key: Any, kid: str) -> dict[str, Any]:
    algo = ECAlgorithm if isinstance(private_key, ec.EllipticCurvePrivateKey) else RSAAlgorithm
    return {**algo.to_jwk(private_key.public_key(), as_dict=True), "kid": kid}


JWKS = StaticJwks({"keys": [jwk(EC_KEY, "ec1"), jwk(RSA_KEY, "rsa1")]})


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "sub": "user-1",
        "iat": now,
        "exp": now + 3600,
        "token_use": "access",
        "client_id": CLIENT,
        "username": "ada",
    }
    return {**base, **overrides}


def sign(payload: dict[str, Any], key: Any = EC_KEY, alg: str = "ES256", kid: str = "ec1") -> str:
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid})


verifier = JwtVerifier(SETTINGS, JWKS)


def test_valid_ec_and_rsa_tokens_pass() -> None:
    assert verifier.verify(sign(claims()))["username"] == "ada"
    assert verifier.verify(sign(claims(), RSA_KEY, "RS256", "rsa1"))["sub"] == "user-1"


def test_id_token_checks_aud_instead_of_client_id() -> None:
    token = sign(claims(token_use="id", aud=CLIENT, client_id=None))
    assert verifier.verify(token, token_use="id")["sub"] == "user-1"
    with pytest.raises(InvalidToken):
        verifier.verify(token)  # not an access token


def test_expired_token_is_refused() -> None:
    old = int(time.time()) - 7200
    with pytest.raises(InvalidToken, match="expired"):
        verifier.verify(sign(claims(iat=old, exp=old + 3600)))


def test_token_issued_in_the_future_is_refused() -> None:
    later = int(time.time()) + 600
    with pytest.raises(InvalidToken):
        verifier.verify(sign(claims(iat=later, exp=later + 3600)))


def test_token_signed_with_another_key_is_refused() -> None:
    stranger = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(InvalidToken):
        verifier.verify(sign(claims(), stranger))


def test_unknown_kid_is_refused() -> None:
    with pytest.raises(InvalidToken):
        verifier.verify(sign(claims(), kid="nope"))


def test_alg_none_is_refused() -> None:
    header = base64.urlsafe_b64encode(b'{"alg":"none","kid":"ec1"}').rstrip(b"=")
    body = base64.urlsafe_b64encode(json.dumps(claims()).encode()).rstrip(b"=")
    with pytest.raises(InvalidToken):
        verifier.verify(f"{header.decode()}.{body.decode()}.")


def test_hs256_made_with_the_public_key_is_refused() -> None:
    public_pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # PyJWT refuses to sign HS256 with a PEM, so build the token by hand as an attacker would.
    import hashlib
    import hmac

    header = base64.urlsafe_b64encode(b'{"alg":"HS256","kid":"rsa1","typ":"JWT"}').rstrip(b"=")
    body = base64.urlsafe_b64encode(json.dumps(claims()).encode()).rstrip(b"=")
    signing_input = header + b"." + body
    signature = base64.urlsafe_b64encode(
        hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    ).rstrip(b"=")
    with pytest.raises(InvalidToken):
        verifier.verify((signing_input + b"." + signature).decode())


def test_wrong_issuer_is_refused() -> None:
    with pytest.raises(InvalidToken):
        verifier.verify(sign(claims(iss="https://evil.example")))


def test_other_client_is_refused() -> None:
    with pytest.raises(InvalidToken):
        verifier.verify(sign(claims(client_id="another-app")))


def test_tampered_payload_is_refused() -> None:
    header, _, signature = sign(claims()).split(".")
    forged = base64.urlsafe_b64encode(json.dumps(claims(sub="admin")).encode()).rstrip(b"=")
    with pytest.raises(InvalidToken):
        verifier.verify(f"{header}.{forged.decode()}.{signature}")


def test_missing_token_use_is_refused() -> None:
    payload = claims()
    del payload["token_use"]
    with pytest.raises(InvalidToken):
        verifier.verify(sign(payload))


@pytest.mark.parametrize("garbage", ["", "a.b", "a.b.c", "....", "\x00", "e" * 10000])
def test_garbage_is_refused(garbage: str) -> None:
    with pytest.raises(InvalidToken):
        verifier.verify(garbage)


def test_http_jwks_is_fetched_once_and_refetched_for_a_new_kid_after_a_minute() -> None:
    fetched: list[str] = []
    documents = [{"keys": [jwk(EC_KEY, "ec1")]}, {"keys": [jwk(EC_KEY, "ec1"), jwk(RSA_KEY, "r2")]}]

    def fetch(url: str) -> dict[str, Any]:
        fetched.append(url)
        return documents[min(len(fetched) - 1, 1)]

    source = HttpJwks("https://idp.example/jwks.json", fetch=fetch)
    source.key_for("ec1")
    source.key_for("ec1")
    assert len(fetched) == 1  # cached
    with pytest.raises(InvalidToken):
        source.key_for("r2")  # unknown, and fetched less than a minute ago
    source._fetched_at -= 61
    assert source.key_for("r2") is not None
    assert len(fetched) == 2


class CountingJwks:
    def __init__(self) -> None:
        self.lookups = 0

    def key_for(self, kid: str) -> Any:
        self.lookups += 1
        return JWKS.key_for(kid)


def test_a_good_signature_is_checked_once_but_times_and_use_on_every_call() -> None:
    now = [time.time()]
    keys = CountingJwks()
    remembering = JwtVerifier(SETTINGS, keys, clock=lambda: now[0])
    token = sign(claims())
    first = remembering.verify(token)
    first["sub"] = "someone-else"  # the caller's copy, not the remembered claims
    assert remembering.verify(token)["sub"] == "user-1"
    assert keys.lookups == 1
    with pytest.raises(InvalidToken, match="id token"):
        remembering.verify(token, token_use="id")
    now[0] += 2 * 3600
    with pytest.raises(InvalidToken, match="expired"):
        remembering.verify(token)


def test_a_bad_signature_is_checked_again_every_time() -> None:
    keys = CountingJwks()
    remembering = JwtVerifier(SETTINGS, keys)
    forged = sign(claims(), ec.generate_private_key(ec.SECP256R1()))
    for _ in range(2):
        with pytest.raises(InvalidToken):
            remembering.verify(forged)
    assert keys.lookups == 2
