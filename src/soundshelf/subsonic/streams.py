"""Everything of one kind (tracks, albums) a caller may see, as one stream in the
listings' own sort order, read a page at a time.

Three kinds of source, disjoint so that no item comes twice:

- the public index (GSI3 ``PUBLIC#{KIND}``): every public item, the caller's own included;
- the caller's own list (GSI1), keeping what the public index lacks (private,
  friends-only and taken-down items of theirs);
- each friend's list (GSI1), keeping their friends-only items that are not taken down.

Every listing of a kind sorts by one key (``catalog.indexes.listing_keys``), unique per
item, so the merge is a total order and a position in it is simply the last key handed
out: a sync resumes from it in any process, with no state kept in memory.

Reads are bounded by the items in the key range passed over: the sources are merged on
every item they hold (kept or not), so a source is only read as far as the merge goes.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from soundshelf.core.users import Principal
from soundshelf.ports.table import INDEXES, Table

MAX_FRIENDS = 200  # friends whose friends-only items a caller's streams include
FIRST_PAGE = 50  # a source's first read; each next one doubles, up to MAX_PAGE
MAX_PAGE = 500
_LOWEST = " "  # below every sort key (dates and zero-padded numbers)

Item = dict[str, Any]


@dataclass(frozen=True)
class _Source:
    partition: str
    index: str
    keep: Callable[[Item], bool]


def _public(item: Item) -> bool:
    return True


def _not_in_public_index(item: Item) -> bool:
    return "GSI3PK" not in item


def _friends_only(item: Item) -> bool:
    return item.get("visibility") == "friends" and not item.get("takenDown")


class Streams:
    def __init__(self, table: Table) -> None:
        self.table = table

    def friend_ids(self, viewer: Principal) -> list[str]:
        edges = self.table.query(
            f"USER#{viewer.user_id}", begins_with="FRIEND#", limit=MAX_FRIENDS
        ).items
        return [e["friendId"] for e in edges]

    def visible(
        self,
        viewer: Principal,
        kind: str,
        *,
        after: str | None = None,
        first_page: int = FIRST_PAGE,
        friends: list[str] | None = None,
    ) -> Iterator[tuple[str, Item]]:
        """(sort key, item) of everything of ``kind`` the viewer may see, newest (highest
        key) first, starting below ``after``."""
        sources = [
            _Source(f"PUBLIC#{kind}", "GSI3", _public),
            _Source(f"USER#{viewer.user_id}#{kind}", "GSI1", _not_in_public_index),
        ]
        for friend in self.friend_ids(viewer) if friends is None else friends:
            sources.append(_Source(f"USER#{friend}#{kind}", "GSI1", _friends_only))
        merged = heapq.merge(
            *(self._read(s, after, first_page) for s in sources),
            key=lambda pair: pair[0],
            reverse=True,
        )
        return ((key, item) for key, item in merged if item is not None)

    def _read(
        self, source: _Source, after: str | None, first_page: int
    ) -> Iterator[tuple[str, Item | None]]:
        """Every item of the source below ``after``: (key, item), or (key, None) for one
        the viewer may not see there (it still moves the merge on)."""
        sort_key = INDEXES[source.index][1]
        between = (_LOWEST, after) if after else None
        cursor, size = None, max(1, min(first_page, MAX_PAGE))
        while True:
            page = self.table.query(
                source.partition,
                index=source.index,
                between=between,
                forward=False,
                limit=size,
                cursor=cursor,
            )
            for item in page.items:
                key = item[sort_key]
                if key != after:
                    yield key, item if source.keep(item) else None
            if page.next_cursor is None:
                return
            cursor, size = page.next_cursor, min(size * 2, MAX_PAGE)
