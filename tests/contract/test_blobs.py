"""One contract for every ``BlobStore``: the filesystem store and S3 (moto's server on
127.0.0.1, so presigned URLs are real HTTP), the latter also with downloads through
CloudFront signed URLs (a fake edge, ``tests/cloudfront.py``, checks them as CloudFront
does and forwards to moto). The suite's first half runs against all three; the second
half checks what moto does not enforce (signatures, expiry, size and type limits) and so
only our own filesystem adapter can be tested for; the last part checks the CloudFront
URLs themselves.

The S3 half runs against moto as a real HTTP server (``tests.support.moto_server``).
"""

from __future__ import annotations

import asyncio
import base64
import errno
import hashlib
import io
import json
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit
from uuid import uuid4

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec as ec_keys
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from soundshelf.adapters import fs_blob_server, fs_blobs
from soundshelf.adapters.cloudfront_urls import (
    FORWARDED_QUERY,
    SERVED_PREFIXES,
    CloudFrontUrls,
    SecretString,
    cloudfront_urls,
)
from soundshelf.adapters.content_disposition import content_disposition
from soundshelf.adapters.fs_blob_server import BlobHttpApp
from soundshelf.adapters.fs_blobs import CHUNK_SIZE, FsBlobStore
from soundshelf.adapters.s3_blobs import S3BlobStore
from soundshelf.errors import Conflict, RangeNotSatisfiable, ValidationFailed
from soundshelf.ports.blobs import (
    BlobInfo,
    BlobNotFound,
    BlobStore,
    CompletedPart,
    InvalidKey,
    PresignedUpload,
)
from tests import cloudfront
from tests.support import FakeClock, moto_server, use_fake_aws_credentials

MiB = 1024 * 1024
BASE_URL = "http://testserver"
SECRET = b"blob-url-test-secret-0123456789"
ODD_FILENAME = 'Café \u2013 日本語 "mix"; 100%.mp3'  # en dash, CJK, quotes, ; and %


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def pattern(size: int, seed: int = 0) -> bytes:
    """Bytes that differ everywhere, so a misplaced range or part cannot match."""
    return random.Random(seed).randbytes(size)


@dataclass
class Blobs:
    """One adapter and an HTTP client that can reach its presigned URLs."""

    kind: str
    store: BlobStore
    http: httpx.Client

    def upload(self, presigned: PresignedUpload, data: bytes) -> httpx.Response:
        """What a browser does with a ``PresignedUpload``."""
        if presigned.method == "PUT":
            return self.http.put(presigned.url, content=data, headers=presigned.headers)
        assert presigned.method == "POST"
        return self.http.post(
            presigned.url,
            data=presigned.fields,
            files={"file": ("upload.bin", data, "application/octet-stream")},
        )


# ------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fs_store(tmp_path: Path, clock: FakeClock) -> FsBlobStore:
    return FsBlobStore(tmp_path / "blobs", base_url=BASE_URL, secret=SECRET, clock=clock.now)


@pytest.fixture
def fs(fs_store: FsBlobStore) -> Iterator[Blobs]:
    app = Starlette(routes=[Mount(fs_store.mount_path, app=BlobHttpApp(fs_store))])
    with TestClient(app, base_url=BASE_URL) as http:
        yield Blobs("fs", fs_store, http)


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch, moto_endpoint: str) -> Iterator[Blobs]:
    use_fake_aws_credentials(monkeypatch)
    store = S3BlobStore(
        f"blobs-{uuid4().hex[:12]}",
        region="us-east-1",
        endpoint_url=moto_endpoint,
        create_if_missing=True,
    )
    with httpx.Client(trust_env=False, timeout=60) as http:
        yield Blobs("s3", store, http)
        http.post(f"{moto_endpoint}/moto-api/reset")  # free the test's objects


CDN_DOMAIN = "media.cdn.test"


@pytest.fixture
def s3_cloudfront(monkeypatch: pytest.MonkeyPatch, moto_endpoint: str) -> Iterator[Blobs]:
    """The S3 store with every download through CloudFront (prefixes: all keys)."""
    use_fake_aws_credentials(monkeypatch)
    bucket = f"blobs-{uuid4().hex[:12]}"
    cdn = CloudFrontUrls(
        CDN_DOMAIN, cloudfront.KEY_PAIR_ID, cloudfront.private_pem(), prefixes=("",)
    )
    store = S3BlobStore(
        bucket, region="us-east-1", endpoint_url=moto_endpoint, create_if_missing=True, cdn=cdn
    )
    edge = cloudfront.FakeEdge(CDN_DOMAIN, store.client, bucket)
    with httpx.Client(trust_env=False, timeout=60, transport=edge) as http:
        yield Blobs("s3+cloudfront", store, http)
        http.post(f"{moto_endpoint}/moto-api/reset")


@pytest.fixture(
    params=[
        "fs",
        pytest.param("s3", marks=pytest.mark.aws),
        pytest.param("s3_cloudfront", marks=pytest.mark.aws),
    ]
)
def blobs(request: pytest.FixtureRequest) -> Blobs:
    return request.getfixturevalue(request.param)


# ----------------------------------------------------------- the contract: both stores


def test_put_read_head_round_trip(blobs: Blobs) -> None:
    store = blobs.store
    info = store.put("tracks/1/original", b"ID3 some audio", content_type="audio/mpeg")

    assert (info.key, info.size, info.content_type) == ("tracks/1/original", 14, "audio/mpeg")
    assert info.etag == md5(b"ID3 some audio")
    assert store.read("tracks/1/original") == b"ID3 some audio"
    assert store.head("tracks/1/original") == info


def test_put_streams_a_file_object(blobs: Blobs) -> None:
    data = pattern(3 * MiB + 7)
    info = blobs.store.put("photos/p", io.BytesIO(data), content_type="image/jpeg")

    assert (info.size, info.content_type, info.etag) == (len(data), "image/jpeg", md5(data))
    assert blobs.store.read("photos/p") == data


def test_missing_key(blobs: Blobs) -> None:
    store = blobs.store
    assert store.head("nothing/here") is None
    with pytest.raises(BlobNotFound):
        store.read("nothing/here")
    with pytest.raises(BlobNotFound):
        store.open("nothing/here", start=3)


def test_delete(blobs: Blobs) -> None:
    store = blobs.store
    store.put("a/b/c", b"x", content_type="text/plain")
    store.put("a/b/d", b"y", content_type="text/plain")

    store.delete("a/b/c")
    store.delete("a/b/c")  # a missing key is not an error

    assert store.head("a/b/c") is None
    assert store.read("a/b/d") == b"y"
    assert list(store.list("a/")) == ["a/b/d"]


