"""Moving every item to the current layout of the search index and the browse lists after
an upgrade changed either (or made the browse lists, which items stored before them lack).

A changed search layout (``index.LAYOUT_VERSION``) changes every item's fingerprint, so
re-putting an item writes its new entries and deletes the old ones its manifest lists; a
browse refresh writes the entries an album, track or artist should have and deletes the
ones it no longer should (a no-op for an item already listed right).
``Reindexer.step`` does that for the items of a few users at a time, owner by owner,
and keeps its place in one progress item, so the work survives restarts and can be
shared out: the embedded worker steps while it has no jobs, the processing Lambda steps
in its hourly housekeeping.
Until it is done, items not yet moved are missing from search results and the browse
lists; everything else
keeps working, and items written meanwhile are indexed in the new layout as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from soundshelf.ports.table import Item, Table
from soundshelf.search.documents import SearchIndexer
from soundshelf.search.index import LAYOUT_VERSION

log = logging.getLogger("soundshelf.search")

PROGRESS_KEY = ("SEARCHMETA", "LAYOUT")
BROWSE_LAYOUT_VERSION = 1  # bump when the browse lists' entries change shape
USERS_PER_STEP = 10
ITEMS_PER_READ = 100
# The owner listings (GSI1) that hold every item of each searchable kind.
LISTINGS = {"track": "TRACKS", "album": "ALBUMS", "playlist": "PLAYLISTS", "photo": "PHOTOS"}
BROWSED = ("track", "album")  # kinds with browse entries (and every artist's profile)


def current_layout() -> str:
    """What the progress item records: a change of either layout starts a new walk."""
    return f"search{LAYOUT_VERSION}+browse{BROWSE_LAYOUT_VERSION}"


class BrowseLists(Protocol):
    """The browse lists' writer (``catalog.browse.BrowseIndex``)."""

    def refresh(self, kind: str, item_id: str) -> None: ...


class Reindexer:
    def __init__(self, table: Table, indexer: SearchIndexer, browse: BrowseLists) -> None:
        self.table = table
        self.indexer = indexer
        self.browse = browse

    def step(self) -> bool:
        """Re-index the items of the next ``USERS_PER_STEP`` users; True once every item
        is in the current layout."""
        progress = self.table.get(*PROGRESS_KEY) or {}
        current = progress.get("layout") == current_layout()
        if current and progress.get("done"):
            return True
        cursor = progress.get("cursor") if current else None
        page = self.table.query("USERS", index="GSI1", limit=USERS_PER_STEP, cursor=cursor)
        for profile in page.items:
            self._reindex_user(profile)
        moved = (progress.get("users", 0) if current else 0) + len(page.items)
        self.table.put(
            {
                "PK": PROGRESS_KEY[0],
                "SK": PROGRESS_KEY[1],
                "layout": current_layout(),
                "cursor": page.next_cursor,
                "users": moved,
                "done": page.next_cursor is None,
            }
        )
        if page.next_cursor is None:
            log.info("search and browse on their current layout", extra={"users": moved})
        return page.next_cursor is None

    def run(self, *, keep_going: Callable[[], bool] = lambda: True) -> bool:
        """Step until done or until ``keep_going()`` says stop; True when done."""
        while keep_going():
            if self.step():
                return True
        return False

    def _reindex_user(self, profile: Item) -> None:
        self.indexer.put("artist", profile)
        self.browse.refresh("artist", profile["userId"])
        for kind, listing in LISTINGS.items():
            cursor = None
            while True:
                page = self.table.query(
                    f"USER#{profile['userId']}#{listing}",
                    index="GSI1",
                    limit=ITEMS_PER_READ,
                    cursor=cursor,
                )
                self.indexer.put_many(kind, page.items)
                if kind in BROWSED:
                    for item in page.items:
                        self.browse.refresh(kind, item[f"{kind}Id"])
                cursor = page.next_cursor
                if cursor is None:
                    break
