"""HMAC-SHA256 signed URLs of the filesystem ``BlobStore``: ``FsBlobStore`` signs them,
``BlobHttpApp`` (``fs_blob_server``) checks them before serving a byte."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from urllib.parse import quote, urlencode

_SIGNATURE_VERSION = "v1"
_OPS = frozenset({"get", "put", "part"})


class SignatureRejected(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class UrlSigner:
    """HMAC-SHA256 over ``v1``, the key and every query parameter but ``sig``."""

    def __init__(self, secret: bytes, clock: Callable[[], float]) -> None:
        if len(secret) < 16:
            raise ValueError("the URL signing secret must be at least 16 bytes")
        self._secret = secret
        self._clock = clock

    def sign(self, key: str, params: dict[str, str]) -> str:
        canonical = "\n".join(
            [_SIGNATURE_VERSION, key, urlencode(sorted(params.items()), quote_via=quote)]
        )
        digest = hmac.new(self._secret, canonical.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def query(self, key: str, params: dict[str, str]) -> str:
        signed = [*params.items(), ("sig", self.sign(key, params))]
        return urlencode(signed, quote_via=quote)

    def verify(self, key: str, pairs: list[tuple[str, str]]) -> dict[str, str]:
        """The signed parameters, or ``SignatureRejected``; the signature is checked
        before the expiry so an unsigned URL learns nothing."""
        params: dict[str, str] = {}
        for name, value in pairs:
            if name in params:  # ambiguous: which one did we sign?
                raise SignatureRejected("invalid_signature", f"repeated parameter {name!r}")
            params[name] = value
        sig = params.pop("sig", "")
        if not sig:
            raise SignatureRejected("invalid_signature", "the link is not signed")
        expected = self.sign(key, params)
        if not hmac.compare_digest(expected.encode(), sig.encode()):
            raise SignatureRejected("invalid_signature", "the link signature is not valid")
        exp = params.get("exp", "")
        if not exp.isascii() or not exp.isdigit() or params.get("op") not in _OPS:
            raise SignatureRejected("invalid_signature", "the link is malformed")
        if self._clock() > int(exp):
            raise SignatureRejected("expired", "the link has expired")
        return params

    def seconds_left(self, params: dict[str, str]) -> int:
        """How long a link that passed ``verify`` stays valid (its answers' max-age)."""
        return max(0, int(params["exp"]) - int(self._clock()))
