"""Track use cases: read, list, edit, delete, stream, like, play."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ulid import ULID

from soundshelf.catalog.album_contents import album_key, count_ops, entry_of, track_entry_key
from soundshelf.catalog.indexes import listing_keys, owner_id_of, owner_listing, split_changes
from soundshelf.catalog.listen_copies import listen_rendition
from soundshelf.config import Settings
from soundshelf.core.stats import count
from soundshelf.core.stored import delete_blobs, derived_prefix, removal_ops
from soundshelf.core.users import Principal
from soundshelf.errors import NotFound, PreconditionFailed, ValidationFailed
from soundshelf.events import ChangeEvents
from soundshelf.policies import VISIBILITIES, can_view, ensure_can_edit, ensure_can_view
from soundshelf.ports.blobs import BlobStore
from soundshelf.ports.clock import Clock, iso
from soundshelf.ports.table import (
    AttributeAbsent,
    AttributeEquals,
    Delete,
    ItemAbsent,
    ItemPresent,
    Page,
    Put,
    Table,
    TransactionFailed,
    Update,
)
from soundshelf.social.friends import Friends

KIND = "TRACKS"
QUALITIES = ("original", "high", "low")
EDITABLE = ("title", "artist", "album", "genre", "year", "trackNumber", "discNumber")
PLAY_SHARDS = 8  # daily play counters are split so one hit track is not one hot item
HISTORY_DAYS = 90


def track_key(track_id: str) -> tuple[str, str]:
    return f"TRACK#{track_id}", "TRACK"


def lyrics_key(track_id: str) -> tuple[str, str]:
    """Embedded lyrics live beside the track, not on it: the listing indexes project every
    attribute, so up to 64 KiB of text on the track would be read by every list of tracks.
    The track's ``hasLyrics`` says whether to read this item at all."""
    return f"TRACK#{track_id}", "LYRICS"


def like_key(user_id: str, track_id: str) -> tuple[str, str]:
    return f"USER#{user_id}", f"LIKE#TRACK#{track_id}"


