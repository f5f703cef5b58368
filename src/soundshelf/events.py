"""What services announce after a write, and who hears it.

Services take one ``ChangeEvents`` in their constructor and call it once their write is
committed; ``bootstrap.build`` makes it, in one place, with the listeners:

- ``item_changed(kind, item_id)``: a searchable item (track, album, artist, playlist,
  photo) was created, edited, taken down or deleted; the search indexer re-reads it;
- ``item_published(kind, item)``: a track or photo became visible to its audience; the
  notifications queue its fan-out (they decide who, if anyone, hears of it);
- ``item_changed`` also rewrites the item's browse entries (``catalog/browse.py``), and
  ``track_played(track)`` moves its album in the most-played list.

Listeners run in the caller, after its write is committed. A ``ChangeEvents()`` without
listeners tells nobody.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


# What the listeners are to the services that announce (the search indexer and the
# notifications, from features above this module: services import this, not them).
class ItemIndexer(Protocol):
    def refresh(self, kind: str, item_id: str) -> None: ...


class PublishListener(Protocol):
    def item_published(self, kind: str, item: Mapping[str, Any]) -> object: ...


class BrowseListener(Protocol):
    def refresh(self, kind: str, item_id: str) -> None: ...

    def played(self, album_id: str) -> None: ...


class ChangeEvents:
    def __init__(
        self,
        *,
        indexer: ItemIndexer | None = None,
        notifications: PublishListener | None = None,
        browse: BrowseListener | None = None,
    ) -> None:
        self._indexer = indexer
        self._notifications = notifications
        self._browse = browse

    def item_changed(self, kind: str, item_id: str) -> None:
        if self._indexer is not None:
            self._indexer.refresh(kind, item_id)
        if self._browse is not None:
            self._browse.refresh(kind, item_id)

    def track_played(self, track: Mapping[str, Any]) -> None:
        if self._browse is not None and track.get("albumId"):
            self._browse.played(track["albumId"])

    def item_published(self, kind: str, item: Mapping[str, Any]) -> None:
        if self._notifications is not None:
            self._notifications.item_published(kind, item)
