"""Bulk import benchmark: prints a Markdown section.

    .venv/bin/python bench/bench_import.py [--files N] [--jobs J ...]

A folder of N (default 1,000) 2-second tagged MP3s with a small cover, in 10 album
folders, imported into a fresh data dir through ``import_folder`` (the code behind
``soundshelf import``): sniff, hash, upload record, original into the blob store, then
processing (probe, tags, waveform, cover thumbnails) and the result transaction. Then the
same folder again, which must skip everything (the resumable re-run).

One MP3 is encoded; the others are copies whose ID3 title differs in a fixed-width number,
so every file has its own hash at the cost of a byte copy.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from soundshelf.bootstrap import build  # noqa: E402
from soundshelf.bulk_import import ImportSummary, import_folder  # noqa: E402
from soundshelf.config import Settings  # noqa: E402
from tests import mediagen  # noqa: E402

SECONDS = 2.0
ALBUMS = 10
PLACEHOLDER = "#####"  # fixed width: replacing it keeps every ID3 size field valid


def make_library(folder: Path, count: int) -> int:
    """``count`` distinct MP3s under ``folder``; returns the total bytes."""
    folder.mkdir()
    template = mediagen.make_audio(
        folder / "template.mp3",
        "mp3",
        SECONDS,
        tags={**mediagen.TAGS, "title": f"Track {PLACEHOLDER}"},
        cover=mediagen.cover_jpeg((300, 300)),
    )
    data = template.read_bytes()
    template.unlink()
    marker = PLACEHOLDER.encode()
    assert data.count(marker) == 1
    for n in range(count):
        album = folder / f"Album {n % ALBUMS:02d}"
        album.mkdir(exist_ok=True)
        (album / f"{n:05d} Track.mp3").write_bytes(data.replace(marker, f"{n:05d}".encode()))
    return len(data) * count


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the pool's workers)."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )


def run(library: Path, data_dir: Path, jobs: int) -> tuple[ImportSummary, float, ImportSummary]:
    """The first import, its CPU seconds, and the re-run."""
    services = build(Settings(data_dir=data_dir))
    services.accounts.create_user(
        username="bench", email="bench@example.com", password="correct horse battery"
    )
    cpu = cpu_seconds()
    first = import_folder(services, root=library, username="bench", progress=False, jobs=jobs)
    cpu = cpu_seconds() - cpu
    again = import_folder(services, root=library, username="bench", progress=False, jobs=jobs)
    return first, cpu, again


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1_000)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        total_bytes = make_library(work / "library", args.files)
        generated = time.perf_counter() - started
        for jobs in args.jobs:
            first, cpu, again = run(work / "library", work / f"data-{jobs}", jobs)
            assert first.imported == args.files, first
            assert again.skipped == args.files, again
            rows.append(
                f"| {jobs} | {first.imported:,} | {first.seconds:.1f} s "
                f"| **{first.imported / first.seconds:.1f}** "
                f"| {first.seconds / first.imported * 1000:.0f} ms "
                f"| {cpu / first.imported * 1000:.0f} ms "
                f"| {again.seconds:.1f} s ({again.skipped / again.seconds:,.0f} files/s) |"
            )

    print("## Bulk import\n")
    print(
        f"`bench/bench_import.py` on {platform.machine()} ({os.cpu_count()} CPUs), "
        f"Python {platform.python_version()}, embedded backend (SQLite + filesystem). "
        f"{args.files:,} generated {SECONDS:.0f}-second 128 kb/s MP3s with ID3 tags and a "
        f"300x300 cover, {total_bytes / args.files / 1000:.0f} KB each, in {ALBUMS} folders "
        f"(generated in {generated:.1f} s, not counted).\n"
    )
    print(
        "| jobs | tracks imported | total time | tracks/s | wall per track | CPU per track "
        "| re-run (all skipped) |"
    )
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(
        "\nPer track: sniff, SHA-256, upload record, original into the blob store, probe + "
        "tags, waveform decode, cover thumbnails, result transaction. The re-run hashes "
        "every file and finds it already imported (with a pool, it includes starting it). "
        "CPU per track counts the pool's workers; wall time well above it is time spent "
        "waiting on the disk (every blob-store write is fsynced)."
    )


if __name__ == "__main__":
    main()