class Tracks:
    def __init__(
        self,
        *,
        table: Table,
        blobs: BlobStore,
        clock: Clock,
        friends: Friends,
        settings: Settings,
        events: ChangeEvents,
    ) -> None:
        self.table = table
        self.blobs = blobs
        self.clock = clock
        self.friends = friends
        self.settings = settings
        # item_changed after every write; item_published when a track becomes public.
        self.events = events

    # --- reading -------------------------------------------------------------------------

    def load(self, track_id: str) -> dict[str, Any] | None:
        return self.table.get(*track_key(track_id))

    def visible(self, viewer: Principal | None, track_id: str) -> dict[str, Any]:
        return dict(
            ensure_can_view(
                viewer, self.load(track_id), friends=self.friends.are_friends, what="track"
            )
        )

    def can_view(self, viewer: Principal | None, track: dict[str, Any]) -> bool:
        return can_view(viewer, track, friends=self.friends.are_friends)

    def views(self, viewer: Principal | None, tracks: Sequence[dict[str, Any]]) -> list[dict]:
        """API views of tracks the viewer may see (with ``likedByMe`` in one batch)."""
        liked: set[str] = set()
        if viewer is not None and tracks:
            edges = self.table.batch_get([like_key(viewer.user_id, t["trackId"]) for t in tracks])
            liked = {e["trackId"] for e in edges}
        return [self.view(t, liked=t["trackId"] in liked, viewer=viewer) for t in tracks]

    def view(self, track: dict[str, Any], *, liked: bool, viewer: Principal | None) -> dict:
        cover = track.get("cover") or {}
        cover_key = (cover.get("medium") or cover.get("thumb") or {}).get("key")
        view = {
            "trackId": track["trackId"],
            "title": track["title"],
            "artist": track.get("artist", ""),
            "album": track.get("album", ""),
            "albumId": track.get("albumId"),
            "trackNumber": track.get("trackNumber"),
            "discNumber": track.get("discNumber"),
            "genre": track.get("genre", ""),
            "year": track.get("year"),
            "durationMs": track["durationMs"],
            "visibility": track["visibility"],
            "owner": track.get("ownerName", ""),
            "coverUrl": self._url(cover_key) if cover_key else None,
            "status": "taken_down" if track.get("takenDown") else "ready",
            "playCount": track.get("playCount", 0),
            "likeCount": track.get("likeCount", 0),
            "likedByMe": liked,
            "createdAt": iso(track["createdAt"]),
            "version": track.get("version", 1),
        }
        if viewer is not None and viewer.user_id == track["ownerId"]:
            view["filename"] = track.get("filename")
        return view

    def get(self, viewer: Principal | None, track_id: str) -> dict[str, Any]:
        return self.views(viewer, [self.visible(viewer, track_id)])[0]

    def list(
        self,
        viewer: Principal | None,
        *,
        owner: str | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Tracks newest first: mine (``owner="me"``), someone's, or the public feed."""
        if not owner:
            page = self.table.query(
                f"PUBLIC#{KIND}", index="GSI3", forward=False, limit=limit, cursor=cursor
            )
            return self.views(viewer, page.items), page.next_cursor
        owner_id = owner_id_of(self.table, viewer, owner, what="tracks")
        page = self._owner_page(viewer, owner_id, limit=limit, cursor=cursor)
        items = [t for t in page.items if self.can_view(viewer, t)]
        return self.views(viewer, items), page.next_cursor

    def _owner_page(
        self, viewer: Principal | None, owner_id: str, *, limit: int, cursor: str | None
    ) -> Page:
        return owner_listing(
            self.table,
            kind=KIND,
            owner_id=owner_id,
            viewer=viewer,
            is_friend=self.friends.are_friends,
            limit=limit,
            cursor=cursor,
        )

    # --- editing -------------------------------------------------------------------------

    def update(
        self,
        viewer: Principal,
        track_id: str,
        changes: dict[str, Any],
        *,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        track = dict(
            ensure_can_edit(
                viewer, self.load(track_id), friends=self.friends.are_friends, what="track"
            )
        )
        if expected_version is not None and expected_version != track.get("version", 1):
            raise PreconditionFailed("The track changed since you read it; reload and retry")
        new = dict(track)
        for name in EDITABLE:
            if name in changes:
                new[name] = changes[name]
        if not str(new.get("title", "")).strip():
            raise ValidationFailed("A track needs a title")
        if "visibility" in changes:
            if changes["visibility"] not in VISIBILITIES:
                raise ValidationFailed("visibility is private, friends or public")
            new["visibility"] = changes["visibility"]
        ops: list[Any] = []
        if "albumId" in changes and changes["albumId"] != track.get("albumId"):
            new["albumId"] = changes["albumId"]
            ops += self._album_moves(viewer, track, new)
        elif track.get("albumId") and any(n in changes for n in ("trackNumber", "discNumber")):
            ops += self._album_moves(viewer, track, new)
        set_, remove = split_changes(
            {
                **{k: new.get(k) for k in (*EDITABLE, "visibility", "albumId")},
                **listing_keys(KIND, new, track["GSI1SK"]),
                "version": track.get("version", 1) + 1,
            }
        )
        update = Update(
            *track_key(track_id),
            set=set_,
            remove=remove,
            condition=_unchanged(track),
        )
        try:
            self.table.transact([update, *ops, *count_ops(track, new)])
        except TransactionFailed as exc:
            if 0 in exc.failed_indexes:
                raise PreconditionFailed("The track changed meanwhile; reload and retry") from None
            if new.get("albumId"):
                raise NotFound("No such album of yours") from None
            raise
        if track["visibility"] != "public" and new["visibility"] == "public":
            self.events.item_published("track", new)
        self.events.item_changed("track", track_id)
        return self.get(viewer, track_id)

    def _album_moves(
        self, viewer: Principal, old: dict[str, Any], new: dict[str, Any]
    ) -> list[Any]:
        ops: list[Any] = []
        if old.get("albumId") and new.get("albumId") and entry_of(old) == entry_of(new):
            return ops  # same place: nothing to move (and one transaction may not touch it twice)
        if old.get("albumId"):
            ops.append(Delete(*track_entry_key(old)))
        if new.get("albumId"):
            album = self.table.get(*album_key(new["albumId"]))
            if album is None or album["ownerId"] != viewer.user_id:
                raise NotFound("No such album of yours")
            new["album"] = album["title"]
            ops.append(Put(entry_of(new)))
        else:
            new["album"] = ""
        return ops

    def delete(self, viewer: Principal, track_id: str) -> None:
        track = ensure_can_edit(
            viewer, self.load(track_id), friends=self.friends.are_friends, what="track"
        )
        ops: list[Any] = removal_ops("track", track_key(track_id), track)
        if track.get("hasLyrics"):
            ops.append(Delete(*lyrics_key(track_id)))
        if track.get("albumId"):
            ops.append(Delete(*track_entry_key(track)))
        try:
            self.table.transact([*ops, *count_ops(track, None)])
        except TransactionFailed:
            raise NotFound("No such track") from None
        self.events.item_changed("track", track_id)
        delete_blobs(self.blobs, track["originalKey"], derived_prefix(track["ownerId"], track_id))

    # --- listening -------------------------------------------------------------------------

    def stream_url(self, viewer: Principal | None, track_id: str, quality: str) -> str:
        if quality not in QUALITIES:
            raise ValidationFailed("quality is original, high or low")
        return self.rendition_url(self.visible(viewer, track_id), quality)

    def rendition_url(self, track: dict[str, Any], quality: str) -> str:
        """A signed URL of the best rendition at or below ``quality`` (a streamable
        original has no rendition of its own, so lower qualities fall back to it)."""
        renditions = track["renditions"]
        order = {
            "original": ["original"],
            "high": ["high", "original"],
            "low": ["low", "high", "original"],
        }[quality]
        chosen = next(renditions[name] for name in order if name in renditions)
        return self.blobs.presign_download(
            chosen["key"], ttl=self.settings.media_url_ttl, content_type=chosen["mime"]
        )

    def listen_url(self, track: dict[str, Any]) -> str | None:
        """A signed URL of an encoded rendition, never of the original: what a link shared
        without downloads plays. None until the listening copy of a track whose original
        streams as is was made (ListenCopies): the link plays nothing rather than the file."""
        chosen = listen_rendition(track)
        if chosen is None:
            return None
        return self.blobs.presign_download(
            chosen["key"], ttl=self.settings.media_url_ttl, content_type=chosen["mime"]
        )

    def download_url(self, track: dict[str, Any]) -> str:
        """The original file, downloaded under its uploaded name."""
        original = track["renditions"]["original"]
        return self.blobs.presign_download(
            original["key"],
            ttl=self.settings.media_url_ttl,
            content_type=original["mime"],
            filename=track.get("filename") or "track",
        )

    def lyrics(self, track: dict[str, Any]) -> list[dict[str, Any]]:
        """The embedded lyrics of a track the caller may see: ``{lang, lines, startsMs}``
        sets, synced ones (with one start per line) first."""
        item = self.table.get(*lyrics_key(track["trackId"])) if track.get("hasLyrics") else None
        return item["sets"] if item else []

    def waveform(self, viewer: Principal | None, track_id: str) -> list[float]:
        return self.peaks(self.visible(viewer, track_id))

    def peaks(self, track: dict[str, Any]) -> list[float]:
        return json.loads(self.blobs.read(track["waveformKey"]))["peaks"]

    def like(self, viewer: Principal, track_id: str) -> None:
        self.visible(viewer, track_id)
        now = self.clock.now()
        pk, sk = like_key(viewer.user_id, track_id)
        try:
            self.table.transact(
                [
                    Put(
                        {
                            "PK": pk,
                            "SK": sk,
                            "trackId": track_id,
                            "likedAt": now,
                            "GSI1PK": f"USER#{viewer.user_id}#LIKES",
                            "GSI1SK": f"{iso(now)}#{track_id}",
                        },
                        condition=ItemAbsent(),
                    ),
                    Update(*track_key(track_id), add={"likeCount": 1}, condition=ItemPresent()),
                ]
            )
        except TransactionFailed as exc:
            if 1 in exc.failed_indexes:
                raise NotFound("No such track") from None
            # Already liked: liking is idempotent.

    def unlike(self, viewer: Principal, track_id: str) -> None:
        try:
            self.table.transact(
                [
                    Delete(*like_key(viewer.user_id, track_id), condition=ItemPresent()),
                    Update(*track_key(track_id), add={"likeCount": -1}, condition=ItemPresent()),
                ]
            )
        except TransactionFailed:
            pass  # not liked (or the track is gone): nothing to undo

    def likes(self, viewer: Principal, *, limit: int, cursor: str | None):
        page = self.table.query(
            f"USER#{viewer.user_id}#LIKES", index="GSI1", forward=False, limit=limit, cursor=cursor
        )
        return self._tracks_of(viewer, page)

    def record_play(self, viewer: Principal, track_id: str) -> None:
        """One listen. Three single-item writes, no transaction: the track's running count,
        a sharded daily counter for statistics, and the listener's history."""
        track = self.visible(viewer, track_id)
        now = self.clock.now()
        day = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d")
        self.table.update(*track_key(track_id), add={"playCount": 1})
        self.events.track_played(track)
        self.table.update(
            f"STATS#TRACK#{track_id}",
            f"DAY#{day}#{random.randrange(PLAY_SHARDS)}",
            add={"plays": 1},
            set={"ownerId": track["ownerId"]},
        )
        count(self.table, {"plays": 1}, at=now)  # platform plays per day
        # The listener's latest play of this track, for "listeners in the last 30 days".
        self.table.put(
            {
                "PK": f"STATS#TRACK#{track_id}#LISTENER",
                "SK": viewer.user_id,
                "GSI1PK": f"STATS#TRACK#{track_id}#LISTENERS",
                "GSI1SK": f"{iso(now)}#{viewer.user_id}",
                # One listener's listens, so deleting their account finds them all.
                "GSI2PK": f"USER#{viewer.user_id}#LISTENS",
                "GSI2SK": track_id,
            }
        )
        self.table.put(
            {
                "PK": f"USER#{viewer.user_id}#HISTORY",
                "SK": f"{iso(now)}#{ULID()}",
                "trackId": track_id,
                "playedAt": now,
                "expiresAt": int(now + HISTORY_DAYS * 86400),
            }
        )

    def history(self, viewer: Principal, *, limit: int, cursor: str | None):
        page = self.table.query(
            f"USER#{viewer.user_id}#HISTORY", forward=False, limit=limit, cursor=cursor
        )
        return self._tracks_of(viewer, page)

    def _tracks_of(self, viewer: Principal, page: Page):
        """Views of the tracks a page of edges points to; gone or hidden ones are skipped."""
        ids = [e["trackId"] for e in page.items]
        found = {t["trackId"]: t for t in self.table.batch_get([track_key(i) for i in ids])}
        tracks = [found[i] for i in ids if i in found and self.can_view(viewer, found[i])]
        return self.views(viewer, tracks), page.next_cursor

    def cover_url(self, key: str) -> str:
        """A signed URL of a cover image (a track's or an album's)."""
        return self._url(key)

    def _url(self, key: str) -> str:
        return self.blobs.presign_download(key, ttl=self.settings.media_url_ttl)


def _unchanged(track: dict[str, Any]) -> Any:
    """The condition that ``track`` is still as read: its version (tracks written before
    versions existed: still without one), so counts derived from it stay exact."""
    if "version" in track:
        return AttributeEquals("version", track["version"])
    return [ItemPresent(), AttributeAbsent("version")]
