"""``GET /search``: index hits turned into the items the caller may see."""

from __future__ import annotations

from collections.abc import Collection
from functools import partial
from typing import Any

from soundshelf.catalog.albums import Albums
from soundshelf.catalog.tracks import Tracks
from soundshelf.core.users import Principal
from soundshelf.photos.service import Photos
from soundshelf.playlists.service import Playlists
from soundshelf.policies import can_view
from soundshelf.ports.table import Table
from soundshelf.search.documents import ITEM_KEYS
from soundshelf.search.index import SearchIndex
from soundshelf.social.friends import Friends

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
        friends: Friends,
    ) -> None:
        self.table = table
        self.index = index
        self.friends = friends
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
            friends_among=partial(self.friends.among, viewer.user_id) if viewer else None,
        )
        # One read for every kind's hits, then each checked again: the index may lag.
        keys = {kind: [ITEM_KEYS[kind](h.item_id) for h in found] for kind, found in hits.items()}
        stored = self.table.batch_get([key for kind_keys in keys.values() for key in kind_keys])
        by_key = {(item["PK"], item["SK"]): item for item in stored}
        results: dict[str, list[dict[str, Any]]] = {f"{t}s": [] for t in TYPES}
        for kind, kind_keys in keys.items():
            items = [by_key[k] for k in kind_keys if k in by_key]
            visible = [item for item in items if self._may_see(kind, viewer, item)]
            results[f"{kind}s"] = self._views(kind, viewer, visible)
        return results

    def _views(self, kind: str, viewer: Principal | None, items: list[dict]) -> list[dict]:
        if kind == "track":
            return self.tracks.views(viewer, items)
        if kind == "album":
            return [self.albums.view(album, viewer) for album in items]
        if kind == "playlist":
            return [self.playlists.summary(playlist) for playlist in items]
        if kind == "photo":
            return [self.photos.view(photo, viewer) for photo in items]
        return [_artist_view(profile) for profile in items]

    def _may_see(self, kind: str, viewer: Principal | None, item: dict[str, Any]) -> bool:
        if kind == "artist":
            return (
                "artist" in item.get("roles", [])
                and not item.get("disabled")
                and not (item.get("takenDown"))
            )
        return can_view(viewer, item, friends=self.friends.are_friends)


def _artist_view(profile: dict[str, Any]) -> dict[str, Any]:
    return {
        "username": profile["username"],
        "name": profile.get("artistName") or profile["displayName"],
        "followerCount": profile.get("followerCount", 0),
    }
