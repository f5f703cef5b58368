"""What each kind of item contributes to the search index, and the one place services
tell the index that an item changed (``SearchIndexer``), so no service knows the layout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from soundshelf.accounts.models import profile_key
from soundshelf.catalog.albums import album_key
from soundshelf.catalog.tracks import track_key
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
        document = document_of(kind, item) if item is not None else None
        if document is None:
            self.index.remove(kind=kind, item_id=item_id)
        else:
            self.index.put(**document)


def document_of(kind: str, item: dict[str, Any]) -> dict[str, Any] | None:
    """``SearchIndex.put``'s arguments for a stored item; None: it is not to be found."""
    if kind == "track":
        return {
            "kind": "track",
            "item_id": item["trackId"],
            "owner_id": item["ownerId"],
            "visibility": item["visibility"],
            "title": item["title"],
            "text": " ".join(str(item.get(f) or "") for f in ("artist", "album", "genre")),
            "rank": item.get("likeCount", 0) * 5 + item.get("playCount", 0),
            "taken_down": bool(item.get("takenDown")),
        }
    if kind == "album":
        return {
            "kind": "album",
            "item_id": item["albumId"],
            "owner_id": item["ownerId"],
            "visibility": item["visibility"],
            "title": item["title"],
            "text": f"{item.get('artist', '')} {item.get('genre', '')}",
            "taken_down": bool(item.get("takenDown")),
        }
    if kind == "artist":
        if "artist" not in item.get("roles", []) or item.get("disabled"):
            return None
        return {
            "kind": "artist",
            "item_id": item["userId"],
            "owner_id": item["userId"],
            "visibility": "public",
            "title": item.get("artistName") or item["displayName"],
            "text": item["username"],
            "rank": item.get("followerCount", 0),
            "taken_down": bool(item.get("takenDown")),
        }
    if kind == "playlist":
        return {
            "kind": "playlist",
            "item_id": item["playlistId"],
            "owner_id": item["ownerId"],
            "visibility": item["visibility"],
            "title": item["name"],
            "text": item.get("description", ""),
            "taken_down": bool(item.get("takenDown")),
        }
    if kind == "photo":
        return {
            "kind": "photo",
            "item_id": item["photoId"],
            "owner_id": item["ownerId"],
            "visibility": item["visibility"],
            "title": item.get("caption") or "",
            "text": " ".join(item.get("tags", [])),
            "taken_down": bool(item.get("takenDown")),
        }
    raise ValueError(f"no search document for {kind!r}")
