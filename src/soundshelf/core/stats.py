"""Platform statistics from counters kept as things happen, never by scanning.

Counters are sharded: each change ADDs to one of ``SHARDS`` items picked at random, so a
burst of plays or sign-ups spreads over several partitions; a read sums the shards.

- running totals ``STATS#PLATFORM#{shard}`` / ``TOTAL``: users, tracks, photos, files,
  trackBytes, photoBytes, fileBytes, openReports;
- per UTC day ``STATS#PLATFORM#{shard}`` / ``DAY#{yyyy-mm-dd}``: signups, plays.

``counter_update`` returns an ``Update`` so that callers put it into the transaction of
the change it counts: a retried job or a lost race then never counts twice. ``count``
applies one on its own where there is no transaction (plays).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from soundshelf.ports.clock import Clock
from soundshelf.ports.table import Table, Update

SHARDS = 8
DAYS = 30
ITEM_TYPES = ("track", "photo", "file")
TOTALS = (
    "users",
    "openReports",
    *(f"{t}s" for t in ITEM_TYPES),
    *(f"{t}Bytes" for t in ITEM_TYPES),
)
DAILY = ("signups", "plays")


def _pk(shard: int) -> str:
    return f"STATS#PLATFORM#{shard}"


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def counter_update(add: Mapping[str, int], *, at: float | None = None) -> Update:
    """ADD ``add`` to the running totals, or with ``at`` to that day's counters."""
    sk = "TOTAL" if at is None else f"DAY#{_day(at)}"
    return Update(_pk(random.randrange(SHARDS)), sk, add=dict(add))


def item_counters(result_type: str, delta: int, stored_bytes: int) -> Update:
    """A track, photo or file appearing (``delta=1``) or going (``-1``) with its bytes."""
    return counter_update({f"{result_type}s": delta, f"{result_type}Bytes": delta * stored_bytes})


def signup_counters(at: float) -> list[Update]:
    return [counter_update({"users": 1}), counter_update({"signups": 1}, at=at)]


def count(table: Table, add: Mapping[str, int], *, at: float | None = None) -> None:
    """Apply one counter change outside any transaction."""
    op = counter_update(add, at=at)
    table.update(op.pk, op.sk, add=op.add)


class PlatformStats:
    """Reads the counters: one batch get for the totals, one query per shard for days."""

    def __init__(self, *, table: Table, clock: Clock) -> None:
        self.table = table
        self.clock = clock

    def summary(self) -> dict[str, Any]:
        totals = self._totals()
        days = self._days()
        return {
            "users": {"total": totals["users"], "newPerDay": _series(days, "signups")},
            "items": {f"{t}s": totals[f"{t}s"] for t in ITEM_TYPES},
            "storageBytes": {
                **{f"{t}s": totals[f"{t}Bytes"] for t in ITEM_TYPES},
                "total": sum(totals[f"{t}Bytes"] for t in ITEM_TYPES),
            },
            "playsPerDay": _series(days, "plays"),
            "openReports": totals["openReports"],
        }

    def _totals(self) -> dict[str, int]:
        items = self.table.batch_get([(_pk(s), "TOTAL") for s in range(SHARDS)])
        return {name: int(sum(item.get(name, 0) for item in items)) for name in TOTALS}

    def _days(self) -> dict[str, dict[str, int]]:
        """{day: {counter: value}} for the last ``DAYS`` days, today included."""
        today = datetime.fromtimestamp(self.clock.now(), UTC)
        names = [(today - timedelta(days=n)).strftime("%Y-%m-%d") for n in range(DAYS)]
        days: dict[str, dict[str, int]] = {day: dict.fromkeys(DAILY, 0) for day in names}
        for shard in range(SHARDS):
            page = self.table.query(
                _pk(shard), between=(f"DAY#{names[-1]}", f"DAY#{names[0]}"), limit=DAYS
            )
            for item in page.items:
                day = item["SK"].removeprefix("DAY#")
                for name in DAILY:
                    days[day][name] += int(item.get(name, 0))
        return days


def _series(days: dict[str, dict[str, int]], name: str) -> list[dict[str, Any]]:
    """Oldest day first, every day present (zero when nothing happened)."""
    return [{"date": day, "count": days[day][name]} for day in sorted(days)]
