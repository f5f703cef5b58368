"""Each request's origin (recorded in ``client_origin`` by ``RequestContextMiddleware``),
so links go back where the request came from.

The origin is the request's scheme and ``Host``. Behind a reverse proxy those are the
proxy's, so ``X-Forwarded-Proto``, ``X-Forwarded-Host`` and ``X-Forwarded-Prefix`` are
used instead, but only from the configured trusted proxies: from anyone else they would let
a client choose the host its links point to. A ``Host`` that is not a plain host name or
address (and port) is ignored, and the bind address is used.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from starlette.types import Scope

if TYPE_CHECKING:
    from soundshelf.http.middleware import TrustedProxies

_HOST = re.compile(
    r"^(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
    r"[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$"
)
_PREFIX = re.compile(r"^(?:/[A-Za-z0-9._~-]+){0,8}$")


def request_origin(
    scope: Scope, headers: dict[bytes, bytes], scheme: str, proxies: TrustedProxies
) -> str | None:
    """``scheme://host[:port][/prefix]`` of an HTTP request (``scheme`` from
    ``middleware.request_scheme``), or None if its host is unusable."""
    host = headers.get(b"host", b"")
    prefix = b""
    client = scope.get("client")
    if client and proxies.includes(client[0]):
        # A chain of proxies lists one value each; the first is the client's own hop.
        host = headers.get(b"x-forwarded-host", b"").split(b",")[0].strip() or host
        prefix = headers.get(b"x-forwarded-prefix", b"").split(b",")[0].strip().rstrip(b"/")
    try:
        host_text, prefix_text = host.decode("ascii"), prefix.decode("ascii")
    except UnicodeDecodeError:
        return None
    if len(host_text) > 255 or not _HOST.match(host_text) or not _PREFIX.match(prefix_text):
        return None
    return f"{scheme}://{host_text}{prefix_text}"
