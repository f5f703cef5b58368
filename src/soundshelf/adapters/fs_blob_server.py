"""The HTTP side of the filesystem ``BlobStore``: a raw ASGI app that serves its signed
URLs, mounted at the store's ``mount_path`` by the composition root.

GET and HEAD download (one ``Range``, ``If-None-Match``, ``If-Range``); PUT stores an
upload or one part of a multipart upload: exactly the size and the content type the URL
was signed with, only while the store's ``accepts_upload`` says the upload is open, and
an upload only onto a key that holds nothing yet (an upload URL writes once). Bytes go
in and out through ``FsBlobStore``'s public methods only.

A download of cached bytes runs on the event loop without a thread (``RWF_NOWAIT``
reads); only what needs the disk, or a sidecar not cached yet, goes to a thread.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qsl

import anyio.lowlevel
import anyio.to_thread
from starlette.types import Message, Receive, Scope, Send

from soundshelf.adapters.content_disposition import content_disposition
from soundshelf.adapters.fs_blob_signing import SignatureRejected
from soundshelf.adapters.fs_blobs import (
    CHUNK_SIZE,
    AtomicFile,
    FsBlobStore,
    OpenVersion,
)
from soundshelf.errors import DomainError, RangeNotSatisfiable
from soundshelf.ports.blobs import InvalidKey, check_key

log = logging.getLogger(__name__)

_WRITE_BUFFER = 1024 * 1024  # request bytes gathered before one threaded write
_RANGE_RE = re.compile(r"bytes=(\d*)-(\d*)", re.ASCII)
# A byte offset has at most 19 digits (2**63); a longer number lies past any object, and
# is not parsed (int() of thousands of digits is slow, and refused past 4,300 digits).
_MAX_OFFSET_DIGITS = 19
_PAST_ANY_OBJECT = 10**_MAX_OFFSET_DIGITS


class _HttpError(Exception):
    def __init__(
        self, status: int, code: str, detail: str, headers: Sequence[tuple[str, str]] = ()
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers


def _not_allowed(allow: str) -> _HttpError:
    return _HttpError(405, "method_not_allowed", "method not allowed here", [("allow", allow)])


_ALLOW = {"get": "GET, HEAD", "put": "PUT", "part": "PUT"}
# User uploads come from this origin: never let a browser run them.
_UNTRUSTED_CONTENT_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", b"sandbox"),
)


@dataclass
class _Request:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]

    @classmethod
    def from_scope(cls, scope: Scope, mount_path: str) -> _Request:
        path, root = scope["path"], scope.get("root_path", "")
        if root and path.startswith(root + "/"):
            path = path[len(root) :]  # mounted: Starlette keeps the full path
        elif not root and path.startswith(mount_path + "/"):
            path = path[len(mount_path) :]  # served on its own at mount_path
        query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        return cls(scope["method"], path.removeprefix("/"), query, headers)


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``(start, end)`` for a single ``bytes=`` range, ``None`` to send the whole object
    (no range, a syntax we ignore, or several ranges); ``RangeNotSatisfiable`` if the
    range lies past the end."""
    match = _RANGE_RE.fullmatch(header.replace(" ", ""))
    if not match or match.group(1) == match.group(2) == "":
        return None
    first, last = (_offset(digits) for digits in match.groups())
    if first is None:  # suffix: the last N bytes
        if last == 0 or size == 0:
            raise RangeNotSatisfiable(header)
        return max(0, size - last), size - 1
    if last is not None and last < first:
        return None  # invalid, so ignored (RFC 9110 §14.2)
    if first >= size:
        raise RangeNotSatisfiable(header)
    return first, size - 1 if last is None else min(last, size - 1)


def _offset(digits: str) -> int | None:
    if not digits:
        return None
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= _MAX_OFFSET_DIGITS else _PAST_ANY_OBJECT


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    return header.strip() == "*" or etag in (t.strip() for t in header.split(","))


