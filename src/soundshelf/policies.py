"""Who may do what with a resource: one function per question, used by every service.

Items (tracks, albums, playlists, photos, files) share one rule set: the owner sees
everything of theirs; others see ``public`` items, and ``friends`` items when they are
the owner's friend; taken-down items are visible only to the owner. Services answer 404
(not 403) when a caller may not even know an item exists.

Administrators get no more than anyone else here: someone's private items reach an
administrator only as the target of an open report, through the moderation routes
(``moderation/review.py``), and each such look is in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from soundshelf.core.users import Principal
from soundshelf.errors import Forbidden, NotFound

Visibility = Literal["private", "friends", "public"]
VISIBILITIES: tuple[Visibility, ...] = ("private", "friends", "public")

# (viewer id, owner id) → are they friends? Supplied by the social service.
FriendCheck = Callable[[str, str], bool]


def _no_friends(_viewer: str, _owner: str) -> bool:
    return False


def is_owner(viewer: Principal | None, item: Mapping[str, Any]) -> bool:
    return viewer is not None and viewer.user_id == item["ownerId"]


def can_view(
    viewer: Principal | None, item: Mapping[str, Any], *, friends: FriendCheck = _no_friends
) -> bool:
    if is_owner(viewer, item):
        return True
    if item.get("takenDown"):
        return False
    visibility = item.get("visibility", "private")
    if visibility == "public":
        return True
    return (
        visibility == "friends" and viewer is not None and friends(viewer.user_id, item["ownerId"])
    )


def ensure_can_view(
    viewer: Principal | None,
    item: Mapping[str, Any] | None,
    *,
    friends: FriendCheck = _no_friends,
    what: str = "item",
) -> Mapping[str, Any]:
    if item is None or not can_view(viewer, item, friends=friends):
        raise NotFound(f"No such {what}")
    return item


def ensure_can_edit(
    viewer: Principal | None,
    item: Mapping[str, Any] | None,
    *,
    friends: FriendCheck = _no_friends,
    what: str = "item",
) -> Mapping[str, Any]:
    """Only the owner edits (admins moderate through their own routes). Someone who can
    see the item learns they may not change it (403); anyone else gets 404."""
    item = ensure_can_view(viewer, item, friends=friends, what=what)
    if viewer is None or viewer.user_id != item["ownerId"]:
        raise Forbidden(f"Only the owner can change this {what}")
    return item
