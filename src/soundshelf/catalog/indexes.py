"""Where catalog items are listed. Every kind (TRACKS, ALBUMS, PLAYLISTS, PHOTOS…) uses
the same three sparse indexes, so one function keeps an item's entries right:

- GSI1 ``USER#{owner}#{KIND}``: all of an owner's items (what the owner sees);
- GSI2 ``USER#{owner}#{KIND}#public``: the owner's public items (what others see);
- GSI3 ``PUBLIC#{KIND}``: every public item, newest first (the public feed).

Items that are private, friends-only or taken down are only in GSI1.
"""

from __future__ import annotations

from typing import Any

INDEX_ATTRIBUTES = ("GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK")


def listing_keys(kind: str, item: dict[str, Any], sort_key: str) -> dict[str, Any]:
    """The GSI attributes ``item`` should have now (``None`` values mean remove)."""
    owner = item["ownerId"]
    public = item.get("visibility") == "public" and not item.get("takenDown")
    return {
        "GSI1PK": f"USER#{owner}#{kind}",
        "GSI1SK": sort_key,
        "GSI2PK": f"USER#{owner}#{kind}#public" if public else None,
        "GSI2SK": sort_key if public else None,
        "GSI3PK": f"PUBLIC#{kind}" if public else None,
        "GSI3SK": sort_key if public else None,
    }


def split_changes(changes: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """(attributes to set, attributes to remove) from a dict where None means remove."""
    return (
        {k: v for k, v in changes.items() if v is not None},
        [k for k, v in changes.items() if v is None],
    )