def test_list_by_prefix_in_byte_order(blobs: Blobs) -> None:
    store = blobs.store
    keys = ["a/b", "a-c", "a/a/z", "ab", "a.b", "b/a", "a/b0"]
    for key in keys:
        store.put(key, b"-", content_type="text/plain")

    assert list(store.list("")) == sorted(keys)
    assert list(store.list("a/")) == ["a/a/z", "a/b", "a/b0"]
    assert list(store.list("a/b")) == ["a/b", "a/b0"]
    assert list(store.list("a")) == sorted(k for k in keys if k.startswith("a"))
    assert list(store.list("zzz/")) == []


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (0, 0),  # the first byte
        (0, 99),  # the first bytes
        (1000, 1999),  # the middle
        (10_239, 10_239),  # the last byte
        (10_239, None),  # the last byte, open-ended
        (5000, None),  # to the end
        (10_000, 10**9),  # past the end: clamped, like HTTP
    ],
)
def test_ranged_reads(blobs: Blobs, start: int, end: int | None) -> None:
    data = pattern(10_240)
    blobs.store.put("r", data, content_type="application/octet-stream")

    got = b"".join(blobs.store.open("r", start=start, end=end))

    assert got == data[start : None if end is None else end + 1]


@pytest.mark.parametrize(("start", "end"), [(10_240, None), (20_000, 30_000), (5, 4), (-1, 3)])
def test_unsatisfiable_ranges(blobs: Blobs, start: int, end: int | None) -> None:
    blobs.store.put("r", pattern(10_240), content_type="application/octet-stream")
    with pytest.raises(RangeNotSatisfiable):
        b"".join(blobs.store.open("r", start=start, end=end))


def test_empty_object(blobs: Blobs) -> None:
    info = blobs.store.put("empty", b"", content_type="text/plain")
    assert info.size == 0
    assert blobs.store.read("empty") == b""


def test_streams_a_large_object_in_chunks(blobs: Blobs) -> None:
    data = pattern(20 * MiB, seed=2)
    blobs.store.put("big", data, content_type="audio/wav")
    expected = md5(data)
    del data

    digest, count, largest = hashlib.md5(usedforsecurity=False), 0, 0
    for chunk in blobs.store.open("big"):
        digest.update(chunk)
        count += 1
        largest = max(largest, len(chunk))

    assert digest.hexdigest() == expected
    assert largest <= CHUNK_SIZE
    assert count >= 20 * MiB // CHUNK_SIZE


def test_overwrite_is_atomic(blobs: Blobs) -> None:
    """Readers racing a writer see one whole version, and head() never mixes the size
    of one version with the ETag of the other."""
    store = blobs.store
    small, large = pattern(200_000, seed=3), pattern(900_000, seed=4)
    known = set()
    for data in (large, small):
        info = store.put("hot", data, content_type="audio/mpeg")
        known.add((info.size, info.etag))
    done = threading.Event()

    def write() -> None:
        try:
            for i in range(16):
                store.put("hot", large if i % 2 == 0 else small, content_type="audio/mpeg")
        finally:
            done.set()

    def read() -> int:
        reads = 0
        while not done.is_set():
            assert store.read("hot") in (small, large)
            info = store.head("hot")
            assert info is not None
            assert (info.size, info.etag) in known
            reads += 1
        return reads

    with ThreadPoolExecutor(3) as pool:
        readers = [pool.submit(read), pool.submit(read)]
        pool.submit(write).result()
        assert sum(r.result() for r in readers) > 0


def test_a_reader_keeps_the_version_it_started_with(blobs: Blobs) -> None:
    old, new = pattern(3 * CHUNK_SIZE, seed=10), pattern(3 * CHUNK_SIZE, seed=11)
    blobs.store.put("track", old, content_type="audio/mpeg")
    reader = blobs.store.open("track")
    first = next(reader)

    blobs.store.put("track", new, content_type="audio/mpeg")

    assert first + b"".join(reader) == old
    assert blobs.store.read("track") == new


class _FailingStream(io.RawIOBase):
    """A source that breaks after 1 MiB, like a dropped client connection."""

    def __init__(self) -> None:
        self.sent = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.sent >= MiB:
            raise OSError("connection reset")
        n = min(len(buffer), 64 * 1024)
        buffer[:n] = b"z" * n
        self.sent += n
        return n


def test_a_failed_write_keeps_the_old_object(blobs: Blobs) -> None:
    blobs.store.put("keep", b"old version", content_type="text/plain")

    with pytest.raises(OSError, match="connection reset"):
        blobs.store.put("keep", io.BufferedReader(_FailingStream()), content_type="text/plain")

    assert blobs.store.read("keep") == b"old version"


@pytest.mark.parametrize(
    "key",
    ["../x", "a/../../b", "/abs", "a//b", "a\\b", "", "a/", ".hidden", "a/./b", "ok\n", "a b"],
)
def test_unsafe_keys_are_refused(blobs: Blobs, key: str) -> None:
    store = blobs.store
    attempts: list[Callable[[], object]] = [
        lambda: store.put(key, b"x", content_type="text/plain"),
        lambda: store.read(key),
        lambda: store.open(key),
        lambda: store.head(key),
        lambda: store.delete(key),
        lambda: store.presign_upload(key, content_type="text/plain", size=10, ttl=60),
        lambda: store.presign_download(key, ttl=60),
        lambda: store.create_multipart(key, content_type="text/plain"),
    ]
    store.put("fine", b"x", content_type="text/plain")
    for attempt in attempts:
        with pytest.raises(InvalidKey):
            attempt()
    assert list(store.list("")) == ["fine"]


def test_unsafe_content_types_are_refused(blobs: Blobs) -> None:
    with pytest.raises(ValidationFailed):
        blobs.store.put("k", b"x", content_type="text/html\r\nSet-Cookie: a=b")
    with pytest.raises(ValidationFailed):
        blobs.store.presign_upload("k", content_type="nonsense", size=1, ttl=60)
    assert blobs.store.head("k") is None


# HTTP: presigned URLs used the way a browser uses them.


def test_presigned_upload_then_download(blobs: Blobs) -> None:
    data = pattern(300_000, seed=5)
    presigned = blobs.store.presign_upload(
        "uploads/u1", content_type="audio/mpeg", size=len(data), ttl=300
    )

    response = blobs.upload(presigned, data)

    assert response.status_code in (200, 201, 204), response.text
    info = blobs.store.head("uploads/u1")
    assert info is not None
    assert (info.size, info.content_type, info.etag) == (len(data), "audio/mpeg", md5(data))

    download = blobs.http.get(blobs.store.presign_download("uploads/u1", ttl=300))
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["content-type"] == "audio/mpeg"
    assert download.headers["content-length"] == str(len(data))


def test_download_of_a_range(blobs: Blobs) -> None:
    data = pattern(100_000, seed=6)
    blobs.store.put("song", data, content_type="audio/ogg")
    url = blobs.store.presign_download("song", ttl=300)

    middle = blobs.http.get(url, headers={"Range": "bytes=1000-1999"})
    tail = blobs.http.get(url, headers={"Range": "bytes=-10"})
    rest = blobs.http.get(url, headers={"Range": "bytes=99990-"})

    assert middle.status_code == 206
    assert middle.headers["content-range"] == "bytes 1000-1999/100000"
    assert middle.headers["content-length"] == "1000"
    assert middle.content == data[1000:2000]
    assert (tail.status_code, tail.content) == (206, data[-10:])
    assert tail.headers["content-range"] == "bytes 99990-99999/100000"
    assert (rest.status_code, rest.content) == (206, data[99_990:])


