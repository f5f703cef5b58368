"""The storage quota's reservation on both tables (SQLite, and DynamoDB under moto):
uploads created at the same moment cannot together pass a quota that fits only one,
because each create is a transaction conditioned on the counters it read."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from soundshelf.adapters.fs_blobs import FsBlobStore
from soundshelf.config import Settings
from soundshelf.core.users import Principal
from soundshelf.errors import DomainError
from soundshelf.ports.table import Table
from soundshelf.uploads.quota import QuotaExceeded
from soundshelf.uploads.service import Uploads
from tests.support import FakeClock

MB = 1000**2
PARALLEL = 8


class NoJobs:
    def enqueue(self, kind: str, payload: dict[str, str]) -> None:
        raise AssertionError("creating an upload queues nothing")


@pytest.fixture
def uploads(table: Table, tmp_path: Path) -> Uploads:
    clock = FakeClock()
    blobs = FsBlobStore(
        tmp_path / "media",
        base_url="http://testserver",
        secret=b"0123456789abcdef!",
        clock=clock.now,
    )
    settings = Settings(data_dir=tmp_path, storage_quota_bytes=10 * MB)
    return Uploads(table=table, blobs=blobs, jobs=NoJobs(), clock=clock, settings=settings)  # type: ignore[arg-type]


def owner(table: Table, user_id: str = "u1", **counters: int) -> Principal:
    table.put({"PK": f"USER#{user_id}", "SK": "PROFILE", "username": user_id, **counters})
    return Principal(user_id, user_id, frozenset({"listener"}))


def reserved(table: Table, user_id: str = "u1") -> int:
    return int((table.get(f"USER#{user_id}", "PROFILE") or {}).get("reservedBytes", 0))


def test_parallel_creates_cannot_share_a_quota_that_fits_one(
    uploads: Uploads, table: Table
) -> None:
    ada = owner(table)
    together = threading.Barrier(PARALLEL)

    def create(n: int) -> str:
        together.wait()
        try:
            uploads.create(ada, filename=f"{n}.bin", content_type="text/plain", size=9 * MB)
        except DomainError as exc:
            return exc.code
        return "created"

    with ThreadPoolExecutor(PARALLEL) as pool:
        outcomes = sorted(pool.map(create, range(PARALLEL)))

    assert outcomes == ["created"] + ["quota_exceeded"] * (PARALLEL - 1)
    assert reserved(table) == 9 * MB


def test_stored_and_reserved_bytes_both_count(uploads: Uploads, table: Table) -> None:
    ada = owner(table, storageBytes=6 * MB)
    uploads.create(ada, filename="a.bin", content_type="text/plain", size=3 * MB)

    with pytest.raises(QuotaExceeded):
        uploads.create(ada, filename="b.bin", content_type="text/plain", size=MB + 1)
    uploads.create(ada, filename="c.bin", content_type="text/plain", size=MB)
    assert reserved(table) == 4 * MB


def test_a_refused_multipart_upload_leaves_nothing(
    uploads: Uploads, table: Table, tmp_path: Path
) -> None:
    uploads.settings.multipart_threshold_bytes = MB
    ada = owner(table, reservedBytes=2 * MB)

    new = uploads.create(ada, filename="a.bin", content_type="text/plain", size=8 * MB)
    with pytest.raises(QuotaExceeded):
        uploads.create(ada, filename="b.bin", content_type="text/plain", size=MB)

    assert new.part_urls is not None
    assert len(new.part_urls) == 1  # 16 MiB parts
    assert reserved(table) == 10 * MB
    assert len(list((tmp_path / "media" / ".uploads").iterdir())) == 1


def test_an_abandoned_upload_gives_its_reservation_back_once(
    uploads: Uploads, table: Table
) -> None:
    ada = owner(table)
    uploads.create(ada, filename="a.bin", content_type="text/plain", size=3 * MB)
    uploads.clock.advance(uploads.abandoned_at(0) + 1)  # type: ignore[attr-defined]

    assert uploads.remove_abandoned() == 1
    assert uploads.remove_abandoned() == 0
    assert reserved(table) == 0
