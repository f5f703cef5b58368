"""Personal data export: a zip of everything an account holds, made in the background.

``POST /me/export`` records a pending export and queues ``export_user``; the job writes
``exports/{userId}/{exportId}.zip`` to the blob store (metadata as JSON files, original
uploads under ``originals/``) and marks the export ready; ``GET /me/export`` answers its
status and, once ready, a short-lived signed download link. One export per account at a
time: the record is ``USER#{id}`` / ``EXPORT``, and a new export replaces the previous
one (and its zip). Exports can be downloaded for ``EXPORT_TTL``; a ready export younger
than ``COOLDOWN`` is answered again instead of building another.

The zip is built in a temporary file, original by original, so memory stays flat; the
worker needs free disk for the largest account's data (up to the storage quota).
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ulid import ULID

from soundshelf.accounts.views import me_view
from soundshelf.config import Settings
from soundshelf.core import audit
from soundshelf.core.audit import AuditRecorder
from soundshelf.core.users import Principal, profile_key
from soundshelf.errors import NotFound
from soundshelf.playlists.service import entries_key
from soundshelf.ports.blobs import BlobStore
from soundshelf.ports.clock import Clock, iso
from soundshelf.ports.jobs import JobQueue
from soundshelf.ports.table import (
    AttributeEquals,
    ConditionFailed,
    Item,
    ItemAbsent,
    Table,
)

log = logging.getLogger("soundshelf.export")

EXPORT_USER = "export_user"
EXPORT_TTL = 7 * 24 * 3600
COOLDOWN = 3600  # a ready export this young is answered again
PENDING_TIMEOUT = 24 * 3600  # a pending export this old is given up for a new one
PAGE = 200
# Storage details and secrets are not the user's data: they stay out of the JSON.
_INTERNAL = frozenset(
    {"PK", "SK", "hash", "passwordHash", "tokenKey", "originalKey", "blobKey", "waveformKey"}
    | {"renditions", "derivatives", "cover", "multipartId", "expiresAt", "entriesRev"}
)
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
README = """Your Soundshelf data
====================

*.json      everything Soundshelf keeps about your account, one file per kind
            (times are seconds since 1970-01-01 UTC)
originals/  the files you uploaded, as you uploaded them, named {id}-{filename}
"""


def export_key(user_id: str) -> tuple[str, str]:
    return f"USER#{user_id}", "EXPORT"


def export_blob_key(user_id: str, export_id: str) -> str:
    return f"exports/{user_id}/{export_id}.zip"


class Exports:
    def __init__(
        self,
        *,
        table: Table,
        blobs: BlobStore,
        jobs: JobQueue,
        clock: Clock,
        settings: Settings,
        audit_log: AuditRecorder,
    ) -> None:
        self.table = table
        self.blobs = blobs
        self.jobs = jobs
        self.clock = clock
        self.settings = settings
        self.audit = audit_log

    def request(self, principal: Principal) -> dict[str, Any]:
        """Start an export, or answer the one under way (or just made)."""
        now = self.clock.now()
        current = self.table.get(*export_key(principal.user_id))
        if current is not None and self._still_good(current, now):
            return self.view(current)
        export_id = str(ULID())
        item = {
            "PK": export_key(principal.user_id)[0],
            "SK": export_key(principal.user_id)[1],
            "exportId": export_id,
            "status": "pending",
            "requestedAt": now,
        }
        try:
            self.table.put(
                item,
                condition=AttributeEquals("exportId", current["exportId"])
                if current
                else ItemAbsent(),
            )
        except ConditionFailed:  # a parallel request won: answer its export
            return self.view(self.table.get(*export_key(principal.user_id)) or item)
        if current is not None and current.get("blobKey"):
            self.blobs.delete(current["blobKey"])  # replaced by the new one
        self.jobs.enqueue(EXPORT_USER, {"userId": principal.user_id, "exportId": export_id})
        self.audit.record(
            audit.EXPORT_REQUESTED, actor=principal, target_type="export", target_id=export_id
        )
        return self.view(item)

    @staticmethod
    def _still_good(current: Item, now: float) -> bool:
        age = now - current["requestedAt"]
        if current["status"] == "pending":
            return age < PENDING_TIMEOUT
        return current["status"] == "ready" and age < COOLDOWN

    def status(self, principal: Principal) -> dict[str, Any]:
        current = self.table.get(*export_key(principal.user_id))
        if current is None:
            raise NotFound("No export yet: ask for one with POST /me/export")
        return self.view(current)

    def view(self, item: Item) -> dict[str, Any]:
        status = item["status"]
        expired = status == "ready" and item["expiresAt"] <= self.clock.now()
        ready = status == "ready" and not expired
        return {
            "exportId": item["exportId"],
            "status": "expired" if expired else status,
            "requestedAt": iso(item["requestedAt"]),
            "finishedAt": iso(item["finishedAt"]) if "finishedAt" in item else None,
            "expiresAt": iso(item["expiresAt"]) if "expiresAt" in item else None,
            "size": item.get("size"),
            "error": item.get("error"),
            "downloadUrl": self._download_url(item) if ready else None,
        }

    def _download_url(self, item: Item) -> str:
        day = iso(item["finishedAt"])[:10]
        return self.blobs.presign_download(
            item["blobKey"],
            ttl=self.settings.media_url_ttl,
            filename=f"soundshelf-export-{day}.zip",
            content_type="application/zip",
        )


class ExportJob:
    """``export_user``: builds one export's zip; idempotent per export id."""

    def __init__(self, *, table: Table, blobs: BlobStore, clock: Clock) -> None:
        self.table = table
        self.blobs = blobs
        self.clock = clock

    def handle(self, payload: dict[str, Any]) -> None:
        user_id, export_id = payload["userId"], payload["exportId"]
        current = self.table.get(*export_key(user_id))
        profile = self.table.get(*profile_key(user_id))
        if current is None or current["exportId"] != export_id or current["status"] != "pending":
            return  # done by an earlier delivery, or replaced by a newer export
        if profile is None or profile.get("deleting"):
            return  # the account is going: its deletion removes this record too
        key = export_blob_key(user_id, export_id)
        with tempfile.TemporaryDirectory(prefix="soundshelf-export-") as tmp:
            path = Path(tmp) / "export.zip"
            _Archive(self.table, self.blobs, profile).write(path)
            with path.open("rb") as data:
                info = self.blobs.put(key, data, content_type="application/zip")
        now = self.clock.now()
        try:
            self.table.update(
                *export_key(user_id),
                set={
                    "status": "ready",
                    "blobKey": key,
                    "size": info.size,
                    "finishedAt": now,
                    "expiresAt": now + EXPORT_TTL,
                },
                condition=AttributeEquals("exportId", export_id),
            )
        except ConditionFailed:
            self.blobs.delete(key)  # a newer export replaced this one meanwhile

    def give_up(self, payload: dict[str, Any], error: str) -> None:
        try:
            self.table.update(
                *export_key(payload["userId"]),
                set={"status": "failed", "error": "The export failed; please ask again"},
                condition=AttributeEquals("exportId", payload["exportId"]),
            )
        except ConditionFailed:
            pass
        log.warning("export abandoned", extra={"payload": payload, "error": error})