def test_download_with_a_filename(blobs: Blobs) -> None:
    blobs.store.put("song", b"music", content_type="audio/mpeg")
    url = blobs.store.presign_download(
        "song", ttl=300, filename=ODD_FILENAME, content_type="application/octet-stream"
    )

    response = blobs.http.get(url)

    assert response.status_code == 200
    assert response.content == b"music"
    assert response.headers["content-type"] == "application/octet-stream"
    disposition = response.headers["content-disposition"]
    assert disposition.isascii()
    kind, fallback, extended = (part.strip() for part in disposition.split("; filename"))
    assert kind == "attachment"
    assert fallback.startswith('="')
    assert fallback.endswith('"')
    assert '"' not in fallback[2:-1]
    assert "\\" not in fallback[2:-1]
    assert fallback.endswith('.mp3"')
    assert extended.startswith("*=UTF-8''")
    assert unquote(extended.removeprefix("*=UTF-8''"), errors="strict") == ODD_FILENAME


def test_the_same_download_link_is_handed_out_again(blobs: Blobs) -> None:
    # Within a window of a quarter of the lifetime (15 min here): pages of covers keep
    # their URLs, so browsers cache the images.
    blobs.store.put("cover", b"webp", content_type="image/webp")
    first = blobs.store.presign_download("cover", ttl=3600)
    assert blobs.store.presign_download("cover", ttl=3600) == first
    assert blobs.store.presign_download("cover", ttl=3600, content_type="image/png") != first
    assert blobs.http.get(first).content == b"webp"


def test_download_of_a_missing_object_is_404(blobs: Blobs) -> None:
    response = blobs.http.get(blobs.store.presign_download("never/uploaded", ttl=300))
    assert response.status_code == 404


def _upload_parts(blobs: Blobs, key: str, upload_id: str, parts: list[bytes]) -> list[str]:
    etags = []
    for number, body in enumerate(parts, start=1):
        url = blobs.store.presign_part(key, upload_id, number, size=len(body), ttl=300)
        response = blobs.http.put(url, content=body)
        assert response.status_code == 200, response.text
        etags.append(response.headers["etag"])
    return etags


def test_move_gives_an_object_another_key(blobs: Blobs) -> None:
    store = blobs.store
    data = pattern(70_000, seed=21)
    store.put("originals/u/1", data, content_type="audio/flac")
    store.put("originals/u/1.stored", b"older", content_type="text/plain")

    info = store.move("originals/u/1", "originals/u/1.stored")

    assert (info.key, info.size, info.content_type, info.etag) == (
        "originals/u/1.stored",
        len(data),
        "audio/flac",
        md5(data),
    )
    assert store.head("originals/u/1") is None
    assert store.head("originals/u/1.stored") == info
    assert store.read("originals/u/1.stored") == data
    assert list(store.list("originals/")) == ["originals/u/1.stored"]
    with pytest.raises(BlobNotFound):
        store.move("originals/u/1", "derived/u/1/again")
    assert store.head("derived/u/1/again") is None


def test_multipart_upload_through_presigned_parts(blobs: Blobs) -> None:
    parts = [pattern(5 * MiB, seed=7), pattern(5 * MiB, seed=8), pattern(12_345, seed=9)]
    upload_id = blobs.store.create_multipart("albums/a/master", content_type="audio/flac")

    etags = _upload_parts(blobs, "albums/a/master", upload_id, parts)
    info = blobs.store.complete_multipart(
        "albums/a/master", upload_id, [CompletedPart(n, e) for n, e in enumerate(etags, 1)]
    )

    whole = b"".join(parts)
    assert [e.strip('"') for e in etags] == [md5(p) for p in parts]
    assert (info.size, info.content_type) == (len(whole), "audio/flac")
    assert blobs.store.head("albums/a/master") == info
    assert blobs.store.read("albums/a/master") == whole


def test_multipart_refuses_bad_part_lists(blobs: Blobs) -> None:
    store = blobs.store
    upload_id = store.create_multipart("mp", content_type="audio/flac")
    first, second = _upload_parts(blobs, "mp", upload_id, [b"a" * 100, b"b" * 100])

    with pytest.raises(ValidationFailed):  # a part other than the last is under 5 MiB
        store.complete_multipart(
            "mp", upload_id, [CompletedPart(1, first), CompletedPart(2, second)]
        )
    with pytest.raises(ValidationFailed):  # not the ETag of what was uploaded
        store.complete_multipart("mp", upload_id, [CompletedPart(1, md5(b"other"))])
    with pytest.raises(ValidationFailed):  # out of order
        store.complete_multipart(
            "mp", upload_id, [CompletedPart(2, second), CompletedPart(1, first)]
        )
    with pytest.raises(ValidationFailed):
        store.complete_multipart("mp", upload_id, [])
    assert store.head("mp") is None

    # A single part may be small: it is the last one.
    info = store.complete_multipart("mp", upload_id, [CompletedPart(2, second)])
    assert store.read("mp") == b"b" * 100
    assert info.size == 100


def test_aborted_multipart_cannot_complete(blobs: Blobs, request: pytest.FixtureRequest) -> None:
    if blobs.kind.startswith("s3"):
        request.applymarker(
            pytest.mark.xfail(
                reason="moto answers 500 (KeyError) where S3 answers NoSuchUpload; "
                "test_s3_error_mapping covers the adapter's side",
                strict=True,
            )
        )
    store = blobs.store
    upload_id = store.create_multipart("gone", content_type="audio/flac")
    (etag,) = _upload_parts(blobs, "gone", upload_id, [b"part"])

    store.abort_multipart("gone", upload_id)
    store.abort_multipart("gone", upload_id)  # twice is fine

    with pytest.raises(BlobNotFound):
        store.complete_multipart("gone", upload_id, [CompletedPart(1, etag)])
    assert store.head("gone") is None


# ------------------------------------------------- what only our own adapter enforces


def _assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "about:blank"
    assert (body["status"], body["code"]) == (status, code)
    assert body["title"]
    assert body["detail"]


def _with_query(url: str, change: Callable[[list[tuple[str, str]]], list[tuple[str, str]]]) -> str:
    parts = urlsplit(url)
    query = change(parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _with_param(name: str, value: str) -> Callable[[list[tuple[str, str]]], list[tuple[str, str]]]:
    return lambda query: [(k, value if k == name else v) for k, v in query]


def _flip_last_char(query: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v[:-1] + ("A" if v[-1] != "A" else "B") if k == "sig" else v) for k, v in query]


def _expiry_of(url: str) -> int:
    return int(dict(parse_qsl(urlsplit(url).query))["exp"])


def test_an_expired_download_link_is_refused(fs: Blobs, clock: FakeClock) -> None:
    fs.store.put("song", b"music", content_type="audio/mpeg")
    url = fs.store.presign_download("song", ttl=60)
    expires = _expiry_of(url)
    assert clock.now() + 45 <= expires <= clock.now() + 60  # between 3/4 of ttl and ttl

    clock.advance(expires - clock.now() - 1)
    assert fs.http.get(url).status_code == 200
    clock.advance(2)
    _assert_problem(fs.http.get(url), 403, "expired")


