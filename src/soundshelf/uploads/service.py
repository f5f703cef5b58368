"""Upload use cases: reserve an upload and hand out a direct-to-storage URL, mark it
complete (idempotent), report its status, and clean up uploads that never arrived."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ulid import ULID

from soundshelf.accounts.models import Principal, profile_key
from soundshelf.config import Settings
from soundshelf.errors import Conflict, DomainError, NotFound, ValidationFailed
from soundshelf.ports.blobs import BlobStore, CompletedPart
from soundshelf.ports.clock import Clock
from soundshelf.ports.jobs import JobQueue
from soundshelf.ports.table import AttributeEquals, ConditionFailed, Page, Table
from soundshelf.uploads.models import (
    Kind,
    clean_content_type,
    clean_filename,
    kind_of,
    original_blob_key,
    upload_key,
)

log = logging.getLogger("soundshelf.uploads")

PROCESS_UPLOAD = "process_upload"
ABANDONED_AFTER = 24 * 3600
PENDING = "UPLOADS#pending"


class QuotaExceeded(DomainError):
    status, code, title = 413, "quota_exceeded", "Storage quota exceeded"


class TooLarge(DomainError):
    status, code, title = 413, "too_large", "The file is too large"


@dataclass(frozen=True)
class NewUpload:
    item: dict[str, Any]
    method: str | None = None  # direct upload
    url: str | None = None
    fields: dict[str, str] | None = None
    headers: dict[str, str] | None = None
    part_size: int | None = None  # multipart upload
    part_urls: list[str] | None = None
    expires_at: float = 0


class UploadsService:
    def __init__(
        self, *, table: Table, blobs: BlobStore, jobs: JobQueue, clock: Clock, settings: Settings
    ) -> None:
        self.table = table
        self.blobs = blobs
        self.jobs = jobs
        self.clock = clock
        self.settings = settings

    def limit_for(self, kind: Kind) -> int:
        return {
            "audio": self.settings.max_audio_bytes,
            "image": self.settings.max_image_bytes,
            "file": self.settings.max_file_bytes,
        }[kind]

    def check_allowed(self, principal: Principal, kind: Kind, size: int) -> None:
        """The per-kind size limit and the owner's storage quota."""
        if size <= 0:
            raise ValidationFailed("The file is empty")
        if size > (limit := self.limit_for(kind)):
            raise TooLarge(f"{kind.capitalize()} uploads are limited to {_mb(limit)}")
        quota = self.settings.storage_quota_bytes
        profile = self.table.get(*profile_key(principal.user_id)) or {}
        used = int(profile.get("storageBytes", 0))
        if used + size > quota:
            raise QuotaExceeded(
                f"This upload needs {_mb(size)} but only {_mb(max(0, quota - used))} "
                "of your storage is left"
            )

    def _new_item(
        self, principal: Principal, *, filename: str, content_type: str, size: int, source: str
    ) -> dict[str, Any]:
        filename, content_type = clean_filename(filename), clean_content_type(content_type)
        kind = kind_of(content_type)
        self.check_allowed(principal, kind, size)
        upload_id = str(ULID())
        now = self.clock.now()
        return {
            "PK": upload_key(upload_id)[0],
            "SK": upload_key(upload_id)[1],
            "uploadId": upload_id,
            "ownerId": principal.user_id,
            "filename": filename,
            "contentType": content_type,
            "size": size,
            "kind": kind,
            "blobKey": original_blob_key(principal.user_id, upload_id),
            "status": "pending",
            "source": source,
            "createdAt": now,
            "GSI1PK": f"USER#{principal.user_id}#UPLOADS",
            "GSI1SK": upload_id,
            # Listed here until completed, so abandoned uploads can be found and removed.
            "GSI2PK": PENDING,
            "GSI2SK": f"{int(now + ABANDONED_AFTER):012d}#{upload_id}",
        }

    def create(
        self, principal: Principal, *, filename: str, content_type: str, size: int
    ) -> NewUpload:
        item = self._new_item(
            principal, filename=filename, content_type=content_type, size=size, source="web"
        )
        key, content_type, now = item["blobKey"], item["contentType"], item["createdAt"]
        ttl = self.settings.upload_url_ttl
        if size > self.settings.multipart_threshold_bytes:
            part_size = self.settings.multipart_part_bytes
            multipart_id = self.blobs.create_multipart(key, content_type=content_type)
            item["multipartId"] = multipart_id
            self.table.put(item)
            urls = [
                self.blobs.presign_part(key, multipart_id, n, ttl=ttl)
                for n in range(1, math.ceil(size / part_size) + 1)
            ]
            return NewUpload(item, part_size=part_size, part_urls=urls, expires_at=now + ttl)

        self.table.put(item)
        # The store itself refuses more bytes than the kind allows.
        direct = self.blobs.presign_upload(
            key, content_type=content_type, max_bytes=self.limit_for(item["kind"]), ttl=ttl
        )
        return NewUpload(
            item,
            method=direct.method,
            url=direct.url,
            fields=direct.fields,
            headers=direct.headers,
            expires_at=now + ttl,
        )

    def create_from_file(
        self, principal: Principal, path: Path, *, filename: str, content_type: str
    ) -> dict[str, Any]:
        """An upload whose bytes come from a local file (bulk import, demo) instead of a
        signed URL. Same rules as ``create``; the record is written first, still pending
        (so the abandoned-upload sweep covers a crash mid-copy). Returns it, processing."""
        with path.open("rb") as data:
            size = os.fstat(data.fileno()).st_size
            item = self._new_item(
                principal, filename=filename, content_type=content_type, size=size, source="import"
            )
            self.table.put(item)
            info = self.blobs.put(item["blobKey"], data, content_type=item["contentType"])
        if info.size > self.limit_for(item["kind"]):  # the file grew while we read it
            self.blobs.delete(item["blobKey"])
            self.table.delete(item["PK"], item["SK"])
            raise TooLarge("The file is larger than allowed")
        return self.table.update(
            item["PK"],
            item["SK"],
            set={"status": "processing", "receivedSize": info.size},
            remove=["GSI2PK", "GSI2SK"],
        )

    def get(self, principal: Principal, upload_id: str) -> dict[str, Any]:
        item = self.table.get(*upload_key(upload_id))
        if item is None or item["ownerId"] != principal.user_id:
            raise NotFound("No such upload")
        return item

    def list_mine(self, principal: Principal, *, limit: int, cursor: str | None) -> Page:
        return self.table.query(
            f"USER#{principal.user_id}#UPLOADS",
            index="GSI1",
            forward=False,
            limit=limit,
            cursor=cursor,
        )

    def complete(
        self, principal: Principal, upload_id: str, *, parts: Sequence[CompletedPart] = ()
    ) -> dict[str, Any]:
        """Mark the upload received and queue its processing. Calling it again (or after
        the storage event did it) only answers the current status."""
        item = self.get(principal, upload_id)
        if item["status"] != "pending":
            return item
        if item.get("multipartId"):
            if not parts:
                raise ValidationFailed("List the uploaded parts with their ETags")
            self.blobs.complete_multipart(item["blobKey"], item["multipartId"], parts)
        return self.mark_received(item)

    def complete_by_key(self, blob_key: str) -> None:
        """The storage told us an object arrived (local hook or S3 event)."""
        parts = blob_key.split("/")
        if len(parts) != 3 or parts[0] != "originals":
            return
        item = self.table.get(*upload_key(parts[2]))
        if item is not None and item["status"] == "pending" and item["blobKey"] == blob_key:
            self.mark_received(item)

    def mark_received(self, item: dict[str, Any]) -> dict[str, Any]:
        info = self.blobs.head(item["blobKey"])
        if info is None:
            raise Conflict("The file has not been uploaded yet")
        if info.size > self.limit_for(item["kind"]):
            self.blobs.delete(item["blobKey"])
            raise TooLarge("The uploaded file is larger than allowed")
        # Queue first: if we crash before the status changes, a retry queues again and the
        # idempotent processing makes the duplicate harmless; the reverse could lose it.
        self.jobs.enqueue(PROCESS_UPLOAD, {"uploadId": item["uploadId"]})
        try:
            return self.table.update(
                item["PK"],
                item["SK"],
                set={"status": "processing", "receivedSize": info.size},
                remove=["GSI2PK", "GSI2SK"],
                condition=AttributeEquals("status", "pending"),
            )
        except ConditionFailed:
            return self.table.get(item["PK"], item["SK"]) or item

    def remove_abandoned(self, *, limit: int = 100) -> int:
        """Delete uploads still pending a day after they were started, with any bytes."""
        now = f"{int(self.clock.now()):012d}#~"
        stale = self.table.query(PENDING, index="GSI2", between=("0", now), limit=limit).items
        for item in stale:
            try:
                self.table.delete(
                    item["PK"], item["SK"], condition=AttributeEquals("status", "pending")
                )
            except ConditionFailed:
                continue  # completed meanwhile
            if item.get("multipartId"):
                self.blobs.abort_multipart(item["blobKey"], item["multipartId"])
            self.blobs.delete(item["blobKey"])
        if stale:
            log.info("removed abandoned uploads", extra={"count": len(stale)})
        return len(stale)


def _mb(size: int) -> str:
    return f"{size / 1000**2:,.0f} MB" if size >= 1000**2 else f"{size:,} bytes"