class _Archive:
    """What goes into one account's zip."""

    def __init__(self, table: Table, blobs: BlobStore, profile: Item) -> None:
        self.table = table
        self.blobs = blobs
        self.profile = profile
        self.user_id = profile["userId"]

    def write(self, path: Path) -> None:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("README.txt", README)
            for name, items in self._metadata():
                archive.writestr(f"{name}.json", json.dumps(items, indent=2, ensure_ascii=False))
            for kind, item in self._originals():
                self._add_original(archive, kind, item)

    def _metadata(self) -> Iterator[tuple[str, Any]]:
        uid = self.user_id
        profile = {**me_view(self.profile), **_clean(self.profile)}
        yield "profile", profile
        for name, pk, index in (
            ("tracks", f"USER#{uid}#TRACKS", "GSI1"),
            ("albums", f"USER#{uid}#ALBUMS", "GSI1"),
            ("photos", f"USER#{uid}#PHOTOS", "GSI1"),
            ("files", f"USER#{uid}#FILES", "GSI1"),
            ("uploads", f"USER#{uid}#UPLOADS", "GSI1"),
            ("shares", f"USER#{uid}#SHARES", "GSI1"),
            ("api_keys", f"USER#{uid}#APIKEYS", "GSI1"),
            ("reports", f"USER#{uid}#REPORTS", "GSI2"),
        ):
            yield name, [_clean(i) for i in self._all(pk, index=index)]
        yield "playlists", self._playlists()
        for name, prefix in (
            ("likes", "LIKE#TRACK#"),
            ("follows", "FOLLOWS#"),
            ("friends", "FRIEND#"),
        ):
            yield name, [_clean(i) for i in self._all(f"USER#{uid}", begins_with=prefix)]
        yield "history", [_clean(i) for i in self._all(f"USER#{uid}#HISTORY")]
        yield "notifications", [_clean(i) for i in self._all(f"USER#{uid}#NOTIFS")]

    def _playlists(self) -> list[dict[str, Any]]:
        playlists = []
        for header in self._all(f"USER#{self.user_id}#PLAYLISTS", index="GSI1"):
            entries = self.table.get(*entries_key(header["playlistId"]))
            track_ids = [track_id for _, track_id in (entries or {}).get("entries", [])]
            playlists.append({**_clean(header), "trackIds": track_ids})
        return playlists

    def _originals(self) -> Iterator[tuple[str, Item]]:
        for kind in ("track", "photo", "file"):
            for item in self._all(f"USER#{self.user_id}#{kind.upper()}S", index="GSI1"):
                yield kind, item

    def _add_original(self, archive: zipfile.ZipFile, kind: str, item: Item) -> None:
        name = _UNSAFE.sub("_", item.get("filename") or "original").strip(" .")[:120]
        entry = zipfile.ZipInfo(f"originals/{kind}s/{item[f'{kind}Id']}-{name or 'original'}")
        entry.compress_type = zipfile.ZIP_STORED  # media does not compress
        try:
            chunks = self.blobs.open(item["originalKey"])
        except NotFound:
            log.warning("original missing from an export", extra={"key": item["originalKey"]})
            return
        with archive.open(entry, "w", force_zip64=True) as out:
            for chunk in chunks:
                out.write(chunk)

    def _all(
        self, pk: str, *, index: str | None = None, begins_with: str | None = None
    ) -> Iterator[Item]:
        cursor = None
        while True:
            page = self.table.query(
                pk, index=index, begins_with=begins_with, limit=PAGE, cursor=cursor
            )
            yield from page.items
            if (cursor := page.next_cursor) is None:
                return


def _clean(item: Item) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in _INTERNAL and not k.startswith("GSI")}