class BlobHttpApp:
    """Raw ASGI app: signed GET/HEAD downloads, PUT uploads and PUT parts."""

    def __init__(self, store: FsBlobStore) -> None:
        self._store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        request = _Request.from_scope(scope, self._store.mount_path)
        try:
            await self._dispatch(request, receive, tracked_send)
        except (_HttpError, DomainError, OSError) as err:
            if started:
                raise
            await _send_problem(send, _as_http_error(err), head=request.method == "HEAD")

    async def _dispatch(self, request: _Request, receive: Receive, send: Send) -> None:
        if request.method not in ("GET", "HEAD", "PUT"):
            raise _not_allowed("GET, HEAD, PUT")
        key = request.path
        try:
            check_key(key)
        except InvalidKey:
            raise _HttpError(404, "blob_not_found", "no such object") from None
        try:
            params = self._store.signer.verify(key, request.query)
        except SignatureRejected as err:
            raise _HttpError(403, err.code, err.detail) from None
        op = params["op"]
        if op == "get" and request.method in ("GET", "HEAD"):
            await self._download(request, key, params, send)
        elif op == "put" and request.method == "PUT":
            await self._upload(request, key, params, receive, send)
        elif op == "part" and request.method == "PUT":
            await self._upload_part(request, key, params, receive, send)
        else:
            raise _not_allowed(_ALLOW[op])

    # -- downloads

    async def _download(
        self, request: _Request, key: str, params: dict[str, str], send: Send
    ) -> None:
        store = self._store
        # On the event loop: opening a file whose folders are cached takes microseconds,
        # less than the hop to a thread; only a description not cached yet needs one.
        fd, stat = store.open_current(key)
        try:
            version = store.cached_version(key, fd, stat) or await anyio.to_thread.run_sync(
                store.describe, key, fd, stat
            )
            await self._send_version(request, version, params, send)
        finally:
            os.close(fd)

    async def _send_version(
        self, request: _Request, version: OpenVersion, params: dict[str, str], send: Send
    ) -> None:
        info = version.info
        etag = f'"{info.etag}"'
        last_modified = version.last_modified
        max_age = self._store.signer.seconds_left(params)
        headers = [
            (b"accept-ranges", b"bytes"),
            (b"etag", etag.encode("latin-1")),
            (b"last-modified", last_modified.encode("latin-1")),
            (b"cache-control", b"private, max-age=%d" % max_age),
            (b"content-type", (params.get("ct") or info.content_type).encode("latin-1")),
            *_UNTRUSTED_CONTENT_HEADERS,
        ]
        if params.get("fn"):
            headers.append((b"content-disposition", content_disposition(params["fn"]).encode()))
        if _matches(request.headers.get("if-none-match"), etag):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return

        byte_range = None
        range_header = request.headers.get("range")
        if_range = request.headers.get("if-range")
        if range_header and (not if_range or if_range.strip() in (etag, last_modified)):
            try:
                byte_range = parse_range(range_header, info.size)
            except RangeNotSatisfiable:
                raise _HttpError(
                    416,
                    "range_not_satisfiable",
                    f"the object has {info.size} bytes",
                    [("content-range", f"bytes */{info.size}")],
                ) from None
        if byte_range is None:
            status, offset, length = 200, 0, info.size
        else:
            status, offset, length = 206, byte_range[0], byte_range[1] - byte_range[0] + 1
            content_range = b"bytes %d-%d/%d" % (byte_range[0], byte_range[1], info.size)
            headers.append((b"content-range", content_range))
        headers.append((b"content-length", b"%d" % length))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if request.method == "HEAD" or length == 0:
            await send({"type": "http.response.body", "body": b""})
            return
        await _stream(send, version.fd, offset, length)

    # -- uploads

    async def _upload(
        self,
        request: _Request,
        key: str,
        params: dict[str, str],
        receive: Receive,
        send: Send,
    ) -> None:
        content_type = params["ct"]
        if request.headers.get("content-type") != content_type:
            raise _HttpError(
                415, "content_type_mismatch", f"this upload must be sent as {content_type}"
            )
        size = _signed_size(params)
        _check_declared_length(request, size)
        await self._check_open(key)
        tmp = await anyio.to_thread.run_sync(self._store.new_file, key)
        with tmp:
            if not await _receive_into(tmp, receive, size):
                return  # the client went away: keep nothing, answer nothing
            info = await anyio.to_thread.run_sync(self._store.commit_upload, key, tmp, content_type)
        await _send_empty(send, 201, [("etag", f'"{info.etag}"')])

    async def _check_open(self, key: str) -> None:
        if not await anyio.to_thread.run_sync(self._store.may_upload, key):
            raise _HttpError(409, "upload_closed", "this upload no longer accepts bytes")

    async def _upload_part(
        self,
        request: _Request,
        key: str,
        params: dict[str, str],
        receive: Receive,
        send: Send,
    ) -> None:
        number = params.get("partNumber", "")
        if not number.isascii() or not number.isdigit():
            raise _HttpError(400, "bad_request", "partNumber must be a number")
        size = _signed_size(params)
        _check_declared_length(request, size)
        await self._check_open(key)
        tmp = await anyio.to_thread.run_sync(
            self._store.new_part_file, key, params.get("uploadId", ""), int(number)
        )
        with tmp:
            if not await _receive_into(tmp, receive, size):
                return
            etag = await anyio.to_thread.run_sync(self._store.commit_part, tmp, int(number))
        await _send_empty(send, 200, [("etag", f'"{etag}"')])


