"""CloudFront's side of signed URLs, for tests: checking a canned-policy URL as the edge
does (signature with the key group's public key, key pair id, expiry, the resource), and
a fake edge in front of an S3 store (moto) that forwards what the media cache policy
forwards, the way the distribution's behaviours and Origin Access Control do.

Written from CloudFront's documentation ("Create a signed URL using a canned policy"),
not from botocore's signer, so the two can disagree.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from soundshelf.adapters.cloudfront_urls import FORWARDED_QUERY

KEY_PAIR_ID = "K2JCJMDEHXQW5F"
_PRIVATE_KEY: rsa.RSAPrivateKey | None = None


def private_key() -> rsa.RSAPrivateKey:
    """One 2048-bit key for the whole test run (making one takes ~50 ms)."""
    global _PRIVATE_KEY
    if _PRIVATE_KEY is None:
        _PRIVATE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _PRIVATE_KEY


def private_pem() -> str:
    return (
        private_key()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,  # what `openssl genrsa` wrote
            serialization.NoEncryption(),
        )
        .decode()
    )


def public_pem() -> str:
    return (
        private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


class Refused(Exception):
    """What CloudFront answers 403 for."""


@dataclass(frozen=True)
class Checked:
    resource: str  # the URL without the signature parameters
    key: str  # the object key (the path, decoded)
    expires: int
    overrides: dict[str, str]  # the forwarded query parameters, decoded


def check(
    url: str,
    *,
    public_key: rsa.RSAPublicKey | None = None,
    key_pair_id: str = KEY_PAIR_ID,
    now: float | None = None,
) -> Checked:
    """Verify a canned-policy signed URL; raises ``Refused`` as CloudFront would."""
    split = urlsplit(url)
    pairs = [part.partition("=") for part in split.query.split("&") if part]
    signing = {
        name: value
        for name, _, value in pairs
        if name in {"Expires", "Signature", "Key-Pair-Id", "Policy"}
    }
    if "Policy" in signing:
        raise Refused("a custom policy; we sign with canned policies only")
    if set(signing) != {"Expires", "Signature", "Key-Pair-Id"}:
        raise Refused(f"missing signature parameters: {sorted(signing)}")
    names = [name for name, _, _ in pairs]
    if names[-3:] != ["Expires", "Signature", "Key-Pair-Id"]:
        raise Refused("the signature parameters must come last")
    if signing["Key-Pair-Id"] != key_pair_id:
        raise Refused(f"unknown key pair {signing['Key-Pair-Id']!r}")
    rest = "&".join(f"{n}{s}{v}" for n, s, v in pairs[:-3])
    resource = f"{split.scheme}://{split.netloc}{split.path}" + (f"?{rest}" if rest else "")
    expires = int(signing["Expires"])
    policy = json.dumps(
        {
            "Statement": [
                {"Resource": resource, "Condition": {"DateLessThan": {"AWS:EpochTime": expires}}}
            ]
        },
        separators=(",", ":"),
    ).encode()
    raw = signing["Signature"].replace("-", "+").replace("_", "=").replace("~", "/")
    key = public_key or private_key().public_key()
    try:
        key.verify(base64.b64decode(raw, validate=True), policy, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
    except (InvalidSignature, ValueError) as exc:
        raise Refused("the signature does not match the URL") from exc
    if (time.time() if now is None else now) >= expires:
        raise Refused("expired")
    overrides = {n: unquote(v, errors="strict") for n, _, v in pairs[:-3] if n in FORWARDED_QUERY}
    return Checked(resource, unquote(split.path.removeprefix("/")), expires, overrides)


class FakeEdge(httpx.BaseTransport):
    """An httpx transport: requests to ``domain`` are checked like CloudFront checks signed
    URLs and go to the bucket as the media behaviour sends them (the forwarded overrides
    only, signed like OAC signs); every other request goes out as usual."""

    def __init__(
        self,
        domain: str,
        s3_client: Any,
        bucket: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.domain = domain
        self.s3 = s3_client
        self.bucket = bucket
        self.clock = clock
        self.requests: list[Checked] = []
        self._out = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != self.domain:
            return self._out.handle_request(request)
        if request.method not in {"GET", "HEAD"}:
            return httpx.Response(403, text="method not allowed by the behaviour")
        url = f"https://{self.domain}{request.url.raw_path.decode('ascii')}"
        try:
            checked = check(url, now=self.clock())
        except Refused as exc:
            return httpx.Response(403, text=str(exc))
        self.requests.append(checked)
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": checked.key}
        names = {
            "response-content-disposition": "ResponseContentDisposition",
            "response-content-type": "ResponseContentType",
        }
        params |= {names[name]: value for name, value in checked.overrides.items()}
        origin_url = self.s3.generate_presigned_url("get_object", Params=params, ExpiresIn=60)
        headers = {k: v for k, v in request.headers.items() if k.lower() in {"range"}}
        origin = self._out.handle_request(
            httpx.Request(request.method, origin_url, headers=headers)
        )
        origin.read()
        return httpx.Response(
            origin.status_code,
            headers=[(k, v) for k, v in origin.headers.items() if k.lower() != "transfer-encoding"],
            content=origin.content,
        )

    def close(self) -> None:
        self._out.close()
