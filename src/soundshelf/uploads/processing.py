"""Processing of a received upload (the ``process_upload`` job), idempotent per upload.

The worker sniffs the real type, checks it against what was declared, makes the
derivatives (audio: tags, lyrics, cover, rendition, waveform; image: upright thumbnails
without metadata and a placeholder; file: type and hash), and writes the result item (and
a track's lyrics item), the content-hash entry, the upload's new status and the owner's
storage counter in one transaction. The result item's id is the upload id, so a retry can
never make two.

First of all it moves the original from the key its upload URL wrote to
(``originals/{owner}/{uploadId}``) to the item's own key (``stored_original_key``,
``originals/{owner}/{uploadId}.stored``), which no URL is ever signed for: an old upload
URL cannot replace what was processed. Whatever lands on the old key later is removed
(here once the upload has ended, and by the upload service when the storage reports it).
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from soundshelf.catalog.tracks import lyrics_key
from soundshelf.core.stats import item_counters
from soundshelf.core.stored import derived_key, hash_key, stored_original_key, upload_key
from soundshelf.core.users import profile_key
from soundshelf.events import ChangeEvents
from soundshelf.media.audio import needs_rendition, probe_audio, transcode_with_waveform
from soundshelf.media.errors import UnsupportedMedia
from soundshelf.media.image import process_image
from soundshelf.media.lyrics import Lyrics
from soundshelf.media.sniff import Sniffed, check_declared, sniff_file
from soundshelf.ports.blobs import BlobStore
from soundshelf.ports.clock import Clock, iso
from soundshelf.ports.table import (
    AttributeEquals,
    ConditionFailed,
    ItemAbsent,
    Put,
    Table,
    TransactionFailed,
    Update,
)
from soundshelf.scratch import scratch_folder
from soundshelf.uploads.album_grouping import AlbumGrouping
from soundshelf.uploads.endings import discard_bytes, end_upload, fail_upload
from soundshelf.uploads.quota import charge_op

log = logging.getLogger("soundshelf.processing")

RESULT_TYPES = {"audio": "track", "image": "photo", "file": "file"}
GAVE_UP = "Processing failed several times; please try uploading the file again"
TOO_BIG = "This file needs more memory to process than the server allows for one upload"


def result_key(result_type: str, item_id: str) -> tuple[str, str]:
    return f"{result_type.upper()}#{item_id}", result_type.upper()


class UploadProcessor:
    """The ``process_upload`` job handler."""

    def __init__(
        self,
        *,
        table: Table,
        blobs: BlobStore,
        clock: Clock,
        events: ChangeEvents,
        scratch: Path | None = None,
        albums: AlbumGrouping | None = None,
    ) -> None:
        self.table = table
        self.albums = albums  # puts a track whose tags name an album into that album
        self.scratch = scratch  # where copies of originals are worked on (scratch.py)
        self.blobs = blobs
        self.clock = clock
        # Once a new item is committed: item_changed (tracks and photos, so the owner
        # finds it at once) and item_published (an already visible one fans out).
        self.events = events

    def handle(self, payload: dict[str, Any]) -> None:
        self.process(payload["uploadId"])

    def give_up(self, payload: dict[str, Any], error: str) -> None:
        item = self.table.get(*upload_key(payload["uploadId"]))
        if item is not None and item["status"] in {"pending", "processing"}:
            self._fail(item, GAVE_UP)

    def process(self, upload_id: str) -> None:
        item = self.table.get(*upload_key(upload_id))
        if item is None or item["status"] in {"ready", "failed"}:
            if item is not None and item.get("resultType") == "track":
                # A worker that died after the commit left the grouping undone; placing
                # an already placed track changes nothing.
                self._group(item["resultId"])
            return  # done before: a repeated delivery
        original_key = self._take_original(item)
        with scratch_folder(self.scratch) as work:
            original = work / "original"
            sha256 = self._download(original_key, original)
            try:
                sniffed = sniff_file(original)
                if item["kind"] != "file":
                    check_declared(item["contentType"], sniffed)
                    if sniffed.kind != item["kind"]:
                        raise UnsupportedMedia(
                            f"The file was uploaded as {item['kind']} but it is {sniffed.label}"
                        )
                if self._finish_as_duplicate(item, sha256):
                    return
                result, beside = self._make(item, original, original_key, sniffed, sha256, work)
            except (UnsupportedMedia, MemoryError) as exc:
                # MemoryError: the worker's memory limit for one job (worker.py) stopped
                # a decoder; the worker lives on, this file would fail every retry.
                reason = exc.detail if isinstance(exc, UnsupportedMedia) else TOO_BIG
                log.info("upload refused", extra={"uploadId": upload_id, "reason": reason})
                self._fail(item, reason)
                return
        self._commit(item, result, sha256, beside)
        if result.get("trackId") and self.albums:
            self._group(result["trackId"])

    def _group(self, track_id: str) -> None:
        track = self.table.get(*result_key("track", track_id))
        if track is None or self.albums is None:
            return  # a duplicate of an earlier upload: that one was grouped
        try:
            self.albums.place(track)
        except Exception:
            # The track stands without its album; grouping must not fail the upload.
            log.exception("could not put the track into its album", extra={"trackId": track_id})

    # --- steps -----------------------------------------------------------------------------

    def _take_original(self, item: dict[str, Any]) -> str:
        """Move the original to the item's own key (already there on a retry)."""
        key = stored_original_key(item["ownerId"], item["uploadId"])
        if self.blobs.head(key) is None:
            self.blobs.move(item["blobKey"], key)
        return key

    def _download(self, key: str, dest: Path) -> str:
        digest = hashlib.sha256()
        with dest.open("wb") as out:
            for chunk in self.blobs.open(key):
                digest.update(chunk)
                out.write(chunk)
        return digest.hexdigest()

    def _make(
        self,
        item: dict[str, Any],
        original: Path,
        original_key: str,
        sniffed: Sniffed,
        sha256: str,
        work: Path,
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The result item, and the items written beside it (a track's lyrics)."""
        now = self.clock.now()
        beside: list[dict[str, Any]] = []
        result_type = RESULT_TYPES[item["kind"]]
        record: dict[str, Any] = {
            "PK": result_key(result_type, item["uploadId"])[0],
            "SK": result_key(result_type, item["uploadId"])[1],
            f"{result_type}Id": item["uploadId"],
            "ownerId": item["ownerId"],
            "filename": item["filename"],
            "mime": sniffed.mime,
            "size": original.stat().st_size,
            "sha256": sha256,
            "originalKey": original_key,
            "ownerName": self._owner_name(item["ownerId"]),
            "visibility": "private",
            "version": 1,
            "createdAt": now,
        }
        if result_type == "track":
            fields, lyrics = self._audio(item, original, original_key, sniffed, work)
            record |= fields
            if lyrics:
                beside.append(_lyrics_item(item["uploadId"], lyrics))
        elif result_type == "photo":
            record |= self._image(item, original, work)
        record.setdefault("GSI1SK", f"{iso(now)}#{item['uploadId']}")
        record["GSI1PK"] = f"USER#{item['ownerId']}#{result_type.upper()}S"
        return record, beside

    def _owner_name(self, owner_id: str) -> str:
        profile = self.table.get(*profile_key(owner_id))
        return profile["username"] if profile else ""

    def _audio(
        self,
        item: dict[str, Any],
        original: Path,
        original_key: str,
        sniffed: Sniffed,
        work: Path,
    ) -> tuple[dict[str, Any], tuple[Lyrics, ...]]:
        info = probe_audio(original, filename=item["filename"])
        owner, track_id = item["ownerId"], item["uploadId"]
        # A rendition only when browsers cannot stream the original; otherwise one decode
        # for the waveform alone. A link shared without downloads asks for its encoded
        # copy when it needs one (catalog/listen_copies.py): encoding every upload here
        # made processing about 9 times slower.
        rendition_path = work / "high.m4a" if needs_rendition(info, mime=sniffed.mime) else None
        rendition, peaks = transcode_with_waveform(original, rendition_path)
        renditions = {
            "original": {"key": original_key, "mime": sniffed.mime, "bitrate": info.bitrate}
        }
        stored_bytes = 0
        if rendition is not None:
            key = derived_key(owner, track_id, "high.m4a")
            stored_bytes += self._put_file(key, rendition.path, rendition.mime)
            renditions["high"] = {"key": key, "mime": rendition.mime, "bitrate": rendition.bitrate}
        waveform_key = derived_key(owner, track_id, "waveform.json")
        waveform = json.dumps({"peaks": peaks}, separators=(",", ":")).encode()
        self.blobs.put(waveform_key, waveform, content_type="application/json")
        stored_bytes += len(waveform)
        fields: dict[str, Any] = {
            "title": info.title,
            "artist": info.artist or "",
            "album": info.album or "",
            "albumArtist": info.album_artist or "",
            "trackNumber": info.track_number,
            "discNumber": info.disc_number,
            "year": info.year,
            "genre": info.genre or "",
            "durationMs": info.duration_ms,
            "codec": info.codec,
            "bitrate": info.bitrate,
            "sampleRate": info.sample_rate,
            "channels": info.channels,
            "renditions": renditions,
            "waveformKey": waveform_key,
            "playCount": 0,
            "likeCount": 0,
            "hasLyrics": bool(info.lyrics),
        }
        if info.cover:
            cover = self._cover(owner, track_id, info.cover, work)
            if cover:
                fields["cover"] = cover
                stored_bytes += sum(c["size"] for c in cover.values())
        fields["derivedBytes"] = stored_bytes
        return fields, info.lyrics

    def _cover(
        self, owner: str, track_id: str, data: bytes, work: Path
    ) -> dict[str, dict[str, Any]] | None:
        path = work / "cover"
        path.write_bytes(data)
        try:
            image = process_image(path, work / "cover-out")
        except UnsupportedMedia:
            return None  # a broken cover never fails the track
        return self._put_derivatives(owner, track_id, "cover", image.derivatives)

    def _image(self, item: dict[str, Any], original: Path, work: Path) -> dict[str, Any]:
        image = process_image(original, work / "derived")
        derivatives = self._put_derivatives(
            item["ownerId"], item["uploadId"], "photo", image.derivatives
        )
        taken = image.taken_at or iso(self.clock.now())
        return {
            "width": image.width,
            "height": image.height,
            "takenAt": image.taken_at,
            "camera": image.camera,
            "placeholder": image.placeholder,
            "caption": "",
            "tags": [],
            "derivatives": derivatives,
            "derivedBytes": sum(d["size"] for d in derivatives.values()),
            # Galleries list photos by when they were taken.
            "GSI1SK": f"{taken}#{item['uploadId']}",
        }

    def _put_derivatives(
        self, owner: str, item_id: str, prefix: str, derivatives: dict[str, Any]
    ) -> dict[str, dict[str, Any]]:
        stored = {}
        for name, derivative in derivatives.items():
            ext = derivative.path.suffix or ".bin"
            key = derived_key(owner, item_id, f"{prefix}-{name}{ext}")
            size = self._put_file(key, derivative.path, derivative.mime)
            stored[name] = {
                "key": key,
                "width": derivative.width,
                "height": derivative.height,
                "mime": derivative.mime,
                "size": size,
            }
        return stored

    def _put_file(self, key: str, path: Path, mime: str) -> int:
        with path.open("rb") as data:
            return self.blobs.put(key, data, content_type=mime).size

    # --- outcomes ----------------------------------------------------------------------------

    def _finish_as_duplicate(self, item: dict[str, Any], sha256: str) -> bool:
        """The same bytes, uploaded before by the same user: answer with that item."""
        previous = self.table.get(*hash_key(item["ownerId"], sha256))
        if previous is None or previous["resultId"] == item["uploadId"]:
            return False
        if self.table.get(*result_key(previous["resultType"], previous["resultId"])) is None:
            # A stale entry (its item is gone): forget it and process this upload afresh.
            try:
                self.table.delete(
                    *hash_key(item["ownerId"], sha256),
                    condition=AttributeEquals("resultId", previous["resultId"]),
                )
            except ConditionFailed:
                pass
            return False
        if end_upload(
            self.table,
            item,
            "ready",
            resultType=previous["resultType"],
            resultId=previous["resultId"],
            duplicate=True,
        ):
            discard_bytes(self.blobs, item)
        return True

    def _commit(
        self,
        item: dict[str, Any],
        record: dict[str, Any],
        sha256: str,
        beside: list[dict[str, Any]],
    ) -> None:
        result_type = RESULT_TYPES[item["kind"]]
        hash_pk, hash_sk = hash_key(item["ownerId"], sha256)
        stored = record["size"] + record.get("derivedBytes", 0)
        try:
            self.table.transact(
                [
                    Put(record, condition=ItemAbsent()),
                    Put(
                        {
                            "PK": hash_pk,
                            "SK": hash_sk,
                            "resultType": result_type,
                            "resultId": item["uploadId"],
                        },
                        condition=ItemAbsent(),
                    ),
                    Update(
                        item["PK"],
                        item["SK"],
                        set={
                            "status": "ready",
                            "resultType": result_type,
                            "resultId": item["uploadId"],
                        },
                        condition=AttributeEquals("status", item["status"]),
                    ),
                    charge_op(item, stored, f"{result_type}Count"),
                    item_counters(result_type, 1, stored),
                    *(Put(extra) for extra in beside),
                ]
            )
        except TransactionFailed as exc:
            if 0 in exc.failed_indexes or 2 in exc.failed_indexes:
                return  # another delivery of this job finished first
            # The same bytes won a race from another upload: answer with that one; if even
            # that is gone, fail this delivery so the queue retries it from the start.
            if not self._finish_as_duplicate(item, sha256):
                raise RuntimeError("the content-hash entry changed during processing") from exc
        else:
            # Bytes a stale upload URL wrote to the old key since the move (none, mostly).
            self.blobs.delete(item["blobKey"])
            if result_type in {"track", "photo"}:  # files are not searchable
                self.events.item_changed(result_type, record[f"{result_type}Id"])
            self.events.item_published(result_type, record)

    def _fail(self, item: dict[str, Any], reason: str) -> None:
        fail_upload(self.table, self.blobs, item, reason)


def _lyrics_item(track_id: str, lyrics: tuple[Lyrics, ...]) -> dict[str, Any]:
    # Capped by media.lyrics at 64 KiB of text: far below DynamoDB's 400 KB per item.
    return {
        "PK": lyrics_key(track_id)[0],
        "SK": lyrics_key(track_id)[1],
        "trackId": track_id,
        "sets": [
            {"lang": ly.lang, "lines": list(ly.lines), "startsMs": list(ly.starts_ms)}
            for ly in lyrics
        ],
    }
