"""Where catalog items are listed. Every kind (TRACKS, ALBUMS, PLAYLISTS, PHOTOS…) uses
the same three sparse indexes, so one function keeps an item's entries right:

- GSI1 ``USER#{owner}#{KIND}``: all of an owner's items (what the owner sees);
- GSI2 ``USER#{owner}#{KIND}#public``: the owner's public items (what others see);
- GSI3 ``PUBLIC#{KIND}``: every public item, newest first (the public feed).

Items that are private, friends-only or taken down are only in GSI1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from soundshelf.core.users import username_key
from soundshelf.errors import NotFound
from soundshelf.ports.table import Page, Table

if TYPE_CHECKING:
    from soundshelf.core.users import Principal


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


def owner_id_of(table: Table, viewer: Principal | None, owner: str, *, what: str) -> str:
    """The user whose ``what`` (tracks, albums…) a listing asks for: ``me`` (the viewer)
    or a username."""
    if owner == "me":
        if viewer is None:
            raise NotFound(f"Sign in to list your {what}")
        return viewer.user_id
    reservation = table.get(*username_key(owner.strip().lower()))
    if reservation is None:
        raise NotFound("No such user")
    return reservation["userId"]


def owner_listing(
    table: Table,
    *,
    kind: str,
    owner_id: str,
    viewer: Principal | None,
    is_friend: Callable[[str, str], bool],
    limit: int,
    cursor: str | None,
) -> Page:
    """One page of an owner's items of ``kind``, newest first, from the index the viewer
    may read: the owner and friends get GSI1 (to be filtered by the caller's
    policy: friends must not see private items), everyone else the public GSI2."""
    full = viewer is not None and (
        viewer.user_id == owner_id or is_friend(viewer.user_id, owner_id)
    )
    partition, index = (
        (f"USER#{owner_id}#{kind}", "GSI1") if full else (f"USER#{owner_id}#{kind}#public", "GSI2")
    )
    return table.query(partition, index=index, forward=False, limit=limit, cursor=cursor)
