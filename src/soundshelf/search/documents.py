"""What each kind of item contributes to the search index, and the one place services
tell the index that an item changed (``SearchIndexer``), so no service knows the layout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from soundshelf.catalog.albums import album_key
from soundshelf.catalog.tracks import track_key
from soundshelf.core.users import profile_key
from soundshelf.photos.service import photo_key
from soundshelf.playlists.service import playlist_key
from soundshelf.ports.table import Table
from soundshelf.search.index import SearchIndex

ITEM_KEYS: dict[str, Callable[[str], tuple[str, str]]] = {
    "track": track_key,
    "album": album_key,
    "artist": profile_key,
    "playlist": playlist_key,
    "photo": photo_key,
}


class SearchIndexer:
    def __init__(self, table: Table, index: SearchIndex) -> None:
        self.table = table
        self.index = index

    def refresh(self, kind: str, item_id: str) -> None:
        """Re-index one item as it is now stored (or drop it when it is gone). Services
        call this after every write, so they never need to know what the index keeps."""
        item = self.table.get(*ITEM_KEYS[kind](item_id))
        if item is None:
            self.index.remove(kind=kind, item_id=item_id)
        else:
            self.put(kind, item)

    def put(self, kind: str, item: dict[str, Any]) -> None:
        """Index a stored item, or take it out when it is not to be found (an artist
        profile whose owner is no longer an artist)."""
        document = document_of(kind, item)
        if document is None:
            self.index.remove(kind=kind, item_id=_id_of(kind, item))
        else:
            self.index.put(**document)

    def put_many(self, kind: str, items: list[dict[str, Any]]) -> None:
        """``put`` for many stored items of one kind, several per transaction."""
        documents = (document_of(kind, item) for item in items)
        self.index.put_many(d for d in documents if d is not None)


def document_of(kind: str, item: dict[str, Any]) -> dict[str, Any] | None:
    """``SearchIndex.put``'s arguments for a stored item; None: it is not to be found."""
    if kind == "artist" and ("artist" not in item.get("roles", []) or item.get("disabled")):
        return None
    common = {
        "kind": kind,
        "item_id": _id_of(kind, item),
        "owner_id": item["userId"] if kind == "artist" else item["ownerId"],
        "visibility": "public" if kind == "artist" else item["visibility"],
        "taken_down": bool(item.get("takenDown")),
    }
    if kind == "track":
        text = " ".join(str(item.get(f) or "") for f in ("artist", "album", "genre"))
        rank = item.get("likeCount", 0) * 5 + item.get("playCount", 0)
        return {**common, "title": item["title"], "text": text, "rank": rank}
    if kind == "album":
        text = f"{item.get('artist', '')} {item.get('genre', '')}"
        return {**common, "title": item["title"], "text": text}
    if kind == "artist":
        title = item.get("artistName") or item["displayName"]
        rank = item.get("followerCount", 0)
        return {**common, "title": title, "text": item["username"], "rank": rank}
    if kind == "playlist":
        return {**common, "title": item["name"], "text": item.get("description", "")}
    if kind == "photo":
        text = " ".join(item.get("tags", []))
        return {**common, "title": item.get("caption") or "", "text": text}
    raise ValueError(f"no search document for {kind!r}")


def _id_of(kind: str, item: dict[str, Any]) -> str:
    return item["userId"] if kind == "artist" else item[f"{kind}Id"]
