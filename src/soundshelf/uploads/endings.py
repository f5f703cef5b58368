"""How an upload ends without becoming an item (failed, or processed as a duplicate):
its new status and the release of its storage reservation in one transaction, which
happens once (conditioned on the status it had), then its bytes go."""

from __future__ import annotations

from typing import Any

from soundshelf.core.stored import stored_original_key, upload_key
from soundshelf.ports.blobs import BlobStore
from soundshelf.ports.table import AttributeEquals, Table, TransactionFailed, Update, WriteOp
from soundshelf.uploads.quota import release_op


def end_upload(table: Table, item: dict[str, Any], status: str, **fields: Any) -> bool:
    """Move ``item`` from the status it was read with to ``status`` (with ``fields``),
    releasing its reservation; ``False`` when another run ended it first."""
    ops: list[WriteOp] = [
        Update(
            *upload_key(item["uploadId"]),
            set={"status": status, **fields},
            condition=AttributeEquals("status", item["status"]),
        )
    ]
    if (release := release_op(item)) is not None:
        ops.append(release)
    try:
        table.transact(ops)
    except TransactionFailed as exc:
        if exc.failed_indexes == [0]:
            return False
        raise
    return True


def fail_upload(table: Table, blobs: BlobStore, item: dict[str, Any], reason: str) -> bool:
    """End ``item`` as failed with a human ``reason``, keeping none of its bytes."""
    if not end_upload(table, item, "failed", error=reason):
        return False
    discard_bytes(blobs, item)
    return True


def discard_bytes(blobs: BlobStore, item: dict[str, Any]) -> None:
    """The upload's original wherever it is: still where it was uploaded, or where
    processing moved it."""
    blobs.delete(item["blobKey"])
    blobs.delete(stored_original_key(item["ownerId"], item["uploadId"]))
