"""Shares, backed by our share links: ``getShares``, ``createShare``, ``updateShare``,
``deleteShare``. A link points at exactly one song, album or playlist of the caller's,
and every link expires (at most ``share_max_ttl`` after it was set)."""

from __future__ import annotations

from typing import Any

from soundshelf import client_origin
from soundshelf.subsonic.call import Call
from soundshelf.subsonic.library import split_id
from soundshelf.subsonic.protocol import GENERIC, NOT_FOUND, SubsonicError

Payload = dict[str, Any]

_SHARE_KIND = {"tr": "track", "al": "album", "pl": "playlist"}


def _share_entry(call: Call, share: Payload, token: str | None = None) -> Payload:
    """A share link's view as a Subsonic ``share``. Only the token's hash is kept, so the
    link itself can be shown only when it was just made."""
    base = client_origin.base_url(call.services.settings)
    return {
        "id": share["shareId"],
        "url": f"{base}/s/{token}" if token else f"{base}/s/",
        "description": share["description"] or share["title"],
        "username": call.principal.username,
        "created": share["createdAt"],
        "expires": share["expiresAt"],
        "visitCount": 0,
        "entry": [],
    }


def get_shares(call: Call) -> Payload:
    shares, _ = call.services.shares.list(call.principal, limit=100, cursor=None)
    live = [s for s in shares if not s["expired"]]
    return {"shares": {"share": [_share_entry(call, s) for s in live]}}


def create_share(call: Call) -> Payload:
    ids = call.all("id")
    if len(ids) != 1:
        raise SubsonicError(GENERIC, "A share link points at exactly one song, album or playlist")
    kind, raw = split_id(ids[0])
    if kind not in _SHARE_KIND:
        raise SubsonicError(NOT_FOUND, "Only songs, albums and playlists can be shared")
    share, token = call.services.shares.create(
        call.principal,
        target_type=_SHARE_KIND[kind],
        target_id=raw,
        expires_in=_lifetime(call),
        password=None,
        allow_download=False,
        description=call.get("description"),
    )
    return {"shares": {"share": [_share_entry(call, call.services.shares.view(share), token)]}}


def update_share(call: Call) -> Payload:
    call.services.shares.update(
        call.principal,
        call.required("id"),
        description=call.params.get("description"),  # "" clears it
        expires_in=_lifetime(call),
    )
    return {}


def delete_share(call: Call) -> Payload:
    call.services.shares.revoke(call.principal, call.required("id"))
    return {}


def _lifetime(call: Call) -> int | None:
    """Seconds from now until ``expires`` (milliseconds since 1970), None when absent.
    Our links always expire: "never" (0) and anything beyond the longest lifetime allowed
    get that longest lifetime; a time in the past, the shortest (a minute)."""
    if call.get("expires") is None:
        return None
    longest = call.services.settings.share_max_ttl
    expires_ms = call.int("expires", 0, high=10**15)
    if expires_ms == 0:
        return longest
    seconds = round(expires_ms / 1000 - call.services.clock.now())
    return max(60, min(longest, seconds))
