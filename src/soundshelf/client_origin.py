"""The address a client used to reach this server, for the links handed back to it.

Media links (signed blob URLs), share links and the server URL shown for music apps are
built on ``base_url``: the configured public URL when there is one (a reverse proxy's or
CDN's address), else the origin of the request being served, else the bind address. A
phone that reached ``http://192.168.1.20:8000`` therefore gets links on that address,
not on ``127.0.0.1`` or ``0.0.0.0``. The HTTP layer sets the origin per request
(``http/origin.py``); jobs and the command line, which serve no request, get the bind
address.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

from soundshelf.config import Settings

_origin: ContextVar[str | None] = ContextVar("client_origin", default=None)


def base_url(settings: Settings) -> str:
    return (settings.public_url or _origin.get() or settings.base_url).rstrip("/")


def serving(origin: str | None) -> Token[str | None]:
    """Record the origin of the request this context serves; reset with ``done``."""
    return _origin.set(origin)


def done(token: Token[str | None]) -> None:
    _origin.reset(token)
