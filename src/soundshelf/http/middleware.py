"""Pure ASGI middleware (cheaper than BaseHTTPMiddleware on every request)."""

from __future__ import annotations

import ipaddress
import logging
import re
import time
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from ulid import ULID

from soundshelf import client_origin
from soundshelf.http.origin import request_origin
from soundshelf.logs import request_id_var

log = logging.getLogger("soundshelf.access")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")

# The web app has no inline script and loads nothing from elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    # No page of ours uses these powerful features; nothing framed or injected may either.
    (
        b"permissions-policy",
        b"camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
        b"magnetometer=(), gyroscope=(), accelerometer=(), interest-cohort=()",
    ),
    # A page opened from ours (or opening ours) gets no handle on our window.
    (b"cross-origin-opener-policy", b"same-origin"),
]
# Sent only on answers that came over TLS: two years, as the HSTS preload list asks.
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")


class TrustedProxies:
    """The addresses (or networks) of the reverse proxies whose ``X-Forwarded-Proto`` is
    believed; anyone else could claim ``https`` to a plain-HTTP listener."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self.networks = [ipaddress.ip_network(entry, strict=False) for entry in entries]

    def includes(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)


def request_scheme(scope: Scope, headers: dict[bytes, bytes], proxies: TrustedProxies) -> str:
    """``https`` when the request reached us over TLS, directly or through a trusted proxy
    that says so (``X-Forwarded-Proto``); else ``http``."""
    if scope.get("scheme") == "https":
        return "https"
    client = scope.get("client")
    if client and proxies.includes(client[0]):
        # A chain of proxies lists one protocol each; the first is the client's own hop.
        forwarded = headers.get(b"x-forwarded-proto", b"").split(b",")[0].strip().lower()
        if forwarded == b"https":
            return "https"
    return "http"


class RequestContextMiddleware:
    """Gives each request an id (kept from ``X-Request-Id`` when it is safe), echoes it,
    records the origin the client used (``client_origin``, for the links we hand back),
    adds security headers (HSTS too when the request came over TLS) and writes one
    access-log line."""

    def __init__(self, app: ASGIApp, trusted_proxies: Iterable[str] = ()) -> None:
        self.app = app
        self.proxies = TrustedProxies(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        scheme = request_scheme(scope, headers, self.proxies)
        origin = client_origin.serving(request_origin(scope, headers, scheme, self.proxies))
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else str(ULID())
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        security_headers = [*SECURITY_HEADERS, HSTS] if scheme == "https" else SECURITY_HEADERS

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.append((b"x-request-id", request_id.encode()))
                headers.extend(h for h in security_headers if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "durationMs": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)
            client_origin.done(origin)
