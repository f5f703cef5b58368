"""Signed CloudFront URLs for media the S3 store serves through the stack's distribution.

The distribution (infra/template.yaml) serves ``derived/*`` and ``originals/*`` from the
media bucket through Origin Access Control, only with URLs signed by a key of its trusted
key group. The URLs use a *canned* policy (the resource is the whole URL, ``DateLessThan``
its expiry) signed with RSA-SHA1, as CloudFront requires, by botocore's
``CloudFrontSigner``.

S3's response overrides travel in the URL's own query string (``response-content-
disposition``, ``response-content-type``): they are part of the signed resource, so nobody
can change them, and the media cache policy puts exactly these two in the cache key, which
is what makes CloudFront forward them to S3 (and keep one cache entry per variant). S3
honours them because CloudFront's requests to it are signed (OAC).

The private key comes from Secrets Manager on first use (the first signed URL of a
container), never from the template or the function's configuration.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# The query parameters S3 answers with response headers, in the order they appear in a
# URL; the template's media cache policy forwards exactly these (tests/infra checks it).
FORWARDED_QUERY = ("response-content-disposition", "response-content-type")
# The distribution's media behaviours. Other keys (exports/: one-off personal data zips
# that no edge should keep) are not behind it, and get presigned S3 URLs.
SERVED_PREFIXES = ("derived/", "originals/")
_DOMAIN_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+")

PrivateKeySource = str | bytes | Callable[[], str | bytes]


class CloudFrontUrls:
    """Signs URLs of ``https://{domain}/{key}`` with the private key of ``key_pair_id``
    (the id of the public key in the distribution's trusted key group)."""

    def __init__(
        self,
        domain: str,
        key_pair_id: str,
        private_key: PrivateKeySource,
        *,
        prefixes: tuple[str, ...] = SERVED_PREFIXES,
    ) -> None:
        if not _DOMAIN_RE.fullmatch(domain):
            raise ValueError(f"not a host name: {domain!r} (give the domain, without https://)")
        if not key_pair_id or not key_pair_id.isalnum():
            raise ValueError(f"not a CloudFront public key id: {key_pair_id!r}")
        self.domain = domain.lower()
        self.key_pair_id = key_pair_id
        self.prefixes = prefixes
        self._private_key = private_key
        self._signer: CloudFrontSigner | None = None
        self._lock = threading.Lock()

    def serves(self, key: str) -> bool:
        return key.startswith(self.prefixes)

    def sign(
        self,
        key: str,
        *,
        expires: int,
        content_disposition: str | None = None,
        content_type: str | None = None,
    ) -> str:
        """A URL of ``key`` valid until ``expires`` (epoch seconds). The same arguments
        always give the same URL (PKCS #1 v1.5 signatures are deterministic)."""
        query = [
            (name, value)
            for name, value in zip(
                FORWARDED_QUERY, (content_disposition, content_type), strict=True
            )
            if value
        ]
        # Everything but unreserved characters escaped: the browser must send the URL
        # byte for byte as signed (it would escape a ' in a query string itself).
        encoded = "&".join(f"{name}={quote(value, safe='')}" for name, value in query)
        url = f"https://{self.domain}/{quote(key, safe='/')}" + (f"?{encoded}" if encoded else "")
        return self._cloudfront_signer().generate_presigned_url(
            url, date_less_than=datetime.fromtimestamp(expires, UTC)
        )

    def _cloudfront_signer(self) -> CloudFrontSigner:
        if self._signer is None:
            with self._lock:
                if self._signer is None:
                    self._signer = CloudFrontSigner(self.key_pair_id, _rsa_sha1(self._load_key()))
        return self._signer

    def _load_key(self) -> rsa.RSAPrivateKey:
        source = self._private_key
        pem = source() if callable(source) else source
        key = serialization.load_pem_private_key(
            pem.encode() if isinstance(pem, str) else pem, password=None
        )
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("CloudFront signed URLs need an RSA private key (2048 bits)")
        return key


def _rsa_sha1(key: rsa.RSAPrivateKey) -> Callable[[bytes], bytes]:
    def sign(message: bytes) -> bytes:
        # SHA-1 is what CloudFront verifies signed URLs with; it is not our choice.
        return key.sign(message, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303

    return sign


class SecretString:
    """The string value of a Secrets Manager secret, fetched when called."""

    def __init__(self, secret_id: str, *, region: str, client: Any = None) -> None:
        self.secret_id = secret_id
        self._region = region
        self._client = client

    def __call__(self) -> str:
        if self._client is None:
            import boto3

            self._client = boto3.session.Session().client(
                "secretsmanager", region_name=self._region
            )
        return str(self._client.get_secret_value(SecretId=self.secret_id)["SecretString"])


def cloudfront_urls(
    *, domain: str, key_pair_id: str, private_key_secret: str, region: str
) -> CloudFrontUrls | None:
    """The signer the settings ask for: None without any of them (S3 presigned URLs),
    an error with only some."""
    given = {
        "SOUNDSHELF_MEDIA_CDN_DOMAIN": domain,
        "SOUNDSHELF_MEDIA_CDN_KEY_PAIR_ID": key_pair_id,
        "SOUNDSHELF_MEDIA_CDN_PRIVATE_KEY_SECRET": private_key_secret,
    }
    if not any(given.values()):
        return None
    if missing := [name for name, value in given.items() if not value]:
        raise ValueError(f"media through CloudFront also needs {', '.join(missing)}")
    return CloudFrontUrls(domain, key_pair_id, SecretString(private_key_secret, region=region))
