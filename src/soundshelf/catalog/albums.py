"""Albums: the artist's album dashboard (create, edit, order by rank) and album pages."""

from __future__ import annotations

from typing import Any

from ulid import ULID

from soundshelf.catalog.album_contents import (
    COUNTS,
    MAX_TRACKS,
    album_key,
    totals,
    viewer_counts,
)
from soundshelf.catalog.indexes import listing_keys, owner_id_of, split_changes
from soundshelf.catalog.tracks import Tracks, track_key
from soundshelf.core.text import normalize
from soundshelf.core.users import Principal
from soundshelf.errors import Conflict, PreconditionFailed, ValidationFailed
from soundshelf.events import ChangeEvents
from soundshelf.policies import VISIBILITIES, ensure_can_edit, ensure_can_view
from soundshelf.ports.clock import Clock, iso
from soundshelf.ports.table import (
    AttributeAbsent,
    AttributeEquals,
    ConditionFailed,
    Delete,
    ItemAbsent,
    ItemPresent,
    Put,
    Table,
    TransactionFailed,
    Update,
)

KIND = "ALBUMS"
FIELDS = ("title", "artist", "year", "genre", "rank", "visibility")
NO_RANK = 9_999_999_999
RECOUNT_ATTEMPTS = 3


def name_key(owner_id: str, title: str, artist: str) -> tuple[str, str]:
    """One per (owner, title, artist): its conditional put is the uniqueness check."""
    return f"ALBUMNAME#{owner_id}#{normalize(title)}#{normalize(artist)}", "ALBUMNAME"


def rank_sort_key(album: dict[str, Any]) -> str:
    rank = album.get("rank")
    return f"{NO_RANK if rank is None else rank:010d}#{album['albumId']}"


