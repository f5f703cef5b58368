"""Stars on albums and artists, and a listener's ratings (1-5) of tracks and albums.

A starred track is a like (``catalog/tracks.py``: the web app shows the same hearts);
albums and artists have no likes, so their stars are kept here. One item per listener and
thing, under ``USER#{userId}`` (deleting the account takes them too):

- ``STAR#ALBUM#{albumId}`` / ``STAR#ARTIST#{userId}``: starredAt;
- ``RATING#TRACK#{trackId}`` / ``RATING#ALBUM#{albumId}``: rating.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from soundshelf.ports.clock import Clock
from soundshelf.ports.table import Table

MAX_STARS = 500  # per listener and kind, as many as getStarred lists
KINDS = ("ALBUM", "ARTIST")
RATED = ("TRACK", "ALBUM")


def star_key(user_id: str, kind: str, item_id: str) -> tuple[str, str]:
    return f"USER#{user_id}", f"STAR#{kind}#{item_id}"


def rating_key(user_id: str, kind: str, item_id: str) -> tuple[str, str]:
    return f"USER#{user_id}", f"RATING#{kind}#{item_id}"


class Stars:
    def __init__(self, table: Table, clock: Clock) -> None:
        self.table = table
        self.clock = clock

    def star(self, user_id: str, kind: str, item_id: str) -> None:
        """Star an album or artist (starring again keeps the first date)."""
        pk, sk = star_key(user_id, kind, item_id)
        if self.table.get(pk, sk) is None:
            self.table.put({"PK": pk, "SK": sk, "itemId": item_id, "starredAt": self.clock.now()})

    def unstar(self, user_id: str, kind: str, item_id: str) -> None:
        self.table.delete(*star_key(user_id, kind, item_id))

    def starred(self, user_id: str, kind: str) -> dict[str, float]:
        """item id → when it was starred, for one kind, newest first."""
        pk, prefix = star_key(user_id, kind, "")
        items = self.table.query(pk, begins_with=prefix, limit=MAX_STARS).items
        ordered = sorted(items, key=lambda i: i["starredAt"], reverse=True)
        return {i["itemId"]: float(i["starredAt"]) for i in ordered}

    def starred_among(self, user_id: str, kind: str, ids: Sequence[str]) -> dict[str, float]:
        keys = [star_key(user_id, kind, i) for i in dict.fromkeys(ids)]
        return {i["itemId"]: float(i["starredAt"]) for i in self.table.batch_get(keys)}

    def rate(self, user_id: str, kind: str, item_id: str, rating: int) -> None:
        """Rate 1-5; 0 removes the rating."""
        if not 0 <= rating <= 5:
            raise ValueError("a rating is 0 to 5")
        pk, sk = rating_key(user_id, kind, item_id)
        if rating == 0:
            self.table.delete(pk, sk)
        else:
            self.table.put({"PK": pk, "SK": sk, "itemId": item_id, "rating": rating})

    def ratings(self, user_id: str, kind: str, ids: Sequence[str]) -> dict[str, int]:
        keys = [rating_key(user_id, kind, i) for i in dict.fromkeys(ids)]
        found: list[dict[str, Any]] = self.table.batch_get(keys) if keys else []
        return {i["itemId"]: int(i["rating"]) for i in found}
