"""Uploaded tracks join their album (issue 17.2): a track whose tags name an album goes
into its owner's album of that title and album artist, made on the first such track.

It runs where every track is made (``processing``), so a folder dropped in the web app,
many files sent at once and ``soundshelf import`` all group the same way. The album keeps
its tracks in disc and track order (``Tracklists.add`` places the track by its tagged
numbers, after the disc's last track when it has none) and takes the first embedded cover
art as its cover when it has none. A track already in an album is left where it is, so a
repeated job delivery changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from soundshelf.catalog.albums import Albums, name_key
from soundshelf.catalog.tracklists import Tracklists
from soundshelf.core.users import principal_of, profile_key
from soundshelf.errors import Conflict
from soundshelf.ports.table import Table

log = logging.getLogger("soundshelf.uploads")


class AlbumGrouping:
    def __init__(self, *, table: Table, albums: Albums, tracklists: Tracklists) -> None:
        self.table = table
        self.albums = albums
        self.tracklists = tracklists

    def place(self, track: dict[str, Any]) -> str | None:
        """Puts ``track`` (a committed track item) into the album its tags name; returns
        the album's id, or None when its tags name no album."""
        title = str(track.get("album") or "").strip()
        if not title or track.get("albumId"):
            return track.get("albumId")
        profile = self.table.get(*profile_key(track["ownerId"]))
        if profile is None:
            return None  # the owner left meanwhile
        owner = principal_of(profile)
        # The album artist when tagged (a compilation's tracks have their own artists).
        artist = str(track.get("albumArtist") or track.get("artist") or owner.username).strip()
        album_id = self._album_id(owner, title, artist, track)
        self.tracklists.add(
            owner,
            album_id,
            track["trackId"],
            disc=track.get("discNumber") or None,  # 0 or absent: the first disc
            number=track.get("trackNumber") or None,  # absent: after the disc's last
        )
        return album_id

    def _album_id(self, owner: Any, title: str, artist: str, track: dict[str, Any]) -> str:
        existing = self.table.get(*name_key(owner.user_id, title, artist))
        if existing:
            return str(existing["albumId"])
        fields = {"title": title, "artist": artist, "genre": track.get("genre") or ""}
        if track.get("year"):
            fields["year"] = track["year"]
        try:
            return str(self.albums.create(owner, fields)["albumId"])
        except Conflict:
            # Another track of the same album, processed at the same moment, made it first.
            existing = self.table.get(*name_key(owner.user_id, title, artist))
            if existing is None:
                raise
            return str(existing["albumId"])