class Albums:
    def __init__(self, *, table: Table, clock: Clock, tracks: Tracks, events: ChangeEvents) -> None:
        self.table = table
        self.clock = clock
        self.tracks = tracks
        self.events = events  # item_changed after every write

    def load(self, album_id: str) -> dict[str, Any] | None:
        return self.table.get(*album_key(album_id))

    def view(
        self, album: dict[str, Any], viewer: Principal | None = None, *, as_owner: bool = False
    ) -> dict[str, Any]:
        """The album as ``viewer`` sees it: its owner (or a share link the owner made,
        ``as_owner``) counts all its tracks, everyone else its public ones."""
        cover = album.get("cover") or {}
        cover_key = (cover.get("medium") or cover.get("thumb") or {}).get("key")
        owner = as_owner or (viewer is not None and viewer.user_id == album["ownerId"])
        return {
            "albumId": album["albumId"],
            "title": album["title"],
            "artist": album["artist"],
            "year": album.get("year"),
            "genre": album.get("genre", ""),
            "rank": album.get("rank"),
            "visibility": album["visibility"],
            "owner": album.get("ownerName", ""),
            # Only its owner ever sees a taken-down album (policies.can_view).
            "status": "taken_down" if album.get("takenDown") else "ready",
            "createdAt": iso(album["createdAt"]),
            "version": album["version"],
            **viewer_counts(self.counted(album), owner=owner),
            "coverUrl": self.tracks.cover_url(cover_key) if cover_key else None,
        }

    def counted(self, album: dict[str, Any]) -> dict[str, Any]:
        """``album`` with its stored counts; an album stored before there were counts
        is counted from its tracks and the result stored (once: ``counted`` marks it),
        unless a track changed the counts meanwhile (``countsRev``), then counted again."""
        for _ in range(RECOUNT_ATTEMPTS):
            if album.get("counted"):
                return album
            entries = self.table.query(
                album_key(album["albumId"])[0], begins_with="TRACK#", limit=MAX_TRACKS
            ).items
            tracks = self.table.batch_get([track_key(e["trackId"]) for e in entries])
            found = totals([t for t in tracks if t.get("albumId") == album["albumId"]])
            rev = album.get("countsRev")
            try:
                self.table.update(
                    *album_key(album["albumId"]),
                    set={**found, "counted": True},
                    condition=[ItemPresent(), AttributeAbsent("countsRev")]
                    if rev is None
                    else AttributeEquals("countsRev", rev),
                )
                return {**album, **found, "counted": True}
            except ConditionFailed:
                album = self.load(album["albumId"]) or {**album, **found, "counted": True}
        return album

    def create(self, owner: Principal, fields: dict[str, Any]) -> dict[str, Any]:
        album_id, now = str(ULID()), self.clock.now()
        album = {
            "PK": album_key(album_id)[0],
            "SK": album_key(album_id)[1],
            "albumId": album_id,
            "ownerId": owner.user_id,
            "ownerName": owner.username,
            "createdAt": now,
            "version": 1,
            "visibility": "private",
            **_checked(fields, partial=False),
            **dict.fromkeys(COUNTS, 0),
            "counted": True,
        }
        album.update(_without_none(listing_keys(KIND, album, rank_sort_key(album))))
        name_pk, name_sk = name_key(owner.user_id, album["title"], album["artist"])
        try:
            self.table.transact(
                [
                    Put(album, condition=ItemAbsent()),
                    Put(
                        {"PK": name_pk, "SK": name_sk, "albumId": album_id}, condition=ItemAbsent()
                    ),
                ]
            )
        except TransactionFailed:
            raise _duplicate(album) from None
        self.events.item_changed("album", album_id)
        return album

    def get(self, viewer: Principal | None, album_id: str) -> dict[str, Any]:
        album = dict(
            ensure_can_view(
                viewer, self.load(album_id), friends=self.tracks.friends.are_friends, what="album"
            )
        )
        view, tracks = self.view(album, viewer), self.album_tracks(viewer, album_id)
        if view["coverUrl"] is None:  # no cover of its own yet: its first track's art
            view["coverUrl"] = next((t["coverUrl"] for t in tracks if t["coverUrl"]), None)
        return {**view, "tracks": tracks}

    def album_tracks(self, viewer: Principal | None, album_id: str) -> list[dict[str, Any]]:
        """The album's tracks the viewer may see, in disc/track order."""
        entries = self.table.query(
            album_key(album_id)[0], begins_with="TRACK#", limit=MAX_TRACKS
        ).items
        ids = [e["trackId"] for e in entries]
        found = {t["trackId"]: t for t in self.table.batch_get([track_key(i) for i in ids])}
        visible = [found[i] for i in ids if i in found and self.tracks.can_view(viewer, found[i])]
        return self.tracks.views(viewer, visible)

    def owner_tracks(self, album_id: str, owner_id: str) -> list[dict[str, Any]]:
        """The album's own tracks in order, whatever their visibility (for a share link
        the owner made), without taken-down ones or other people's."""
        entries = self.table.query(
            album_key(album_id)[0], begins_with="TRACK#", limit=MAX_TRACKS
        ).items
        found = self.table.batch_get([track_key(e["trackId"]) for e in entries])
        by_id = {t["trackId"]: t for t in found}
        return [
            track
            for e in entries
            if (track := by_id.get(e["trackId"])) is not None
            and track["ownerId"] == owner_id
            and not track.get("takenDown")
        ]

    def list(
        self, viewer: Principal | None, *, owner: str, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """The albums of ``owner`` (``me`` or a username), as ``list_of``."""
        owner_id = owner_id_of(self.table, viewer, owner, what="albums")
        return self.list_of(viewer, owner_id, limit=limit, cursor=cursor)

    def list_of(
        self, viewer: Principal | None, owner_id: str, *, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """An owner's albums ascending by rank (the owner sees all, others public ones)."""
        mine = viewer is not None and viewer.user_id == owner_id
        if mine:
            page = self.table.query(
                f"USER#{owner_id}#{KIND}", index="GSI1", limit=limit, cursor=cursor
            )
        else:
            page = self.table.query(
                f"USER#{owner_id}#{KIND}#public", index="GSI2", limit=limit, cursor=cursor
            )
        return [self.view(a, viewer) for a in page.items], page.next_cursor

    def update(
        self,
        viewer: Principal,
        album_id: str,
        fields: dict[str, Any],
        *,
        partial: bool,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """PUT (``partial=False``: every field) or PATCH; renaming keeps titles unique."""
        album = dict(
            ensure_can_edit(
                viewer, self.load(album_id), friends=self.tracks.friends.are_friends, what="album"
            )
        )
        if expected_version is not None and expected_version != album["version"]:
            raise PreconditionFailed("The album changed since you read it; reload and retry")
        new = {**album, **_checked(fields, partial=partial)}
        set_, remove = split_changes(
            {
                **{f: new.get(f) for f in FIELDS},
                **listing_keys(KIND, new, rank_sort_key(new)),
                "version": album["version"] + 1,
            }
        )
        ops: list[Any] = [
            Update(
                *album_key(album_id),
                set=set_,
                remove=remove,
                condition=AttributeEquals("version", album["version"]),
            )
        ]
        old_name = name_key(album["ownerId"], album["title"], album["artist"])
        new_name = name_key(album["ownerId"], new["title"], new["artist"])
        if new_name != old_name:
            ops += [
                Delete(*old_name),
                Put(
                    {"PK": new_name[0], "SK": new_name[1], "albumId": album_id},
                    condition=ItemAbsent(),
                ),
            ]
        try:
            self.table.transact(ops)
        except TransactionFailed as exc:
            if 0 in exc.failed_indexes:
                raise PreconditionFailed("The album changed meanwhile; reload and retry") from None
            raise _duplicate(new) from None
        self.events.item_changed("album", album_id)
        return self.get(viewer, album_id)

    def delete(self, viewer: Principal, album_id: str) -> None:
        """Delete the album; its tracks stay, without an album."""
        album = ensure_can_edit(
            viewer, self.load(album_id), friends=self.tracks.friends.are_friends, what="album"
        )
        entries = self.table.query(
            album_key(album_id)[0], begins_with="TRACK#", limit=MAX_TRACKS
        ).items
        for entry in entries:
            self.table.update(*track_key(entry["trackId"]), set={"album": ""}, remove=["albumId"])
            self.table.delete(entry["PK"], entry["SK"])
        self.table.transact(
            [
                Delete(*album_key(album_id)),
                Delete(*name_key(album["ownerId"], album["title"], album["artist"])),
            ]
        )
        for blob in (album.get("cover") or {}).values():  # the album's own copy
            self.tracks.blobs.delete(blob["key"])
        self.events.item_changed("album", album_id)


def _checked(fields: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    required = () if partial else ("title", "artist")
    for name in required:
        if not str(fields.get(name) or "").strip():
            raise ValidationFailed(f"An album needs {'a' if name == 'title' else 'an'} {name}")
    for name in FIELDS:
        if name not in fields:
            if not partial and name not in {"visibility"}:
                out[name] = None if name in {"year", "rank"} else ""
            continue
        value = fields[name]
        if name in {"title", "artist"}:
            value = str(value or "").strip()
            if not value:
                raise ValidationFailed(f"The album {name} cannot be empty")
        elif name == "visibility" and value not in VISIBILITIES:
            raise ValidationFailed("visibility is private, friends or public")
        out[name] = value
    return out


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _duplicate(album: dict[str, Any]) -> Conflict:
    return Conflict(f"You already have an album \u201c{album['title']}\u201d by {album['artist']}")
