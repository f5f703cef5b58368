"""The owner's storage quota, counted on the profile item:

- ``storageBytes``: what processing really stored (the original as received, plus its
  renditions, thumbnails and waveform), charged when an upload becomes an item;
- ``reservedBytes``: the declared sizes of the owner's uploads not processed yet.

An upload is created only if ``storageBytes + reservedBytes + size`` stays within
``storage_quota_bytes``. The new upload record and its reservation are one transaction,
conditioned on both counters still holding what was read (optimistic concurrency): of two
creates that each fit alone but not together, one commits and the other re-reads and is
refused. Every way an upload ends releases its reservation in the same transaction that
ends it (``release_op``): processed (and charged instead, ``charge_op``), failed, or
removed as abandoned; the ending's condition on the upload's status makes that happen
once.
"""

from __future__ import annotations

from typing import Any

from soundshelf.config import Settings
from soundshelf.core.users import profile_key
from soundshelf.errors import Conflict, DomainError, NotFound
from soundshelf.ports.table import (
    AttributeAbsent,
    AttributeEquals,
    Condition,
    ItemAbsent,
    ItemPresent,
    Put,
    Table,
    TransactionFailed,
    Update,
)

USED = "storageBytes"
RESERVED = "reservedBytes"
# Each retry means another create or charge of the same owner committed in between, so a
# create is refused only when that many of them land within its own few milliseconds.
RESERVE_ATTEMPTS = 20


class QuotaExceeded(DomainError):
    status, code, title = 413, "quota_exceeded", "Storage quota exceeded"


class QuotaBusy(Conflict):
    code, title = "quota_busy", "Too many uploads started at once"


def release_op(item: dict[str, Any]) -> Update | None:
    """Give back what the upload ``item`` reserved (nothing for uploads made before
    reservations existed)."""
    reserved = int(item.get("reserved", 0))
    if not reserved:
        return None
    return Update(*profile_key(item["ownerId"]), add={RESERVED: -reserved})


def charge_op(item: dict[str, Any], stored: int, count_attribute: str) -> Update:
    """Charge ``stored`` bytes (and one more item) for the upload ``item``, releasing
    its reservation."""
    add = {USED: stored, count_attribute: 1}
    if reserved := int(item.get("reserved", 0)):
        add[RESERVED] = -reserved
    return Update(*profile_key(item["ownerId"]), add=add)


def _unchanged(profile: dict[str, Any]) -> list[Condition]:
    return [ItemPresent()] + [
        AttributeEquals(name, profile[name]) if name in profile else AttributeAbsent(name)
        for name in (USED, RESERVED)
    ]


class StorageQuota:
    def __init__(self, *, table: Table, settings: Settings) -> None:
        self.table = table
        self.settings = settings  # read at each call: the quota is a setting

    def check(self, owner_id: str, size: int) -> dict[str, Any]:
        """The owner's profile if ``size`` more bytes fit; ``QuotaExceeded`` if not."""
        profile = self.table.get(*profile_key(owner_id))
        if profile is None:
            raise NotFound("No such user")
        quota = self.settings.storage_quota_bytes
        taken = int(profile.get(USED, 0)) + int(profile.get(RESERVED, 0))
        if taken + size > quota:
            raise QuotaExceeded(
                f"This upload needs {megabytes(size)} but only "
                f"{megabytes(max(0, quota - taken))} (counting uploads in progress) "
                "of your storage is left"
            )
        return profile

    def put_reserved(self, upload: dict[str, Any]) -> None:
        """Write the new ``upload`` record and reserve its declared size, atomically;
        ``QuotaExceeded`` (nothing written) when it does not fit."""
        owner, size = upload["ownerId"], int(upload["reserved"])
        for _ in range(RESERVE_ATTEMPTS):
            profile = self.check(owner, size)
            reserve = Update(
                *profile_key(owner), add={RESERVED: size}, condition=_unchanged(profile)
            )
            try:
                self.table.transact([Put(upload, condition=ItemAbsent()), reserve])
                return
            except TransactionFailed as exc:
                if exc.failed_indexes != [1]:
                    raise
                # Another upload or charge changed the counters: read them again.
        raise QuotaBusy("Too many uploads were started at once; try again")


def megabytes(size: int) -> str:
    return f"{size / 1000**2:,.0f} MB" if size >= 1000**2 else f"{size:,} bytes"
