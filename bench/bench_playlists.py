"""A 5,000-entry playlist on the embedded stack (SQLite): read it, edit it.

Run with ``python bench/bench_playlists.py``; prints a Markdown section to stdout. The
playlist holds 5,000 distinct public tracks; every edit is a full conditional write of
the entries item (read, change, one transaction), which is what this measures.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from ulid import ULID

from soundshelf.bootstrap import Services, build
from soundshelf.catalog.tracks import track_key
from soundshelf.config import Settings
from soundshelf.core.users import Principal, principal_of
from soundshelf.http.app import create_app
from soundshelf.playlists import Playlists
from soundshelf.playlists.service import MAX_ENTRIES, MAX_PAGE, entries_key, item_size
from soundshelf.ports.table import Put

PASSWORD = "a long enough secret"
RUNS = 30  # timed runs per operation, after WARMUP
WARMUP = 3
CHUNK = 1_000  # entries per add_entries while building


def timed(fn: Callable[[], object], runs: int = RUNS) -> list[float]:
    """Milliseconds for each of ``runs`` calls, after a short warm-up."""
    for _ in range(WARMUP):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def row(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return f"| {name} | {statistics.median(ordered):.1f} | {p90:.1f} |"


def add_tracks(services: Services, owner: Principal, count: int) -> list[str]:
    """Public track records written straight to the table (no media: only the rows a
    playlist reads)."""
    ids = [str(ULID()) for _ in range(count)]
    now = services.clock.now()
    for start in range(0, count, 100):
        services.table.transact(
            [
                Put(
                    {
                        "PK": track_key(track_id)[0],
                        "SK": track_key(track_id)[1],
                        "trackId": track_id,
                        "ownerId": owner.user_id,
                        "ownerName": owner.username,
                        "title": f"Track {start + i}",
                        "artist": "Bench Band",
                        "album": "Bench Album",
                        "genre": "Ambient",
                        "year": 2024,
                        "durationMs": 215_000,
                        "visibility": "public",
                        "version": 1,
                        "createdAt": now,
                        "playCount": 0,
                        "likeCount": 0,
                    }
                )
                for i, track_id in enumerate(ids[start : start + 100])
            ]
        )
    return ids


def read_all(fetch: Callable[[str | None], dict[str, Any]]) -> int:
    """Follow ``nextCursor`` to the end; returns the number of entries read."""
    count, cursor = 0, None
    while True:
        page = fetch(cursor)
        count += len(page["entries"])
        cursor = page["nextCursor"]
        if cursor is None:
            return count


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        services = build(Settings(data_dir=Path(tmp)))
        profile = services.accounts.create_user(
            username="bench", email="bench@example.com", password=PASSWORD
        )
        owner = principal_of(profile)
        playlists = services.playlists
        tracks = add_tracks(services, owner, MAX_ENTRIES)
        playlist_id = playlists.create(owner, {"name": "Marathon"})["playlistId"]
        started = time.perf_counter()
        for start in range(0, MAX_ENTRIES, CHUNK):
            playlists.add_entries(owner, playlist_id, tracks[start : start + CHUNK])
        build_seconds = time.perf_counter() - started
        stored = services.table.get(*entries_key(playlist_id))
        assert stored is not None
        assert len(stored["entries"]) == MAX_ENTRIES
        size = item_size(stored)

        tokens = services.accounts.login(username="bench", password=PASSWORD, client="bench")
        headers = {"Authorization": f"Bearer {tokens.access_token}"}
        with TestClient(create_app(services)) as client:
            url = f"/api/v1/playlists/{playlist_id}"

            def http_page(cursor: str | None, limit: int = MAX_PAGE) -> dict[str, Any]:
                params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
                response = client.get(url, headers=headers, params=params)
                assert response.status_code == 200, response.text
                return response.json()

            def service_page(cursor: str | None) -> dict[str, Any]:
                return playlists.get(owner, playlist_id, limit=MAX_PAGE, cursor=cursor)

            assert read_all(service_page) == MAX_ENTRIES
            results = [
                (
                    "GET first page (200 entries), service",
                    timed(lambda: playlists.get(owner, playlist_id)),
                ),
                ("GET first page (200 entries), HTTP", timed(lambda: http_page(None, 200))),
                (
                    "GET all 5,000 (5 pages of 1,000), service",
                    timed(lambda: read_all(service_page), 10),
                ),
                ("GET all 5,000 (5 pages of 1,000), HTTP", timed(lambda: read_all(http_page), 10)),
            ]

        results += edits(playlists, owner, playlist_id, tracks[0])
    print("## Playlists (5,000 entries)\n")
    print(
        f"One playlist of {MAX_ENTRIES:,} distinct public tracks on SQLite; built with "
        f"{MAX_ENTRIES // CHUNK} `add_entries` calls of {CHUNK:,} in {build_seconds:.1f} s. "
        f"Entries item: {size:,} bytes by DynamoDB's size rules ({size / 400_000:.0%} of the "
        f"400 KB item limit). Edits go through the service (read, change, one conditional "
        f"transaction); GETs both through the service and over HTTP (TestClient, JSON "
        f"included).\n"
    )
    print("| operation | p50 ms | p90 ms |")
    print("|---|---:|---:|")
    for name, samples in results:
        print(row(name, samples))


def edits(
    playlists: Playlists, owner: Principal, playlist_id: str, track_id: str
) -> list[tuple[str, list[float]]]:
    """Add, move and remove on the full playlist; each add is undone by a remove so the
    playlist stays at 4,999-5,000 entries."""
    assert playlists.get(owner, playlist_id, limit=1)["entryCount"] == MAX_ENTRIES

    def entry_at(position: int) -> str:
        loaded = playlists.load(playlist_id)
        assert loaded is not None
        return loaded.entries[position][0]

    removals, additions, moves = [], [], []
    for _ in range(WARMUP + RUNS):
        victim = entry_at(MAX_ENTRIES // 2)
        started = time.perf_counter()
        playlists.remove_entry(owner, playlist_id, victim)
        removals.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        playlists.add_entry(owner, playlist_id, track_id)
        additions.append((time.perf_counter() - started) * 1000)
        last = entry_at(MAX_ENTRIES - 1)
        started = time.perf_counter()
        playlists.move_entry(owner, playlist_id, last, 0)
        moves.append((time.perf_counter() - started) * 1000)
    return [
        ("add (append, 4,999 → 5,000 entries)", additions[WARMUP:]),
        ("move (last entry to the start)", moves[WARMUP:]),
        ("remove (an entry in the middle)", removals[WARMUP:]),
    ]


if __name__ == "__main__":
    main()
