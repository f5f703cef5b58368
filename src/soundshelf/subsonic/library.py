"""The Soundshelf catalog seen as a Subsonic library.

Mapping:
- a Subsonic *artist* is an uploader (their artist name, else display name): ``ar-{userId}``;
- an *album* is one of our albums, ``al-{albumId}``; an uploader's tracks that are on
  no album form one "Singles" album per uploader, ``sg-{userId}``;
- a *song* is a track, ``tr-{trackId}``; a *playlist* is ``pl-{playlistId}``.

Nothing here scans the Table. What the caller may see comes from merged listing
streams (``subsonic.streams``: the public index, their own items, their friends'
friends-only ones). ``search3`` with an empty query pages through the track stream from
recorded positions (``subsonic.positions``), a bounded read per page. Lists that need an
ordering we do not index (albums alphabetically, random, by genre, all artists…) are
computed over the caller's whole *pool*, read from the same streams up to ``POOL_TRACKS``
tracks and ``POOL_ALBUMS`` albums (the newest beyond that are left out of those lists).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import PurePosixPath
from typing import Any

from soundshelf.catalog.albums import Albums, album_key
from soundshelf.catalog.tracks import Tracks, like_key, track_key
from soundshelf.core.users import Principal, profile_key
from soundshelf.ports.clock import iso
from soundshelf.ports.table import Table
from soundshelf.subsonic.protocol import NOT_FOUND, SubsonicError
from soundshelf.subsonic.streams import MAX_PAGE, Streams

POOL_TRACKS = 20_000
POOL_ALBUMS = 5_000
OWNER_TRACKS = 5_000  # one artist's tracks and albums read for getArtist and its Singles
OWNER_ALBUMS = 1_000
SINGLES = "Singles"
_SUFFIX = {
    "audio/mpeg": "mp3",
    "audio/flac": "flac",
    "audio/x-flac": "flac",
    "audio/ogg": "ogg",
    "audio/opus": "opus",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/mp4": "m4a",
    "audio/aac": "aac",
}


def split_id(subsonic_id: str) -> tuple[str, str]:
    """``("tr", "01H…")`` from ``"tr-01H…"``; unknown shapes are simply not found."""
    kind, sep, rest = subsonic_id.partition("-")
    if not sep or not rest or kind not in {"ar", "al", "sg", "tr", "pl"}:
        raise SubsonicError(NOT_FOUND, "Not found")
    return kind, rest


@dataclass
class Pool:
    """Everything the caller may see, newest first (see the module docstring);
    ``complete`` is False when a kind had more than its cap."""

    tracks: list[dict[str, Any]] = field(default_factory=list)
    albums: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = True


class Library:
    def __init__(self, *, table: Table, tracks: Tracks, albums: Albums) -> None:
        self.table = table
        self.tracks = tracks
        self.albums = albums
        self.streams = Streams(table)

    # --- loading what the caller may see ---------------------------------------------------

    def track(self, viewer: Principal, track_id: str) -> dict[str, Any]:
        track = self.tracks.load(track_id)
        if track is None or not self.tracks.can_view(viewer, track):
            raise SubsonicError(NOT_FOUND, "Song not found")
        return track

    def album(self, viewer: Principal, album_id: str) -> dict[str, Any]:
        album = self.albums.load(album_id)
        if album is None or not self.tracks.can_view(viewer, album):
            raise SubsonicError(NOT_FOUND, "Album not found")
        return album

    def album_tracks(self, viewer: Principal, album_id: str) -> list[dict[str, Any]]:
        entries = self.table.query(f"ALBUM#{album_id}", begins_with="TRACK#", limit=1000).items
        return self._visible_tracks(viewer, [e["trackId"] for e in entries])

    def singles(self, viewer: Principal, owner_id: str) -> list[dict[str, Any]]:
        """The owner's visible tracks that are on no album, newest first (bounded)."""
        return [t for t in self.owner_tracks(viewer, owner_id) if not t.get("albumId")]

    def owner_tracks(self, viewer: Principal, owner_id: str) -> list[dict[str, Any]]:
        """The owner's tracks the viewer may see, newest first (up to OWNER_TRACKS)."""
        return self._owner_items(viewer, owner_id, "TRACKS", OWNER_TRACKS, forward=False)

    def owner_albums(self, viewer: Principal, owner_id: str) -> list[dict[str, Any]]:
        """The owner's albums the viewer may see, in the owner's order (up to OWNER_ALBUMS)."""
        return self._owner_items(viewer, owner_id, "ALBUMS", OWNER_ALBUMS, forward=True)

    def _owner_items(
        self, viewer: Principal, owner_id: str, kind: str, cap: int, *, forward: bool
    ) -> list[dict[str, Any]]:
        # The owner and friends read the full list (then filtered: friends do not see
        # private items), everyone else the owner's public list.
        full = viewer.user_id == owner_id or self.tracks.friends.are_friends(
            viewer.user_id, owner_id
        )
        partition, index = (
            (f"USER#{owner_id}#{kind}", "GSI1")
            if full
            else (f"USER#{owner_id}#{kind}#public", "GSI2")
        )
        found: list[dict[str, Any]] = []
        cursor = None
        while len(found) < cap:
            page = self.table.query(
                partition, index=index, forward=forward, limit=MAX_PAGE, cursor=cursor
            )
            found += [i for i in page.items if self.tracks.can_view(viewer, i)]
            if (cursor := page.next_cursor) is None:
                break
        return found[:cap]

    def artist_profile(self, owner_id: str) -> dict[str, Any]:
        profile = self.table.get(*profile_key(owner_id))
        if profile is None or profile.get("disabled") or profile.get("takenDown"):
            raise SubsonicError(NOT_FOUND, "Artist not found")
        return profile

    def pool(self, viewer: Principal) -> Pool:
        friends = self.streams.friend_ids(viewer)
        tracks = self._read_all(viewer, "TRACKS", POOL_TRACKS, friends)
        albums = self._read_all(viewer, "ALBUMS", POOL_ALBUMS, friends)
        return Pool(
            tracks=tracks[:POOL_TRACKS],
            albums=albums[:POOL_ALBUMS],
            complete=len(tracks) <= POOL_TRACKS and len(albums) <= POOL_ALBUMS,
        )

    def _read_all(
        self, viewer: Principal, kind: str, cap: int, friends: list[str]
    ) -> list[dict[str, Any]]:
        """Up to ``cap + 1`` items (one more tells that there were more)."""
        stream = self.streams.visible(viewer, kind, first_page=MAX_PAGE, friends=friends)
        return [item for _, item in islice(stream, cap + 1)]

    def starred_ids(self, viewer: Principal, track_ids: Iterable[str]) -> set[str]:
        keys = [like_key(viewer.user_id, i) for i in dict.fromkeys(track_ids)]
        return {e["trackId"] for e in self.table.batch_get(keys)} if keys else set()

    def load_tracks(self, viewer: Principal, ids: Sequence[str]) -> list[dict[str, Any]]:
        return self._visible_tracks(viewer, list(ids))

    def load_albums(self, viewer: Principal, ids: Sequence[str]) -> list[dict[str, Any]]:
        found = {a["albumId"]: a for a in self.table.batch_get([album_key(i) for i in ids])}
        return [found[i] for i in ids if i in found and self.tracks.can_view(viewer, found[i])]

    def load_artists(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        found = {p["userId"]: p for p in self.table.batch_get([profile_key(i) for i in ids])}
        return [
            found[i]
            for i in ids
            if i in found and not found[i].get("disabled") and not found[i].get("takenDown")
        ]

    def _visible_tracks(self, viewer: Principal, ids: list[str]) -> list[dict[str, Any]]:
        ids = list(dict.fromkeys(ids))
        found = {t["trackId"]: t for t in self.table.batch_get([track_key(i) for i in ids])}
        return [found[i] for i in ids if i in found and self.tracks.can_view(viewer, found[i])]


# --- Subsonic shapes ------------------------------------------------------------------------


def artist_name(profile: dict[str, Any]) -> str:
    return profile.get("artistName") or profile.get("displayName") or profile["username"]


def artist_entry(profile: dict[str, Any], *, album_count: int | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": f"ar-{profile['userId']}", "name": artist_name(profile)}
    if album_count is not None:
        entry["albumCount"] = album_count
    return entry


def song(track: dict[str, Any], *, starred: bool, artist: str | None = None) -> dict[str, Any]:
    """A track as a Subsonic ``Child``."""
    original = track.get("renditions", {}).get("original", {})
    mime = original.get("mime", "audio/mpeg")
    suffix = _SUFFIX.get(mime) or PurePosixPath(track.get("filename") or "x.mp3").suffix[1:]
    album_id = album_of(track)
    entry: dict[str, Any] = {
        "id": f"tr-{track['trackId']}",
        "parent": album_id,
        "isDir": False,
        "title": track["title"],
        "album": track.get("album") or SINGLES,
        "artist": track.get("artist") or artist or track.get("ownerName", ""),
        "track": track.get("trackNumber"),
        "discNumber": track.get("discNumber"),
        "year": track.get("year"),
        "genre": track.get("genre") or None,
        "coverArt": f"tr-{track['trackId']}" if track.get("cover") else album_id,
        "size": track.get("size"),
        "contentType": mime,
        "suffix": suffix or "mp3",
        "duration": round(track.get("durationMs", 0) / 1000),
        "bitRate": round((track.get("bitrate") or 0) / 1000) or None,
        "samplingRate": track.get("sampleRate"),
        "channelCount": track.get("channels"),
        "path": "/".join(
            (track.get("ownerName", ""), track.get("album") or SINGLES, suffix_name(track))
        ),
        "playCount": track.get("playCount", 0),
        "created": iso(track["createdAt"]),
        "albumId": album_id,
        "artistId": f"ar-{track['ownerId']}",
        "type": "music",
        "mediaType": "song",
        "isVideo": False,
    }
    if starred:
        entry["starred"] = iso(track.get("likedAt") or track["createdAt"])
    return {k: v for k, v in entry.items() if v is not None}


def suffix_name(track: dict[str, Any]) -> str:
    return track.get("filename") or f"{track['trackId']}.mp3"


def album_of(track: dict[str, Any]) -> str:
    return f"al-{track['albumId']}" if track.get("albumId") else f"sg-{track['ownerId']}"


def album_entry(album: dict[str, Any], tracks: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One of our albums as an ``AlbumID3`` (counts from the tracks the caller sees)."""
    entry: dict[str, Any] = {
        "id": f"al-{album['albumId']}",
        "name": album["title"],
        "artist": album.get("artist") or album.get("ownerName", ""),
        "artistId": f"ar-{album['ownerId']}",
        "coverArt": f"al-{album['albumId']}",
        "songCount": len(tracks),
        "duration": round(sum(t.get("durationMs", 0) for t in tracks) / 1000),
        "created": iso(album["createdAt"]),
        "year": album.get("year"),
        "genre": album.get("genre") or None,
        "playCount": sum(t.get("playCount", 0) for t in tracks),
    }
    return {k: v for k, v in entry.items() if v is not None}


def singles_entry(profile: dict[str, Any], tracks: Sequence[dict[str, Any]]) -> dict[str, Any]:
    owner_id = profile["userId"]
    return {
        "id": f"sg-{owner_id}",
        "name": SINGLES,
        "artist": artist_name(profile),
        "artistId": f"ar-{owner_id}",
        "coverArt": f"sg-{owner_id}",
        "songCount": len(tracks),
        "duration": round(sum(t.get("durationMs", 0) for t in tracks) / 1000),
        "created": iso(min((t["createdAt"] for t in tracks), default=profile["createdAt"])),
        "playCount": sum(t.get("playCount", 0) for t in tracks),
    }


def album_child(entry: dict[str, Any]) -> dict[str, Any]:
    """An ``AlbumID3`` entry as the folder-style ``Child`` of the older calls
    (getAlbumList, search2, getMusicDirectory), which has a title, not a name or counts."""
    child = {k: v for k, v in entry.items() if k not in ("name", "songCount")}
    return {**child, "parent": entry["artistId"], "isDir": True, "title": entry["name"]}
