"""CORS open to every origin on the Subsonic API and on signed media URLs.

Browser-based Subsonic clients (Feishin, and its desktop app by default) run on their own
origin and call ``/rest/`` from it, then play the media it links to. Their credentials
travel in the query or form, never in cookies, and a signed media URL is its own
credential, so any origin may read these answers: nothing a page could not already do
with the credentials it holds. Credentials mode stays off (no
``Access-Control-Allow-Credentials``), so a browser never attaches this site's cookies.
Other Subsonic servers answer the same way. The rest of the API keeps its configured
origins (``web_origins``).
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

OPEN_PREFIXES = ("/rest/", "/blobs/")
_REST_METHODS = b"GET, HEAD, POST, OPTIONS"
_BLOB_METHODS = b"GET, HEAD, PUT, OPTIONS"  # PUT: a signed upload URL (write once)
_EXPOSED = b"Accept-Ranges, Content-Length, Content-Range, Content-Type, ETag"
_TOKEN_LIST = re.compile(rb"^[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$")
_MAX_AGE = b"86400"  # a day: a client's preflights are answered from its cache


class OpenCorsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(OPEN_PREFIXES):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        asks = b"access-control-request-method" in headers or scope["path"].startswith("/rest/")
        if scope["method"] == "OPTIONS" and asks:
            methods = _REST_METHODS if scope["path"].startswith("/rest/") else _BLOB_METHODS
            await _preflight(headers, methods, send)
            return

        async def send_open(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if not name.lower().startswith(b"access-control-")
                ]
                kept += [
                    (b"access-control-allow-origin", b"*"),
                    (b"access-control-expose-headers", _EXPOSED),
                ]
                message = {**message, "headers": kept}
            await send(message)

        await self.app(scope, receive, send_open)


async def _preflight(headers: dict[bytes, bytes], methods: bytes, send: Send) -> None:
    answer = [
        (b"access-control-allow-origin", b"*"),
        (b"access-control-allow-methods", methods),
        (b"access-control-max-age", _MAX_AGE),
        (b"allow", methods),
        (b"content-length", b"0"),
    ]
    # Whatever headers the client will send (Range for seeking, Content-Type for a form),
    # as long as they are a plain list of header names.
    requested = headers.get(b"access-control-request-headers", b"").strip()
    if requested and len(requested) <= 1000 and _TOKEN_LIST.match(requested):
        answer.append((b"access-control-allow-headers", requested))
    await send({"type": "http.response.start", "status": 204, "headers": answer})
    await send({"type": "http.response.body", "body": b""})
