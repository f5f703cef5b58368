"""Upload use cases: reserve an upload and hand out a direct-to-storage URL, mark it
complete (idempotent), report its status, and clean up uploads that never arrived.

An upload URL writes once: exactly the declared size, only while the upload is pending,
for ``upload_url_ttl`` seconds (docs/security.md, "Uploads and storage")."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ulid import ULID

from soundshelf.config import Settings
from soundshelf.core.stored import original_blob_key, upload_key
from soundshelf.core.users import Principal
from soundshelf.errors import Conflict, DomainError, NotFound, ValidationFailed
from soundshelf.ports.blobs import BlobStore, CompletedPart
from soundshelf.ports.clock import Clock
from soundshelf.ports.jobs import JobQueue
from soundshelf.ports.table import (
    AttributeEquals,
    ConditionFailed,
    Delete,
    Page,
    Table,
    TransactionFailed,
    WriteOp,
)
from soundshelf.uploads.endings import discard_bytes
from soundshelf.uploads.models import (
    Kind,
    clean_content_type,
    clean_filename,
    kind_of,
    upload_id_of,
)
from soundshelf.uploads.quota import StorageQuota, megabytes, release_op

log = logging.getLogger("soundshelf.uploads")

PROCESS_UPLOAD = "process_upload"
# A pending upload is abandoned (its record, bytes and reservation removed) this long
# after its URLs expired: time for a transfer started at the last moment to finish.
ABANDONED_GRACE = 3600
PENDING = "UPLOADS#pending"


class TooLarge(DomainError):
    status, code, title = 413, "too_large", "The file is too large"


class SizeMismatch(DomainError):
    status, code, title = 400, "size_mismatch", "The file is not the declared size"


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


class Uploads:
    def __init__(
        self, *, table: Table, blobs: BlobStore, jobs: JobQueue, clock: Clock, settings: Settings
    ) -> None:
        self.table = table
        self.blobs = blobs
        self.jobs = jobs
        self.clock = clock
        self.settings = settings
        self.quota = StorageQuota(table=table, settings=settings)

    def limit_for(self, kind: Kind) -> int:
        return {
            "audio": self.settings.max_audio_bytes,
            "image": self.settings.max_image_bytes,
            "file": self.settings.max_file_bytes,
        }[kind]

    def check_allowed(self, principal: Principal, kind: Kind, size: int) -> None:
        """The per-kind size limit and the owner's storage quota (a first look: the
        reservation, ``StorageQuota.put_reserved``, is what holds under concurrency)."""
        if size <= 0:
            raise ValidationFailed("The file is empty")
        if size > (limit := self.limit_for(kind)):
            raise TooLarge(f"{kind.capitalize()} uploads are limited to {megabytes(limit)}")
        self.quota.check(principal.user_id, size)

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
            "reserved": size,  # held against the quota until the upload ends
            "kind": kind,
            "blobKey": original_blob_key(principal.user_id, upload_id),
            "status": "pending",
            "source": source,
            "createdAt": now,
            "GSI1PK": f"USER#{principal.user_id}#UPLOADS",
            "GSI1SK": upload_id,
            # Listed here until completed, so abandoned uploads can be found and removed.
            "GSI2PK": PENDING,
            "GSI2SK": f"{int(self.abandoned_at(now)):012d}#{upload_id}",
        }

    def abandoned_at(self, created_at: float) -> float:
        return created_at + self.settings.upload_url_ttl + ABANDONED_GRACE

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
            try:
                self.quota.put_reserved(item)
            except DomainError:
                self.blobs.abort_multipart(key, multipart_id)
                raise
            # Every part URL takes exactly its part's size (the last one the rest): the
            # declared size and nothing else can arrive.
            urls = [
                self.blobs.presign_part(
                    key, multipart_id, n, size=min(part_size, size - (n - 1) * part_size), ttl=ttl
                )
                for n in range(1, math.ceil(size / part_size) + 1)
            ]
            return NewUpload(item, part_size=part_size, part_urls=urls, expires_at=now + ttl)

        self.quota.put_reserved(item)
        # Exactly the declared size: the store refuses a byte more or less.
        direct = self.blobs.presign_upload(key, content_type=content_type, size=size, ttl=ttl)
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
            self.quota.put_reserved(item)
            info = self.blobs.put(item["blobKey"], data, content_type=item["contentType"])
        if info.size != size:  # the file changed while we read it
            self._drop(item)
            raise SizeMismatch("The file changed while it was being read")
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

    def _upload_for(self, upload_id: str, blob_key: str) -> dict[str, Any] | None:
        item = self.table.get(*upload_key(upload_id))
        return item if item is not None and item["blobKey"] == blob_key else None

    def accepts_bytes(self, blob_key: str) -> bool:
        """Whether an upload URL for ``blob_key`` may still write: only while its upload
        is pending (the filesystem store asks before it reads a byte)."""
        upload_id = upload_id_of(blob_key)
        item = self._upload_for(upload_id, blob_key) if upload_id else None
        return item is not None and item["status"] == "pending"

    def complete_by_key(self, blob_key: str) -> None:
        """The storage told us an object arrived (local hook or S3 event)."""
        if (upload_id := upload_id_of(blob_key)) is None:
            return  # not a key upload URLs write: processing's own objects
        item = self._upload_for(upload_id, blob_key)
        # Uploads made before reservations (no "reserved") kept their processed original here.
        if item is None or item["status"] == "failed" or _moved_on(item):
            # Processing took the original away (or the upload is gone): these bytes came
            # through an old URL after it, and nothing would ever read or sweep them.
            log.warning("removed bytes uploaded after their upload ended", extra={"key": blob_key})
            self.blobs.delete(blob_key)
        elif item["status"] == "pending":
            try:
                self.mark_received(item)
            except DomainError as exc:  # refused (and removed): the upload stays pending
                log.info("upload refused", extra={"key": blob_key, "reason": exc.detail})
        # "processing": processing deletes the key again once the upload has ended.

    def mark_received(self, item: dict[str, Any]) -> dict[str, Any]:
        info = self.blobs.head(item["blobKey"])
        if info is None:
            raise Conflict("The file has not been uploaded yet")
        if info.size != item["size"]:  # S3 multipart, or a store that ignores the policy
            self.blobs.delete(item["blobKey"])
            error = TooLarge if info.size > item["size"] else SizeMismatch
            raise error(f"{info.size:,} bytes arrived; the upload declared {item['size']:,}")
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
        """Remove uploads still pending an hour after their URLs expired: the record, its
        storage reservation, any bytes."""
        now = f"{int(self.clock.now()):012d}#~"
        stale = self.table.query(PENDING, index="GSI2", between=("0", now), limit=limit).items
        for item in stale:
            self._drop(item)
        if stale:
            log.info("removed abandoned uploads", extra={"count": len(stale)})
        return len(stale)

    def _drop(self, item: dict[str, Any]) -> None:
        """Remove a pending upload with its reservation (once: not if it moved on)."""
        ops: list[WriteOp] = [
            Delete(item["PK"], item["SK"], condition=AttributeEquals("status", "pending"))
        ]
        if (release := release_op(item)) is not None:
            ops.append(release)
        try:
            self.table.transact(ops)
        except TransactionFailed as exc:
            if exc.failed_indexes == [0]:
                return  # completed meanwhile
            raise
        if item.get("multipartId"):
            self.blobs.abort_multipart(item["blobKey"], item["multipartId"])
        discard_bytes(self.blobs, item)


def _moved_on(item: dict[str, Any]) -> bool:
    """Processed, its original moved to the item's own key (or dropped as a duplicate)."""
    return item["status"] == "ready" and "reserved" in item
