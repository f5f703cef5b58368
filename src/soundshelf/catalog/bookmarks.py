"""Bookmarks: where a listener stopped in a track, to resume there later.

One item per listener and track, ``USER#{userId}`` / ``BOOKMARK#{trackId}``, so an account's
deletion (which removes everything under ``USER#{userId}``) takes them too. Music apps
set them through Subsonic's bookmark methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from soundshelf.errors import Conflict
from soundshelf.ports.clock import Clock
from soundshelf.ports.table import Table

MAX_BOOKMARKS = 500  # per listener: more than anyone resumes, few enough to list at once
MAX_COMMENT = 500
_PREFIX = "BOOKMARK#"


def bookmark_key(user_id: str, track_id: str) -> tuple[str, str]:
    return f"USER#{user_id}", f"{_PREFIX}{track_id}"


@dataclass(frozen=True)
class Bookmark:
    track_id: str
    position_ms: int
    comment: str
    created_at: float
    changed_at: float

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Bookmark:
        return cls(
            track_id=item["trackId"],
            position_ms=int(item["positionMs"]),
            comment=item.get("comment", ""),
            created_at=float(item["createdAt"]),
            changed_at=float(item["changedAt"]),
        )


class Bookmarks:
    def __init__(self, table: Table, clock: Clock) -> None:
        self.table = table
        self.clock = clock

    def save(self, user_id: str, track_id: str, *, position_ms: int, comment: str = "") -> Bookmark:
        """Set the listener's bookmark in a track (a new one, or moved)."""
        if not 0 <= position_ms <= 10**10:
            raise ValueError("position out of range")
        key = bookmark_key(user_id, track_id)
        existing = self.table.get(*key)
        if existing is None and len(self._items(user_id, MAX_BOOKMARKS)) >= MAX_BOOKMARKS:
            raise Conflict(f"At most {MAX_BOOKMARKS} bookmarks; delete one first")
        now = self.clock.now()
        item = {
            "PK": key[0],
            "SK": key[1],
            "trackId": track_id,
            "positionMs": position_ms,
            "comment": comment[:MAX_COMMENT],
            "createdAt": existing["createdAt"] if existing else now,
            "changedAt": now,
        }
        self.table.put(item)
        return Bookmark.from_item(item)

    def delete(self, user_id: str, track_id: str) -> None:
        self.table.delete(*bookmark_key(user_id, track_id))

    def list(self, user_id: str) -> list[Bookmark]:
        """The listener's bookmarks, most recently changed first."""
        found = [Bookmark.from_item(i) for i in self._items(user_id, MAX_BOOKMARKS)]
        return sorted(found, key=lambda b: b.changed_at, reverse=True)

    def _items(self, user_id: str, limit: int) -> list[dict[str, Any]]:
        pk = bookmark_key(user_id, "")[0]
        return self.table.query(pk, begins_with=_PREFIX, limit=limit).items