def test_a_download_link_is_reused_for_a_quarter_of_its_lifetime(
    fs: Blobs, clock: FakeClock
) -> None:
    fs.store.put("song", b"music", content_type="audio/mpeg")
    clock.advance(-(clock.now() % 100))  # the start of a 100 s window (ttl 400)
    first = fs.store.presign_download("song", ttl=400)
    clock.advance(99)
    assert fs.store.presign_download("song", ttl=400) == first  # browsers cache it
    assert fs.store.presign_download("song", ttl=400, filename="a.mp3") != first
    clock.advance(1)
    later = fs.store.presign_download("song", ttl=400)
    assert later != first
    assert _expiry_of(later) == _expiry_of(first) + 100 == clock.now() + 400


def test_cache_lifetime_is_bounded_by_the_link(fs: Blobs, clock: FakeClock) -> None:
    fs.store.put("song", b"music", content_type="audio/mpeg")
    url = fs.store.presign_download("song", ttl=300)
    clock.advance(100)

    response = fs.http.get(url)

    max_age = _expiry_of(url) - int(clock.now())
    assert response.headers["cache-control"] == f"private, max-age={max_age}"
    assert response.headers["etag"] == f'"{md5(b"music")}"'
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(_flip_last_char, id="signature"),
        pytest.param(lambda q: [(k, v) for k, v in q if k != "sig"], id="no-signature"),
        pytest.param(_with_param("exp", "9999999999"), id="expiry"),
        pytest.param(_with_param("fn", "other.exe"), id="filename"),
        pytest.param(_with_param("ct", "text/html"), id="content-type"),
        pytest.param(lambda q: [*q, ("extra", "1")], id="added-param"),
        pytest.param(lambda q: [*q, q[0]], id="repeated-param"),
    ],
)
def test_a_tampered_download_link_is_refused(
    fs: Blobs, tamper: Callable[[list[tuple[str, str]]], list[tuple[str, str]]]
) -> None:
    fs.store.put("song", b"music", content_type="audio/mpeg")
    url = fs.store.presign_download("song", ttl=60, filename="a.mp3", content_type="audio/mpeg")
    assert fs.http.get(url).status_code == 200

    _assert_problem(fs.http.get(_with_query(url, tamper)), 403, "invalid_signature")


def test_a_link_for_one_key_cannot_fetch_another(fs: Blobs) -> None:
    fs.store.put("users/alice/song", b"alice's", content_type="audio/mpeg")
    fs.store.put("users/bob/song", b"bob's", content_type="audio/mpeg")
    url = fs.store.presign_download("users/alice/song", ttl=60)

    response = fs.http.get(url.replace("/users/alice/", "/users/bob/"))

    _assert_problem(response, 403, "invalid_signature")


def test_a_download_link_does_not_allow_uploads(fs: Blobs) -> None:
    fs.store.put("song", b"music", content_type="audio/mpeg")
    url = fs.store.presign_download("song", ttl=60)

    response = fs.http.put(url, content=b"evil")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert fs.store.read("song") == b"music"
    assert fs.http.delete(url).status_code == 405
    upload = fs.store.presign_upload("new", content_type="text/plain", size=10, ttl=60)
    assert fs.http.get(upload.url).status_code == 405


def test_an_unsatisfiable_range_is_416(fs: Blobs) -> None:
    fs.store.put("song", b"0123456789", content_type="audio/mpeg")
    url = fs.store.presign_download("song", ttl=60)

    response = fs.http.get(url, headers={"Range": "bytes=10-"})

    _assert_problem(response, 416, "range_not_satisfiable")
    assert response.headers["content-range"] == "bytes */10"
    # Ranges we do not serve (several, or malformed) get the whole object.
    for ignored in ("bytes=0-1,4-5", "bytes=5-2", "items=0-1"):
        whole = fs.http.get(url, headers={"Range": ignored})
        assert (whole.status_code, whole.content) == (200, b"0123456789")


def test_head_and_conditional_requests(fs: Blobs) -> None:
    fs.store.put("song", b"0123456789", content_type="audio/mpeg")
    url = fs.store.presign_download("song", ttl=60)
    etag = f'"{md5(b"0123456789")}"'

    head = fs.http.head(url)
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == "10"
    assert head.headers["etag"] == etag

    assert fs.http.get(url, headers={"If-None-Match": etag}).status_code == 304
    same = fs.http.get(url, headers={"Range": "bytes=0-1", "If-Range": etag})
    changed = fs.http.get(url, headers={"Range": "bytes=0-1", "If-Range": '"older"'})
    assert (same.status_code, same.content) == (206, b"01")
    assert (changed.status_code, changed.content) == (200, b"0123456789")


def test_an_upload_over_the_limit_is_413_and_leaves_nothing(fs: Blobs, tmp_path: Path) -> None:
    presigned = fs.store.presign_upload("big", content_type="audio/mpeg", size=1000, ttl=60)

    declared = fs.upload(presigned, b"x" * 1001)  # Content-Length says too much
    chunked = fs.http.put(  # no Content-Length: counted while streaming
        presigned.url, content=iter([b"x" * 600, b"x" * 600]), headers=presigned.headers
    )

    _assert_problem(declared, 413, "too_large")
    _assert_problem(chunked, 413, "too_large")
    assert fs.store.head("big") is None
    assert not [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert fs.upload(presigned, b"x" * 1000).status_code == 201  # exactly the limit is fine


def test_an_oversized_upload_is_not_read_to_the_end(fs_store: FsBlobStore) -> None:
    """The server answers 413 as soon as the body passes the limit, without draining it."""
    presigned = fs_store.presign_upload("big", content_type="audio/mpeg", size=MiB, ttl=60)
    url = urlsplit(presigned.url)
    chunks_offered = 1000  # 64 MiB in 64 KiB chunks
    received: list[int] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        received.append(1)
        more = len(received) < chunks_offered
        return {"type": "http.request", "body": b"x" * 65536, "more_body": more}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "PUT",
        "path": url.path,
        "root_path": "",
        "query_string": url.query.encode(),
        "headers": [(b"content-type", b"audio/mpeg")],
    }
    asyncio.run(BlobHttpApp(fs_store)(scope, receive, send))

    assert sent[0]["status"] == 413
    assert len(received) == MiB // 65536 + 1 < chunks_offered
    assert fs_store.head("big") is None


def test_an_upload_must_use_the_signed_content_type(fs: Blobs) -> None:
    presigned = fs.store.presign_upload("pic", content_type="image/png", size=100, ttl=60)

    response = fs.http.put(presigned.url, content=b"<svg/>", headers={"Content-Type": "text/html"})

    _assert_problem(response, 415, "content_type_mismatch")
    assert fs.store.head("pic") is None


def test_a_tampered_upload_link_is_refused(fs: Blobs, clock: FakeClock) -> None:
    presigned = fs.store.presign_upload("pic", content_type="image/png", size=100, ttl=60)
    bigger = _with_query(presigned.url, _with_param("size", "1000000"))
    elsewhere = presigned.url.replace("/pic?", "/other?")

    _assert_problem(
        fs.http.put(bigger, content=b"x", headers=presigned.headers), 403, "invalid_signature"
    )
    _assert_problem(
        fs.http.put(elsewhere, content=b"x", headers=presigned.headers), 403, "invalid_signature"
    )
    clock.advance(61)
    _assert_problem(fs.upload(presigned, b"x"), 403, "expired")
    assert fs.store.head("pic") is None
    assert fs.store.head("other") is None


