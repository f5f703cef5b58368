"""An album owner edits what the album holds: add, reorder and remove tracks, set the cover.

A track joins, moves and leaves through ``Tracks.update`` (albumId, discNumber,
trackNumber): that one write keeps the entry item, the track and the album's stored counts
together in one transaction. A reorder first claims the album (its ``version``, so a
reorder made from a stale page is 412), then moves each track whose place changed.

The cover is a copy of the image's derivatives under the album's own blob prefix, so it
stays when the track or photo it came from is deleted; the previous copy is deleted after
the album points to the new one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ulid import ULID

from soundshelf.catalog.album_contents import MAX_TRACKS, album_key
from soundshelf.catalog.albums import Albums
from soundshelf.catalog.tracks import Tracks
from soundshelf.core.stored import derived_key, upload_key
from soundshelf.core.users import Principal
from soundshelf.errors import NotFound, PreconditionFailed, ValidationFailed
from soundshelf.policies import ensure_can_edit
from soundshelf.ports.blobs import BlobStore
from soundshelf.ports.table import AttributeAbsent, AttributeEquals, ConditionFailed, Table

MAX_DISC = 99
MAX_NUMBER = 9999
COVER_SIZES = ("thumb", "medium", "large")

PhotoLookup = Callable[[str], dict[str, Any] | None]


class Tracklists:
    def __init__(
        self,
        *,
        table: Table,
        blobs: BlobStore,
        albums: Albums,
        tracks: Tracks,
        photo_of: PhotoLookup,
    ) -> None:
        self.table = table
        self.blobs = blobs
        self.albums = albums
        self.tracks = tracks
        self.photo_of = photo_of  # a photo item by id (an uploaded image becomes one)

    def _own_album(self, viewer: Principal, album_id: str) -> dict[str, Any]:
        return dict(
            ensure_can_edit(
                viewer,
                self.albums.load(album_id),
                friends=self.tracks.friends.are_friends,
                what="album",
            )
        )

    def _entries(self, album_id: str) -> list[dict[str, Any]]:
        return self.table.query(
            album_key(album_id)[0], begins_with="TRACK#", limit=MAX_TRACKS
        ).items

    def add(
        self,
        viewer: Principal,
        album_id: str,
        track_id: str,
        *,
        disc: int | None = None,
        number: int | None = None,
    ) -> dict[str, Any]:
        """Put one of the viewer's tracks in their album (moving it from another album),
        at ``disc``/``number`` or after the last track of its disc."""
        album = self._own_album(viewer, album_id)
        track = self.tracks.load(track_id)
        if track is None or track["ownerId"] != viewer.user_id:
            raise NotFound("No such track of yours")
        entries = [e for e in self._entries(album_id) if e["trackId"] != track_id]
        if len(entries) >= MAX_TRACKS:
            raise ValidationFailed(f"An album holds at most {MAX_TRACKS} tracks")
        disc = _bounded(disc or 1, MAX_DISC, "discNumber")
        if number is None:
            numbers = [n for d, n in map(_place, entries) if d == disc]
            number = max(numbers, default=0) + 1
        number = _bounded(number, MAX_NUMBER, "trackNumber")
        self.tracks.update(
            viewer, track_id, {"albumId": album_id, "discNumber": disc, "trackNumber": number}
        )
        if not album.get("cover") and track.get("cover"):
            self._set_cover(album, track["cover"], only_if_none=True)
        return self.albums.get(viewer, album_id)

    def remove(self, viewer: Principal, album_id: str, track_id: str) -> None:
        self._own_album(viewer, album_id)
        track = self.tracks.load(track_id)
        if track is None or track.get("albumId") != album_id:
            raise NotFound("No such track in this album")
        self.tracks.update(viewer, track_id, {"albumId": None})

    def reorder(
        self,
        viewer: Principal,
        album_id: str,
        order: list[dict[str, Any]],
        *,
        expected_version: int | None,
    ) -> dict[str, Any]:
        """``order`` lists every track of the album once (``trackId``, optional
        ``discNumber``: else the disc it is on); tracks are numbered 1, 2… per disc in
        that order."""
        album = self._own_album(viewer, album_id)
        if expected_version is not None and expected_version != album["version"]:
            raise PreconditionFailed("The album changed since you read it; reload and retry")
        entries = self._entries(album_id)
        places = {e["trackId"]: _place(e) for e in entries}
        wanted = [o["trackId"] for o in order]
        if len(set(wanted)) != len(wanted) or set(wanted) != set(places):
            raise ValidationFailed("List every track of the album exactly once")
        moves: list[tuple[str, int, int]] = []
        next_number: dict[int, int] = {}
        for item in order:
            disc = _bounded(item.get("discNumber") or places[item["trackId"]][0], MAX_DISC, "disc")
            next_number[disc] = next_number.get(disc, 0) + 1
            if places[item["trackId"]] != (disc, next_number[disc]):
                moves.append((item["trackId"], disc, next_number[disc]))
        try:  # claim the album first: a second reorder from the same page is refused
            self.table.update(
                *album_key(album_id),
                add={"version": 1},
                condition=AttributeEquals("version", album["version"]),
            )
        except ConditionFailed:
            raise PreconditionFailed("The album changed meanwhile; reload and retry") from None
        for track_id, disc, number in moves:
            self.tracks.update(viewer, track_id, {"discNumber": disc, "trackNumber": number})
        return self.albums.get(viewer, album_id)

    def set_cover(
        self,
        viewer: Principal,
        album_id: str,
        *,
        from_track: str | None = None,
        upload_id: str | None = None,
    ) -> dict[str, Any]:
        """The cover from a track of the album (its embedded art) or from an image the
        owner uploaded; ``None`` for both removes the cover."""
        album = self._own_album(viewer, album_id)
        if from_track is not None and upload_id is not None:
            raise ValidationFailed("Give fromTrackId or uploadId, not both")
        source: dict[str, Any] | None = None
        if from_track is not None:
            track = self.tracks.load(from_track)
            if track is None or track.get("albumId") != album_id:
                raise NotFound("No such track in this album")
            source = track.get("cover")
            if not source:
                raise ValidationFailed("That track has no embedded cover art")
        elif upload_id is not None:
            source = self._uploaded_image(viewer, upload_id)
        self._set_cover(album, source, only_if_none=False)
        return self.albums.get(viewer, album_id)

    def _uploaded_image(self, viewer: Principal, upload_id: str) -> dict[str, Any]:
        upload = self.table.get(*upload_key(upload_id)) if len(upload_id) <= 64 else None
        if upload is None or upload.get("ownerId") != viewer.user_id:
            raise NotFound("No such upload of yours")
        if upload.get("status") != "ready" or upload.get("resultType") != "photo":
            raise ValidationFailed("The upload is not a processed image")
        photo = self.photo_of(upload["resultId"])
        if photo is None or not photo.get("derivatives"):
            raise NotFound("No such image")
        return photo["derivatives"]

    def _set_cover(
        self, album: dict[str, Any], source: dict[str, Any] | None, *, only_if_none: bool
    ) -> None:
        cover = self._copy(album, source) if source else None
        condition = AttributeAbsent("cover") if only_if_none else None
        try:
            if cover:
                self.table.update(
                    *album_key(album["albumId"]), set={"cover": cover}, condition=condition
                )
            else:
                self.table.update(*album_key(album["albumId"]), remove=["cover"])
        except ConditionFailed:  # someone set one meanwhile: theirs stays, ours goes
            self._delete(cover)
            return
        self._delete(album.get("cover"))

    def _copy(self, album: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
        """The source's derivatives copied to the album's own keys (new ones each time,
        so a reader of the old cover never sees a half-written new one)."""
        stamp = str(ULID()).lower()
        cover = {}
        for size in COVER_SIZES:
            if size not in source:
                continue
            blob = source[size]
            key = derived_key(album["ownerId"], album["albumId"], f"cover-{stamp}-{size}")
            info = self.blobs.put(key, self.blobs.read(blob["key"]), content_type=blob["mime"])
            cover[size] = {**blob, "key": key, "size": info.size}
        return cover

    def _delete(self, cover: dict[str, Any] | None) -> None:
        for blob in (cover or {}).values():
            self.blobs.delete(blob["key"])


def _place(entry: dict[str, Any]) -> tuple[int, int]:
    """(disc, number) from an entry's sort key ``TRACK#{disc}#{number}#{trackId}``."""
    _, disc, number, _ = entry["SK"].split("#")
    return int(disc), int(number)


def _bounded(value: int, high: int, name: str) -> int:
    if not 1 <= int(value) <= high:
        raise ValidationFailed(f"{name} is between 1 and {high}")
    return int(value)
