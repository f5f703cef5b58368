"""The ``listen_copy`` job: a track's listening copy (AAC, 128 kb/s), made when a link
shared without downloads first needs it (catalog/listen_copies.py says why on demand).

Idempotent: a track that has its copy (or a "high" rendition) or is gone is left alone.
The copy is recorded, and its bytes charged to the owner's storage (and the platform's), in
one transaction conditioned on the request marker this job was queued under, so two
deliveries never charge twice. If the track was deleted meanwhile, the blob just written is
removed (the deletion may already have swept its folder).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from soundshelf.catalog.listen_copies import LISTEN_COPY_BITRATE, listen_rendition
from soundshelf.catalog.tracks import track_key
from soundshelf.core.stats import counter_update
from soundshelf.core.stored import derived_key
from soundshelf.core.users import profile_key
from soundshelf.media.audio import transcode_with_waveform
from soundshelf.media.errors import UnsupportedMedia
from soundshelf.ports.blobs import BlobStore
from soundshelf.ports.table import (
    AttributeAbsent,
    AttributeEquals,
    ItemPresent,
    Table,
    TransactionFailed,
    Update,
)
from soundshelf.scratch import scratch_folder
from soundshelf.uploads.quota import USED

log = logging.getLogger("soundshelf.listen_copy")


class ListenCopyJob:
    def __init__(self, *, table: Table, blobs: BlobStore, scratch: Path | None = None) -> None:
        self.table = table
        self.blobs = blobs
        self.scratch = scratch

    def handle(self, payload: dict[str, Any]) -> None:
        track_id = str(payload["trackId"])
        track = self.table.get(*track_key(track_id))
        if track is None or listen_rendition(track) is not None:
            return  # deleted, or made by an earlier delivery
        key = derived_key(track["ownerId"], track_id, "listen.m4a")
        with scratch_folder(self.scratch) as work:
            original = work / "original"
            with original.open("wb") as out:
                for chunk in self.blobs.open(track["renditions"]["original"]["key"]):
                    out.write(chunk)
            try:
                copy, _ = transcode_with_waveform(
                    original, work / "listen.m4a", bitrate=LISTEN_COPY_BITRATE
                )
            except (UnsupportedMedia, MemoryError) as exc:
                # Retrying cannot help; the link keeps playing nothing.
                log.info("no listening copy", extra={"trackId": track_id, "reason": str(exc)})
                return
            assert copy is not None  # a destination was given
            size = copy.path.stat().st_size
            with copy.path.open("rb") as data:
                self.blobs.put(key, data, content_type=copy.mime)
        listen = {"key": key, "mime": copy.mime, "bitrate": copy.bitrate}
        asked = track.get("listenRequestedAt")
        try:
            self.table.transact(
                [
                    Update(
                        *track_key(track_id),
                        set={"renditions": {**track["renditions"], "listen": listen}},
                        # derivedBytes: what deleting the track gives back to the owner.
                        add={"derivedBytes": size},
                        remove=["listenRequestedAt"],
                        condition=[
                            ItemPresent(),
                            AttributeAbsent("listenRequestedAt")
                            if asked is None
                            else AttributeEquals("listenRequestedAt", asked),
                        ],
                    ),
                    Update(*profile_key(track["ownerId"]), add={USED: size}),
                    counter_update({"trackBytes": size}),
                ]
            )
        except TransactionFailed:
            if self.table.get(*track_key(track_id)) is None:
                self.blobs.delete(key)  # the track was deleted while its copy was made
            # Otherwise another delivery recorded the copy (at the same key) first.

    def give_up(self, payload: dict[str, Any], error: str) -> None:
        # Nothing to undo: the link plays nothing, and a view after the hour asks again.
        log.warning(
            "listening copy failed", extra={"trackId": payload.get("trackId"), "error": error}
        )
