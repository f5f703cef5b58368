"""Upload records and the items made from them (tracks, photos, files) as stored, and how
they go away. The upload record is ``UPLOAD#{uploadId}`` / ``UPLOAD``; its bytes arrive at
``original_blob_key``.

Processing (uploads/processing.py) commits an item together with what it adds elsewhere:
the content-hash entry, the owner's storage and item count, the platform counters; and
it writes the item's blobs: the original and, under ``derived_prefix``, the renditions,
thumbnails and waveform. Every kind's ``delete`` undoes that in the same two steps:

1. the records in one transaction: ``removal_ops`` plus the kind's own items (album
   entry, lyrics, tag items), failing as a whole when the item is already gone;
2. then the bytes, ``delete_blobs``. Bytes go after the records, so a crash in between
   leaves orphan blobs, never an item without its bytes. A key already gone is fine
   (``BlobStore.delete`` ignores a missing key).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from soundshelf.core.stats import item_counters
from soundshelf.core.users import profile_key
from soundshelf.ports.blobs import BlobStore
from soundshelf.ports.table import Delete, ItemPresent, Key, Update, WriteOp

STORED_SUFFIX = ".stored"


def upload_key(upload_id: str) -> tuple[str, str]:
    return f"UPLOAD#{upload_id}", "UPLOAD"


def original_blob_key(owner_id: str, upload_id: str) -> str:
    """The key an upload URL writes (the only keys upload URLs are signed for)."""
    return f"originals/{owner_id}/{upload_id}"


def hash_key(owner_id: str, sha256: str) -> Key:
    return f"HASH#{owner_id}#{sha256}", "HASH"


def derived_key(owner_id: str, item_id: str, name: str) -> str:
    return f"{derived_prefix(owner_id, item_id)}{name}"


def derived_prefix(owner_id: str, item_id: str) -> str:
    return f"derived/{owner_id}/{item_id}/"


def stored_original_key(owner_id: str, item_id: str) -> str:
    """Where processing moves an upload's original: beside the key its upload URL wrote
    (so under ``originals/``, with what the bucket's rules give originals: tiering,
    permissions, CDN behaviour), but a key no upload URL is ever signed for, so the URL
    cannot replace what was processed."""
    return original_blob_key(owner_id, item_id) + STORED_SUFFIX


def removal_ops(kind: str, key: Key, item: Mapping[str, Any]) -> list[WriteOp]:
    """Delete the ``kind`` item at ``key`` (conditioned on it existing) and take back
    what processing added with it: the hash entry, the owner's storage and
    ``{kind}Count``, the platform counters."""
    stored = item["size"] + item.get("derivedBytes", 0)
    return [
        Delete(*key, condition=ItemPresent()),
        Delete(*hash_key(item["ownerId"], item["sha256"])),
        Update(
            *profile_key(item["ownerId"]),
            add={"storageBytes": -stored, f"{kind}Count": -1},
            condition=ItemPresent(),
        ),
        item_counters(kind, -1, stored),
    ]


def delete_blobs(blobs: BlobStore, original_key: str, derived: str | None = None) -> None:
    """The original, then every blob under the ``derived`` prefix (when the kind has
    derivatives). Call once the records are gone."""
    blobs.delete(original_key)
    if derived is not None:
        for key in list(blobs.list(derived)):
            blobs.delete(key)
