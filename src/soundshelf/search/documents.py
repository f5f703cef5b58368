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

_KEYS: dict[str, Callable[[str], tuple[str, str]]] = {
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

    def track(self, track: dict[str, Any]) -> None:
        self.index.put(
            kind="track",
            item_id=track["trackId"],
            owner_id=track["ownerId"],
            visibility=track["visibility"],
            title=track["title"],
            text=" ".join(str(track.get(f) or "") for f in ("artist", "album", "genre")),
            rank=track.get("likeCount", 0) * 5 + track.get("playCount", 0),
            taken_down=bool(track.get("takenDown")),
        )

    def album(self, album: dict[str, Any]) -> None:
        self.index.put(
            kind="album",
            item_id=album["albumId"],
            owner_id=album["ownerId"],
            visibility=album["visibility"],
            title=album["title"],
            text=f"{album.get('artist', '')} {album.get('genre', '')}",
            taken_down=bool(album.get("takenDown")),
        )

    def artist(self, profile: dict[str, Any]) -> None:
        if "artist" not in profile.get("roles", []) or profile.get("disabled"):
            self.remove("artist", profile["userId"])
            return
        self.index.put(
            kind="artist",
            item_id=profile["userId"],
            owner_id=profile["userId"],
            visibility="public",
            title=profile.get("artistName") or profile["displayName"],
            text=profile["username"],
            rank=profile.get("followerCount", 0),
            taken_down=bool(profile.get("takenDown")),
        )

    def playlist(self, header: dict[str, Any]) -> None:
        self.index.put(
            kind="playlist",
            item_id=header["playlistId"],
            owner_id=header["ownerId"],
            visibility=header["visibility"],
            title=header["name"],
            text=header.get("description", ""),
            taken_down=bool(header.get("takenDown")),
        )

    def photo(self, photo: dict[str, Any]) -> None:
        self.index.put(
            kind="photo",
            item_id=photo["photoId"],
            owner_id=photo["ownerId"],
            visibility=photo["visibility"],
            title=photo.get("caption") or "",
            text=" ".join(photo.get("tags", [])),
            taken_down=bool(photo.get("takenDown")),
        )

    def remove(self, kind: str, item_id: str) -> None:
        self.index.remove(kind=kind, item_id=item_id)

    def refresh(self, kind: str, item_id: str) -> None:
        """Re-index one item as it is now stored (or drop it when it is gone). Services
        call this after every write, so they never need to know what the index keeps."""
        item = self.table.get(*_KEYS[kind](item_id))
        if item is None:
            self.remove(kind, item_id)
        else:
            getattr(self, kind)(item)
