"""``GET /search``: index hits turned into the items the caller may see."""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import partial
from typing import Any

from soundshelf.accounts.models import Principal, profile_key
from soundshelf.catalog.albums import Albums, album_key
from soundshelf.catalog.tracks import Tracks, track_key
from soundshelf.photos.service import Photos, photo_key
from soundshelf.playlists.service import Playlists, playlist_key
from soundshelf.policies import can_view
from soundshelf.ports.table import Table
from soundshelf.search.index import SearchIndex
from soundshelf.social.friends import friend_key

TYPES = ("track", "album", "artist", "playlist", "photo")


class Search:
    def __init__(
        self,
        *,
        table: Table,
        index: SearchIndex,
        tracks: Tracks,
        albums: Albums,
        playlists: Playlists,
        photos: Photos,
    ) -> None:
        self.table = table
        self.index = index
        self.tracks = tracks
        self.albums = albums
        self.playlists = playlists
        self.photos = photos

    def search(
        self, viewer: Principal | None, *, q: str, types: Collection[str], limit: int = 20
    ) -> dict[str, list[dict[str, Any]]]:
        hits = self.index.search(
            q=q,
            viewer_id=viewer.user_id if viewer else None,
            types=types,
            limit_per_type=limit,
            friends_among=partial(self._friends_among, viewer) if viewer else None,
        )
        found: dict[str, list[dict[str, Any]]] = {f"{t}s": [] for t in TYPES}
        for kind, kind_hits in hits.items():
            ids = [h.item_id for h in kind_hits]
            found[f"{kind}s"] = self._views(kind, viewer, ids)
        return found

    def _friends_among(self, viewer: Principal, owner_ids: set[str]) -> list[str]:
        edges = self.table.batch_get([friend_key(viewer.user_id, o) for o in owner_ids])
        return [e["friendId"] for e in edges]

    def _views(self, kind: str, viewer: Principal | None, ids: list[str]) -> list[dict]:
        """Load the hits in rank order and check them again: the index may lag a change."""
        loaders: dict[str, tuple[Callable[[str], tuple[str, str]], Callable]] = {
            "track": (track_key, self._track_views),
            "album": (album_key, lambda v, items: [self.albums.view(a) for a in items]),
            "playlist": (playlist_key, lambda v, items: [self.playlists.summary(p) for p in items]),
            "photo": (photo_key, lambda v, items: [self.photos.view(p, v) for p in items]),
            "artist": (profile_key, lambda v, items: [_artist_view(p) for p in items]),
        }
        key, views = loaders[kind]
        by_id = {_id_of(kind, item): item for item in self.table.batch_get([key(i) for i in ids])}
        visible = [by_id[i] for i in ids if i in by_id and self._may_see(kind, viewer, by_id[i])]
        return views(viewer, visible)

    def _track_views(self, viewer: Principal | None, tracks: list[dict]) -> list[dict]:
        return self.tracks.views(viewer, tracks)

    def _may_see(self, kind: str, viewer: Principal | None, item: dict[str, Any]) -> bool:
        if kind == "artist":
            return (
                "artist" in item.get("roles", [])
                and not item.get("disabled")
                and not (item.get("takenDown"))
            )
        return can_view(viewer, item, friends=self.tracks.friends.are_friends)


def _id_of(kind: str, item: dict[str, Any]) -> str:
    return item["userId"] if kind == "artist" else item[f"{kind}Id"]


def _artist_view(profile: dict[str, Any]) -> dict[str, Any]:
    return {
        "username": profile["username"],
        "name": profile.get("artistName") or profile["displayName"],
        "followerCount": profile.get("followerCount", 0),
    }