def test_an_upload_link_writes_once(fs: Blobs) -> None:
    presigned = fs.store.presign_upload("once", content_type="text/plain", size=5, ttl=60)

    first = fs.upload(presigned, b"first")
    again = fs.upload(presigned, b"again")

    assert first.status_code == 201
    _assert_problem(again, 409, "conflict")
    assert fs.store.read("once") == b"first"


def test_an_upload_takes_exactly_its_declared_size(fs: Blobs, tmp_path: Path) -> None:
    presigned = fs.store.presign_upload("exact", content_type="text/plain", size=10, ttl=60)

    short = fs.upload(presigned, b"x" * 9)  # Content-Length says too little
    chunked = fs.http.put(  # no Content-Length: counted at the end of the body
        presigned.url, content=iter([b"x" * 4, b"x" * 5]), headers=presigned.headers
    )

    _assert_problem(short, 400, "size_mismatch")
    _assert_problem(chunked, 400, "size_mismatch")
    assert fs.store.head("exact") is None
    assert not [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert fs.upload(presigned, b"x" * 10).status_code == 201


def test_a_part_takes_exactly_its_signed_size(fs: Blobs) -> None:
    upload_id = fs.store.create_multipart("mp", content_type="audio/flac")
    url = fs.store.presign_part("mp", upload_id, 1, size=6, ttl=60)

    _assert_problem(fs.http.put(url, content=b"x" * 7), 413, "too_large")
    _assert_problem(fs.http.put(url, content=b"x" * 5), 400, "size_mismatch")
    _assert_problem(fs.http.put(url, content=iter([b"x" * 4, b"x" * 4])), 413, "too_large")
    assert fs.http.put(url, content=b"x" * 6).status_code == 200


def test_an_upload_link_writes_only_while_its_owner_accepts_bytes(fs: Blobs) -> None:
    store = fs.store
    assert isinstance(store, FsBlobStore)
    asked: list[str] = []
    open_keys = {"open"}

    def accepts(key: str) -> bool:
        asked.append(key)
        return key in open_keys

    store.watch_uploads(on_complete=lambda _key: None, accepts=accepts)
    closed = store.presign_upload("closed", content_type="text/plain", size=2, ttl=60)
    upload_id = store.create_multipart("closed", content_type="text/plain")
    part = store.presign_part("closed", upload_id, 1, size=2, ttl=60)

    _assert_problem(fs.upload(closed, b"ok"), 409, "upload_closed")
    _assert_problem(fs.http.put(part, content=b"ok"), 409, "upload_closed")
    assert store.head("closed") is None
    opened = store.presign_upload("open", content_type="text/plain", size=2, ttl=60)
    assert fs.upload(opened, b"ok").status_code == 201
    assert asked == ["closed", "closed", "open"]


def test_a_link_signed_with_a_size_cap_only_is_refused(fs: Blobs) -> None:
    """Links from before sizes were exact (``max``, 1 hour) are no longer honoured."""
    store = fs.store
    assert isinstance(store, FsBlobStore)
    old = store._url(
        "legacy", {"op": "put", "exp": str(int(time.time()) + 3600), "max": "100", "ct": "a/b"}
    )

    response = fs.http.put(old, content=b"x", headers={"Content-Type": "a/b"})

    _assert_problem(response, 403, "invalid_signature")
    assert store.head("legacy") is None


def _temp_file(folder: Path, name: str, *, age: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"partial")
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def test_temp_files_left_by_a_crash_are_swept_when_the_store_starts(tmp_path: Path) -> None:
    root = tmp_path / "media"
    stale_after = fs_blobs.STALE_TEMP_AFTER
    stale = [
        _temp_file(root / "originals" / "u", ".1.abc123.tmp", age=stale_after + 60),
        _temp_file(root / ".meta" / "originals" / "u", ".1.json.x.tmp", age=stale_after + 60),
        _temp_file(root / ".uploads" / ("0" * 32), ".00001.part.y.tmp", age=stale_after + 60),
    ]
    recent = _temp_file(root / "derived" / "u" / "1", ".high.m4a.z.tmp", age=60)
    not_ours = _temp_file(root / "derived" / "u" / "1", "notes.tmp", age=stale_after + 60)
    kept = [recent, not_ours]
    # Another process's write in progress, silent for longer than the age rule: its lock
    # keeps it.
    writing = fs_blobs.AtomicFile(root / "derived" / "u" / "2" / "slow")
    writing.write(b"still coming")
    os.utime(writing.path, (time.time() - 2 * stale_after,) * 2)
    kept.append(writing.path)

    FsBlobStore(root, base_url=BASE_URL, secret=SECRET).temp_sweep.join()

    assert [path.exists() for path in stale] == [False, False, False]
    assert [path.exists() for path in kept] == [True, True, True]
    writing.discard()
    assert fs_blobs.sweep_stale_temp_files(root) == 0


def test_upload_completion_hook(fs: Blobs, caplog: pytest.LogCaptureFixture) -> None:
    store = fs.store
    assert isinstance(store, FsBlobStore)
    completed: list[str] = []
    store.watch_uploads(on_complete=completed.append, accepts=lambda _key: True)

    presigned = store.presign_upload("u/1", content_type="audio/mpeg", size=10, ttl=60)
    assert fs.upload(presigned, b"x" * 11).status_code == 413
    assert fs.upload(presigned, b"x" * 10).status_code == 201
    upload_id = store.create_multipart("u/2", content_type="audio/mpeg")
    (etag,) = _upload_parts(fs, "u/2", upload_id, [b"part"])
    store.complete_multipart("u/2", upload_id, [CompletedPart(1, etag)])
    assert completed == ["u/1", "u/2"]

    def broken_hook(key: str) -> None:
        raise RuntimeError("queue down")

    store.watch_uploads(on_complete=broken_hook, accepts=lambda _key: True)
    response = fs.upload(
        store.presign_upload("u/3", content_type="audio/mpeg", size=2, ttl=60), b"ok"
    )
    assert response.status_code == 201  # the bytes are stored; the hook failure is logged
    assert store.read("u/3") == b"ok"
    assert "queue down" in caplog.text


def test_a_part_link_is_bound_to_its_upload(fs: Blobs) -> None:
    store = fs.store
    upload_id = store.create_multipart("mp", content_type="audio/flac")
    other_id = store.create_multipart("mp", content_type="audio/flac")
    url = store.presign_part("mp", upload_id, 1, size=1, ttl=60)

    moved = _with_query(url, _with_param("uploadId", other_id))
    renumbered = _with_query(url, _with_param("partNumber", "2"))

    _assert_problem(fs.http.put(moved, content=b"x"), 403, "invalid_signature")
    _assert_problem(fs.http.put(renumbered, content=b"x"), 403, "invalid_signature")
    with pytest.raises(BlobNotFound):  # an upload id belongs to one key
        store.presign_part("other-key", upload_id, 1, size=1, ttl=60)


def _generated_part(number: int, size: int) -> Iterator[bytes]:
    block = hashlib.sha256(str(number).encode()).digest() * (MiB // 32)
    for _ in range(size // MiB):
        yield block


def test_a_100_mib_multipart_upload(fs: Blobs) -> None:
    sizes = [16 * MiB] * 6 + [4 * MiB]
    expected = hashlib.md5(usedforsecurity=False)
    for number, size in enumerate(sizes, 1):
        for block in _generated_part(number, size):
            expected.update(block)
    upload_id = fs.store.create_multipart("masters/long", content_type="audio/wav")

    parts = []
    for number, size in enumerate(sizes, 1):
        url = fs.store.presign_part("masters/long", upload_id, number, size=size, ttl=600)
        response = fs.http.put(url, content=_generated_part(number, size))
        assert response.status_code == 200
        parts.append(CompletedPart(number, response.headers["etag"]))
    info = fs.store.complete_multipart("masters/long", upload_id, parts)

    assert info.size == 100 * MiB
    digest = hashlib.md5(usedforsecurity=False)
    for chunk in fs.store.open("masters/long"):
        digest.update(chunk)
    assert digest.hexdigest() == expected.hexdigest() == info.etag


def test_a_symlink_cannot_lead_out_of_the_root(fs_store: FsBlobStore, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"private")
    (tmp_path / "blobs" / "evil").symlink_to(outside)

    with pytest.raises(InvalidKey):
        fs_store.read("evil/secret")
    with pytest.raises(InvalidKey):
        fs_store.put("evil/new", b"x", content_type="text/plain")
    assert not (outside / "new").exists()
    assert list(fs_store.list("")) == []


@pytest.mark.parametrize(
    ("link", "target", "key"),
    [
        pytest.param("in", "real", "in/song", id="folder-inside-root"),
        pytest.param("out", "../outside", "out/secret", id="folder-outside-root"),
        pytest.param("deep/in", "../real", "deep/in/song", id="nested-folder"),
        pytest.param("alias", "real/song", "alias", id="file-inside-root"),
        pytest.param("leak", "../outside/secret", "leak", id="file-outside-root"),
    ],
)
def test_no_symlink_is_followed_on_reads(
    fs: Blobs, fs_store: FsBlobStore, tmp_path: Path, link: str, target: str, key: str
) -> None:
    """Reads open the key one segment at a time without following links: a symlink
    anywhere on the path is refused, even one that stays inside the root."""
    root = tmp_path / "blobs"
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret").write_bytes(b"private")
    fs_store.put("real/song", b"music", content_type="audio/mpeg")
    fs_store.put("deep/other", b"-", content_type="audio/mpeg")
    (root / link).symlink_to(target)

    for attempt in (
        lambda: fs_store.read(key),
        lambda: fs_store.open(key, start=1),
        lambda: fs_store.head(key),
    ):
        with pytest.raises(InvalidKey):
            attempt()
    response = fs.http.get(fs_store.presign_download(key, ttl=60))
    _assert_problem(response, 400, "invalid_key")
    assert fs_store.head("copied") is None
    assert fs_store.read("real/song") == b"music"


def test_a_symlinked_sidecar_is_not_read(fs_store: FsBlobStore, tmp_path: Path) -> None:
    (tmp_path / "fake.json").write_text(json.dumps({"content_type": "text/html", "etag": "x"}))
    fs_store.put("song", b"music", content_type="audio/mpeg")
    sidecar = tmp_path / "blobs" / ".meta" / "song.json"
    sidecar.unlink()
    sidecar.symlink_to(tmp_path / "fake.json")

    info = fs_store.head("song")

    assert info is not None
    assert (info.etag, info.content_type) == (md5(b"music"), "application/octet-stream")


def test_only_regular_files_are_objects(fs: Blobs, fs_store: FsBlobStore, tmp_path: Path) -> None:
    fs_store.put("folder/song", b"music", content_type="audio/mpeg")
    if hasattr(os, "mkfifo"):  # opening a FIFO for reading would block until a writer came
        os.mkfifo(tmp_path / "blobs" / "pipe")
        assert fs_store.head("pipe") is None
        with pytest.raises(BlobNotFound):
            fs_store.read("pipe")

    assert fs_store.head("folder") is None
    assert fs_store.head("folder/song/deeper") is None
    assert fs.http.get(fs_store.presign_download("folder", ttl=60)).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/blobs/../outside/secret",
        "/blobs/a/../../outside/secret",
        "/blobs//etc/passwd",
        "/blobs/./outside",
        "/blobs/a\\..\\..\\outside",
        "/blobs/.meta/song.json",
    ],
)
def test_a_signed_url_cannot_name_a_path_outside_the_objects(
    fs_store: FsBlobStore, tmp_path: Path, path: str
) -> None:
    """Even with a valid signature (the secret leaked, say), a key that could leave the
    objects' folder is refused before anything is opened."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret").write_bytes(b"private")
    fs_store.put("song", b"music", content_type="audio/mpeg")
    key = path.removeprefix("/blobs/")
    query = fs_store.signer.query(key, {"op": "get", "exp": str(int(time.time()) + 60)})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "root_path": "",
        "query_string": query.encode(),
        "headers": [],
    }
    asyncio.run(BlobHttpApp(fs_store)(scope, receive, send))

    assert sent[0]["status"] == 404
    assert b"private" not in b"".join(m.get("body", b"") for m in sent)


@pytest.fixture
def settled_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cache descriptions of files of any age (normally only of files older than 1 s)."""
    monkeypatch.setattr(fs_blobs, "_SETTLED_NS", 0)


def _count_sidecar_reads(monkeypatch: pytest.MonkeyPatch, store: FsBlobStore) -> list[str]:
    reads: list[str] = []
    read_meta = store._read_meta

    def counting(key: str) -> dict[str, object] | None:
        reads.append(key)
        return read_meta(key)

    monkeypatch.setattr(store, "_read_meta", counting)
    return reads


def test_a_fresh_file_is_described_by_its_sidecar_every_time(
    fs_store: FsBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = _count_sidecar_reads(monkeypatch, fs_store)
    fs_store.put("song", b"music", content_type="audio/mpeg")

    fs_store.head("song")
    fs_store.head("song")

    assert reads == ["song", "song"]


@pytest.mark.usefixtures("settled_now")
def test_a_cached_description_holds_for_its_file_version_only(
    fs: Blobs, fs_store: FsBlobStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = _count_sidecar_reads(monkeypatch, fs_store)
    first = fs_store.put("song", b"version 1", content_type="audio/mpeg")
    url = fs_store.presign_download("song", ttl=60)

    assert fs_store.head("song") == first
    assert fs.http.get(url).headers["etag"] == f'"{first.etag}"'
    assert fs.http.head(url).status_code == 200
    assert reads == ["song"]  # then from the cache

    second = fs_store.put("song", b"version 2", content_type="audio/ogg")  # same size
    assert second.etag != first.etag
    assert fs_store.head("song") == second
    response = fs.http.get(url)
    assert (response.content, response.headers["content-type"]) == (b"version 2", "audio/ogg")
    assert response.headers["etag"] == f'"{second.etag}"'

    # Replaced behind the store's back (another process, a crash between renames).
    replacement = tmp_path / "replacement"
    replacement.write_bytes(b"version 3")
    os.replace(replacement, tmp_path / "blobs" / "song")
    assert fs.http.get(url).headers["etag"] == f'"{md5(b"version 3")}"'

    fs_store.delete("song")
    assert fs_store.head("song") is None
    assert fs.http.get(url).status_code == 404
    fs_store.put("song", b"version 4", content_type="audio/mpeg")
    assert fs.http.get(url).headers["etag"] == f'"{md5(b"version 4")}"'


def test_the_description_cache_is_bounded() -> None:
    cache = fs_blobs._InfoCache(size=3)
    old = os.stat(__file__)  # a file older than the settling time
    for n in range(5):
        cache.put(f"k{n}", old, BlobInfo(f"k{n}", old.st_size, "text/plain", "e"), "date")
    cache.get("k2", old)  # recently used: kept

    cache.put("k5", old, BlobInfo("k5", old.st_size, "text/plain", "e"), "date")

    assert [k for k in ("k0", "k1", "k2", "k3", "k4", "k5") if cache.get(k, old)] == [
        "k2",
        "k4",
        "k5",
    ]


def _no_nowait_support(*args: object) -> int:
    raise OSError(errno.EOPNOTSUPP, "not here")


def _not_in_the_page_cache(*args: object) -> int:
    raise BlockingIOError(errno.EAGAIN, "would block")


def _half_in_the_page_cache(fd: int, buffers: list[memoryview], offset: int, flags: int) -> int:
    (view,) = buffers
    half = max(1, len(view) // 2)
    view[:half] = os.pread(fd, half, offset)
    return half


@pytest.mark.parametrize(
    "preadv",
    [
        pytest.param(None, id="page-cache-reads-on-the-loop"),
        pytest.param(_not_in_the_page_cache, id="disk-reads-in-threads"),
        pytest.param(_half_in_the_page_cache, id="short-reads"),
        pytest.param(_no_nowait_support, id="no-RWF_NOWAIT"),
    ],
)
def test_downloads_whatever_the_page_cache_holds(
    fs: Blobs, monkeypatch: pytest.MonkeyPatch, preadv: Callable[..., int] | None
) -> None:
    if fs_blob_server._NOWAIT is None:
        pytest.skip("reads go to threads on this platform anyway")
    # Restored after the test: the no-RWF_NOWAIT case turns it off for good.
    monkeypatch.setattr(fs_blob_server, "_NOWAIT", fs_blob_server._NOWAIT)
    if preadv is not None:
        monkeypatch.setattr(os, "preadv", preadv)
    data = pattern(3 * CHUNK_SIZE + 12_345, seed=9)
    fs.store.put("long", data, content_type="audio/flac")
    url = fs.store.presign_download("long", ttl=60)

    whole = fs.http.get(url)
    first, last = CHUNK_SIZE - 100, 2 * CHUNK_SIZE + 100  # across two chunk boundaries
    middle = fs.http.get(url, headers={"Range": f"bytes={first}-{last}"})

    assert (whole.status_code, whole.content) == (200, data)
    assert (middle.status_code, middle.content) == (206, data[first : last + 1])
    if preadv is _no_nowait_support:
        assert fs_blob_server._NOWAIT is None  # stopped trying


def test_a_stale_sidecar_is_rebuilt(fs_store: FsBlobStore, tmp_path: Path) -> None:
    """A crash between the data and sidecar renames: the sidecar describes old bytes."""
    fs_store.put("song", b"old bytes", content_type="audio/mpeg")
    replacement = tmp_path / "replacement"
    replacement.write_bytes(b"new, longer bytes")
    os.replace(replacement, tmp_path / "blobs" / "song")

    info = fs_store.head("song")

    assert info is not None
    assert (info.size, info.etag, info.content_type) == (
        17,
        md5(b"new, longer bytes"),
        "audio/mpeg",
    )
    sidecar = json.loads((tmp_path / "blobs" / ".meta" / "song.json").read_bytes())
    assert sidecar["etag"] == info.etag


def test_filesystem_layout(fs_store: FsBlobStore, tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    fs_store.put("a/b/c", b"x", content_type="text/plain")
    assert (root / "a" / "b" / "c").read_bytes() == b"x"  # plain files, easy to back up

    fs_store.delete("a/b/c")
    assert not (root / "a").exists()  # emptied folders go, like S3's implicit ones
    assert not (root / ".meta" / "a").exists()

    fs_store.put("a", b"x", content_type="text/plain")
    with pytest.raises(Conflict):  # a file cannot also be a folder
        fs_store.put("a/b", b"y", content_type="text/plain")
    assert not [p for p in root.rglob("*.tmp")]


def test_s3_uploads_carry_a_size_and_type_policy(s3: Blobs) -> None:
    """moto does not enforce POST policies, so check that we ask S3 to."""
    presigned = s3.store.presign_upload("k", content_type="audio/mpeg", size=1234, ttl=60)

    policy = json.loads(base64.b64decode(presigned.fields["policy"]))

    assert presigned.method == "POST"
    assert presigned.fields["Content-Type"] == "audio/mpeg"
    assert ["content-length-range", 1234, 1234] in policy["conditions"]  # exactly
    assert {"Content-Type": "audio/mpeg"} in policy["conditions"]


def test_s3_part_links_sign_their_length(s3: Blobs) -> None:
    """moto ignores it; S3 refuses a part whose Content-Length is not the signed one."""
    upload_id = s3.store.create_multipart("k", content_type="audio/flac")

    url = s3.store.presign_part("k", upload_id, 1, size=5 * MiB, ttl=60)

    query = dict(parse_qsl(urlsplit(url).query))
    assert query["X-Amz-SignedHeaders"].split(";") == ["content-length", "host"]
    assert query["X-Amz-Expires"] == "60"


def test_s3_error_mapping() -> None:
    """S3 answers moto cannot produce, checked with botocore's Stubber."""
    client = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    store = S3BlobStore("bucket", region="us-east-1", client=client)
    with Stubber(client) as stub:
        stub.add_client_error("complete_multipart_upload", "NoSuchUpload", http_status_code=404)
        stub.add_client_error("complete_multipart_upload", "InvalidPartOrder")
        stub.add_client_error("abort_multipart_upload", "NoSuchUpload", http_status_code=404)
        stub.add_client_error("head_object", "AccessDenied", http_status_code=403)

        with pytest.raises(BlobNotFound):
            store.complete_multipart("k", "id", [CompletedPart(1, md5(b"x"))])
        with pytest.raises(ValidationFailed):
            store.complete_multipart("k", "id", [CompletedPart(1, md5(b"x"))])
        store.abort_multipart("k", "id")
        with pytest.raises(ClientError):  # not "missing": a permissions problem must show
            store.head("k")
        stub.assert_no_pending_responses()


# ---------------------------------------- the S3 store's downloads through CloudFront


def _cdn(prefixes: tuple[str, ...] = SERVED_PREFIXES, **kwargs: Any) -> CloudFrontUrls:
    return CloudFrontUrls(
        CDN_DOMAIN, cloudfront.KEY_PAIR_ID, cloudfront.private_pem(), prefixes=prefixes, **kwargs
    )


def _offline_s3(clock: FakeClock, cdn: CloudFrontUrls | None = None) -> S3BlobStore:
    """An S3 store that can sign but never reaches anything (no request is made)."""
    client = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    return S3BlobStore("bucket", region="us-east-1", client=client, cdn=cdn, clock=clock.now)


def test_a_cloudfront_url_verifies_with_the_key_groups_public_key() -> None:
    url = _cdn().sign(
        "derived/u1/t1/high.m4a",
        expires=2_000_000_000,
        content_disposition=content_disposition(ODD_FILENAME),
        content_type="audio/mp4",
    )

    public = serialization.load_pem_public_key(cloudfront.public_pem().encode())
    checked = cloudfront.check(url, public_key=public, now=1_999_999_999)

    # https://{domain}/{key}?overrides&Expires&Signature&Key-Pair-Id, the overrides signed.
    assert url.startswith(f"https://{CDN_DOMAIN}/derived/u1/t1/high.m4a?")
    assert checked.key == "derived/u1/t1/high.m4a"
    assert checked.expires == 2_000_000_000
    assert checked.overrides == {
        "response-content-disposition": content_disposition(ODD_FILENAME),
        "response-content-type": "audio/mp4",
    }
    names = [pair.partition("=")[0] for pair in urlsplit(url).query.split("&")]
    assert names == [*FORWARDED_QUERY, "Expires", "Signature", "Key-Pair-Id"]
    # Only unreserved characters and escapes: a browser sends it byte for byte as signed.
    assert set(urlsplit(url).query) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%&="
    )
    with pytest.raises(cloudfront.Refused, match="expired"):
        cloudfront.check(url, public_key=public, now=2_000_000_000)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    with pytest.raises(cloudfront.Refused, match="signature"):
        cloudfront.check(url, public_key=other, now=0)


@pytest.mark.parametrize(
    "change",
    [
        _with_param("response-content-type", "text%2Fhtml"),
        _with_param("response-content-disposition", "inline"),
        _with_param("Expires", "2100000000"),
        _with_param("Key-Pair-Id", "KOTHERKEY"),
        lambda query: [(n, v) for n, v in query if n != "response-content-type"],
    ],
)
def test_a_tampered_cloudfront_url_is_refused(
    change: Callable[[list[tuple[str, str]]], list[tuple[str, str]]],
) -> None:
    url = _cdn().sign(
        "originals/u1/up1",
        expires=2_000_000_000,
        content_disposition="attachment",
        content_type="audio/flac",
    )
    cloudfront.check(url, now=0)
    with pytest.raises(cloudfront.Refused):
        cloudfront.check(_with_query(url, change), now=0)
    moved = url.replace("/originals/u1/up1?", "/originals/u1/up2?")
    with pytest.raises(cloudfront.Refused):
        cloudfront.check(moved, now=0)


def test_a_cloudfront_url_expires_at_its_windows_start_plus_the_ttl() -> None:
    clock = FakeClock(1_700_000_123.5)
    store = _offline_s3(clock, _cdn())
    ttl = 900
    first = store.presign_download("derived/u/t/cover-medium.webp", ttl=ttl)
    expires = cloudfront.check(first, now=clock.now()).expires
    window = int(clock.now()) // (ttl // 4) * (ttl // 4)
    assert expires == window + ttl
    assert 3 * ttl / 4 < expires - clock.now() <= ttl

    clock.advance(window + ttl // 4 - 1 - clock.now())  # the window's last second
    assert store.presign_download("derived/u/t/cover-medium.webp", ttl=ttl) == first
    clock.advance(1)
    second = store.presign_download("derived/u/t/cover-medium.webp", ttl=ttl)
    assert cloudfront.check(second, now=clock.now()).expires == expires + ttl // 4

    # Deterministic: another container (another store, same key) signs the same URL.
    assert (
        _offline_s3(clock, _cdn()).presign_download("derived/u/t/cover-medium.webp", ttl=ttl)
        == second
    )


def test_keys_the_distribution_does_not_serve_get_presigned_s3_urls() -> None:
    store = _offline_s3(FakeClock(), _cdn())
    export = store.presign_download("exports/u1/x1.zip", ttl=300, filename="export.zip")
    assert urlsplit(export).hostname == "bucket.s3.amazonaws.com"  # presigned by S3
    for prefix in SERVED_PREFIXES:
        assert urlsplit(store.presign_download(f"{prefix}u1/x1", ttl=300)).hostname == CDN_DOMAIN
    without = _offline_s3(FakeClock()).presign_download("derived/u1/x1", ttl=300)
    assert urlsplit(without).hostname == "bucket.s3.amazonaws.com"  # no CloudFront: S3


def test_cloudfront_downloads_go_through_the_edge_with_their_overrides(
    s3_cloudfront: Blobs,
) -> None:
    s3_cloudfront.store.put("song", b"music", content_type="audio/mpeg")
    url = s3_cloudfront.store.presign_download(
        "song", ttl=300, filename="Song.mp3", content_type="application/octet-stream"
    )
    assert urlsplit(url).hostname == CDN_DOMAIN

    response = s3_cloudfront.http.get(url)
    tampered = s3_cloudfront.http.get(
        _with_query(url, _with_param("response-content-type", "text%2Fhtml"))
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith('attachment; filename="Song.mp3"')
    assert tampered.status_code == 403  # the edge refuses it; S3 never sees it


def test_the_private_key_is_read_once_on_first_use() -> None:
    reads = []

    def source() -> str:
        reads.append(1)
        return cloudfront.private_pem()

    cdn = CloudFrontUrls(CDN_DOMAIN, cloudfront.KEY_PAIR_ID, source)
    store = _offline_s3(FakeClock(), cdn)
    assert reads == []  # building the app reads nothing
    for n in range(3):
        store.presign_download(f"derived/u/t{n}/thumb.webp", ttl=300)
    assert reads == [1]


def test_only_an_rsa_key_signs_cloudfront_urls() -> None:
    ec = ec_keys.generate_private_key(ec_keys.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(ValueError, match="RSA"):
        CloudFrontUrls(CDN_DOMAIN, cloudfront.KEY_PAIR_ID, ec).sign("derived/x", expires=1)
    with pytest.raises(ValueError, match="host name"):
        CloudFrontUrls(f"https://{CDN_DOMAIN}", cloudfront.KEY_PAIR_ID, ec)


@pytest.mark.aws
def test_the_private_key_comes_from_secrets_manager(fake_aws: None) -> None:
    secrets = boto3.client("secretsmanager", region_name="us-east-1")
    arn = secrets.create_secret(
        Name="soundshelf/media-signing-key", SecretString=cloudfront.private_pem()
    )["ARN"]
    cdn = cloudfront_urls(
        domain=CDN_DOMAIN,
        key_pair_id=cloudfront.KEY_PAIR_ID,
        private_key_secret=arn,
        region="us-east-1",
    )
    assert cdn is not None
    assert isinstance(cdn._private_key, SecretString)

    url = cdn.sign("originals/u1/up1", expires=2_000_000_000)

    assert cloudfront.check(url, now=0).key == "originals/u1/up1"