def _signed_size(params: dict[str, str]) -> int:
    """The exact size the link was signed for (links signed before sizes were exact,
    with a cap only, are no longer honoured)."""
    size = params.get("size", "")
    if not size.isascii() or not size.isdigit() or len(size) > 15:
        raise _HttpError(403, "invalid_signature", "this upload link is no longer valid")
    return int(size)


def _too_large(size: int) -> _HttpError:
    return _HttpError(413, "too_large", f"this upload takes exactly {size} bytes, no more")


def _check_declared_length(request: _Request, size: int) -> None:
    """Refuse before reading a byte when Content-Length already says another size."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit():
        if len(declared) > 15 or int(declared) > size:
            raise _too_large(size)
        if int(declared) < size:
            raise _HttpError(400, "size_mismatch", f"this upload takes exactly {size} bytes")


async def _receive_into(tmp: AtomicFile, receive: Receive, size: int) -> bool:
    """Stream the request body into ``tmp``; ``False`` if the client disconnected.
    Stops reading as soon as the body passes ``size`` (413); a shorter body is 400."""
    buffer = bytearray()
    total = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return False
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > size:
            raise _too_large(size)
        buffer += chunk
        more = message.get("more_body", False)
        if buffer and (len(buffer) >= _WRITE_BUFFER or not more):
            await anyio.to_thread.run_sync(tmp.write, buffer)
            buffer = bytearray()  # the thread is done with the old one
        if not more:
            if total < size:
                raise _HttpError(
                    400, "size_mismatch", f"this upload takes exactly {size} bytes, not {total}"
                )
            return True


_NOWAIT = getattr(os, "RWF_NOWAIT", None)  # Linux ≥ 4.14: fail instead of waiting for the disk
_read_buffers = threading.local()  # one reusable buffer per thread (per event loop)


def _pread_cached(fd: int, size: int, offset: int) -> bytes | None:
    """Up to ``size`` bytes at ``offset`` if the page cache holds at least the first of
    them, read without blocking (so on the event loop); ``None`` when the disk is needed
    (or the platform cannot tell), so the caller reads in a thread instead."""
    global _NOWAIT
    if _NOWAIT is None:
        return None
    buffer = getattr(_read_buffers, "buffer", None)
    if buffer is None or len(buffer) < size:
        buffer = _read_buffers.buffer = bytearray(max(size, CHUNK_SIZE))
    view = memoryview(buffer)
    try:
        count = os.preadv(fd, [view[:size]], offset, _NOWAIT)
    except BlockingIOError:
        return None
    except OSError as err:
        if err.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
            raise
        _NOWAIT = None  # this kernel or filesystem cannot: threads from now on
        return None
    return bytes(view[:count])  # a copy: the buffer is reused by the next read


async def _stream(send: Send, fd: int, offset: int, length: int) -> None:
    """``length`` bytes from ``offset``: read on the event loop while the page cache has
    them (one body message for a 256 KiB range), in a thread when the disk is needed."""
    while length > 0:
        size = min(CHUNK_SIZE, length)
        chunk = _pread_cached(fd, size, offset)
        if chunk is None:
            chunk = await anyio.to_thread.run_sync(os.pread, fd, size, offset)
        if not chunk:  # cannot happen with an open, never-rewritten file; be safe
            break
        offset += len(chunk)
        length -= len(chunk)
        await send({"type": "http.response.body", "body": chunk, "more_body": length > 0})
        if length > 0:
            # A client that reads as fast as we write never pauses the transport, and a
            # cached read does not wait: let the other requests run between chunks.
            await anyio.lowlevel.checkpoint()
    if length > 0:
        await send({"type": "http.response.body", "body": b""})


async def _start(send: Send, status: int, headers: Sequence[tuple[str, str]]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        }
    )


async def _send_empty(send: Send, status: int, headers: list[tuple[str, str]]) -> None:
    await _start(send, status, [*headers, ("content-length", "0")])
    await send({"type": "http.response.body", "body": b""})


def _as_http_error(err: Exception) -> _HttpError:
    if isinstance(err, _HttpError):
        return err
    if isinstance(err, DomainError):
        return _HttpError(err.status, err.code, err.detail)
    log.exception("blob storage failed", exc_info=err)
    return _HttpError(500, "storage_error", "the object store failed; try again")


async def _send_problem(send: Send, err: _HttpError, *, head: bool) -> None:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": HTTPStatus(err.status).phrase,
            "status": err.status,
            "detail": err.detail,
            "code": err.code,
        }
    ).encode()
    headers = [
        ("content-type", "application/problem+json"),
        ("content-length", str(len(body))),
        ("cache-control", "no-store"),
        *err.headers,
    ]
    await _start(send, err.status, headers)
    await send({"type": "http.response.body", "body": b"" if head else body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
