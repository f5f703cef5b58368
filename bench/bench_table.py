"""Latency of the SQLite ``Table`` adapter on 100,000 items.

Run with ``python bench/bench_table.py``; prints a Markdown section to stdout. The data
looks like the catalogue: 1,000 users with 100 tracks each, every track also in GSI1 under
one of 20 genres (5,000 tracks per genre partition), ordered by upload time.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from soundshelf.adapters.sqlite_table import SqliteTable
from soundshelf.ports.table import Item, ItemAbsent, Put

USERS = 1_000
TRACKS_PER_USER = 100
GENRES = 20
OPS = 3_000  # timed operations per measurement, after a short warm-up
WARMUP = 200


def track(user: int, n: int) -> Item:
    uploaded = f"2024-{1 + n % 12:02d}-{1 + user % 28:02d}T{n % 24:02d}:00:00Z"
    return {
        "PK": f"USER#{user:04d}",
        "SK": f"TRACK#{n:03d}",
        "GSI1PK": f"GENRE#{(user + n) % GENRES}",
        "GSI1SK": f"{uploaded}#{user:04d}-{n:03d}",
        "title": f"Track {n} by user {user}",
        "duration_ms": 180_000 + n * 1_000,
        "plays": n * 7,
        "loudness": -14.5 + n / 100,
        "explicit": n % 9 == 0,
        "tags": ["demo", f"tag{n % 5}"],
    }


def fill(table: SqliteTable) -> float:
    """Write every item in transactions of 100; returns the seconds taken."""
    started = time.perf_counter()
    for user in range(USERS):
        table.transact([Put(track(user, n)) for n in range(TRACKS_PER_USER)])
    return time.perf_counter() - started


def measure(operation: Callable[[int], object], ops: int = OPS) -> list[float]:
    """Microseconds for each of ``ops`` calls of ``operation(i)``; ``i`` never repeats."""
    for i in range(WARMUP):
        operation(i)
    timings = []
    clock = time.perf_counter_ns
    for i in range(WARMUP, WARMUP + ops):
        start = clock()
        operation(i)
        timings.append((clock() - start) / 1_000)
    return timings


def row(name: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    p50 = ordered[len(ordered) // 2]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    mean = statistics.fmean(ordered)
    return f"| {name} | {len(ordered):,} | {p50:,.0f} | {p99:,.0f} | {mean:,.0f} |"


def benchmarks(table: SqliteTable, rng: random.Random) -> Iterator[tuple[str, list[float]]]:
    def random_key() -> tuple[str, str]:
        return f"USER#{rng.randrange(USERS):04d}", f"TRACK#{rng.randrange(TRACKS_PER_USER):03d}"

    yield "get", measure(lambda _: table.get(*random_key()))
    yield (
        "batch_get (25 keys)",
        measure(lambda _: table.batch_get([random_key() for _ in range(25)]), ops=OPS // 3),
    )
    yield "put (new item, 1 GSI)", measure(lambda i: table.put(track(USERS + i, 0)))
    yield (
        "put, condition item absent",
        measure(lambda i: table.put(track(USERS + i, 1), condition=ItemAbsent())),
    )
    yield "update (add counter)", measure(lambda _: table.update(*random_key(), add={"plays": 1}))
    yield (
        "query table (limit 50)",
        measure(lambda _: table.query(f"USER#{rng.randrange(USERS):04d}", limit=50)),
    )
    yield (
        "query GSI1 (limit 50)",
        measure(lambda _: table.query(f"GENRE#{rng.randrange(GENRES)}", index="GSI1", limit=50)),
    )
    # The second page starts from a cursor: keyset pagination should cost the same.
    cursors = [table.query(f"GENRE#{g}", index="GSI1", limit=50).next_cursor for g in range(GENRES)]
    yield (
        "query GSI1 page 2 (cursor)",
        measure(
            lambda i: table.query(
                f"GENRE#{i % GENRES}", index="GSI1", limit=50, cursor=cursors[i % GENRES]
            )
        ),
    )


def main() -> None:
    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as tmp, SqliteTable(Path(tmp) / "bench.db") as table:
        fill_seconds = fill(table)
        print("## Table (SQLite, 100k items)\n")
        print(
            f"Filled {USERS * TRACKS_PER_USER:,} items in {fill_seconds:.1f} s "
            f"({USERS} transactions of {TRACKS_PER_USER}); Python {sys.version.split()[0]}, "
            "one thread, WAL, synchronous=NORMAL. Latencies in microseconds.\n"
        )
        print("| operation | ops | p50 (µs) | p99 (µs) | mean (µs) |")
        print("|---|---:|---:|---:|---:|")
        for name, timings in benchmarks(table, rng):
            print(row(name, timings), flush=True)


if __name__ == "__main__":
    main()
