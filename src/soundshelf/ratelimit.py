"""Fixed-window counters in the Table: login throttling, API key and share-password
limits. One atomic ADD per counted event, so it holds across processes and Lambdas."""

from __future__ import annotations

import math

from soundshelf.errors import RateLimited
from soundshelf.ports.clock import Clock
from soundshelf.ports.table import Table


class RateLimiter:
    def __init__(self, table: Table, clock: Clock) -> None:
        self.table = table
        self.clock = clock

    def _window(self, window: int) -> tuple[int, int]:
        """(start of the current window, seconds until it ends)."""
        now = self.clock.now()
        start = int(now // window * window)
        return start, max(1, math.ceil(start + window - now))

    def _key(self, key: str, start: int) -> tuple[str, str]:
        return f"RATE#{key}", f"{start}"

    def count(self, key: str, *, window: int) -> int:
        start, _ = self._window(window)
        item = self.table.get(*self._key(key, start))
        return int(item["count"]) if item else 0

    def ensure_below(self, key: str, *, limit: int, window: int, detail: str) -> None:
        """Refuse with 429 when ``key`` already reached ``limit`` in this window."""
        start, retry_after = self._window(window)
        item = self.table.get(*self._key(key, start))
        if item and item["count"] >= limit:
            raise RateLimited(detail, retry_after=retry_after)

    def hit(self, key: str, *, window: int, limit: int | None = None, detail: str = "") -> int:
        """Count one event; with ``limit``, refuse the event that goes over it."""
        start, retry_after = self._window(window)
        pk, sk = self._key(key, start)
        # ``expiresAt`` lets DynamoDB's TTL (and the local sweeper) drop old windows.
        item = self.table.update(pk, sk, add={"count": 1}, set={"expiresAt": start + 2 * window})
        count = int(item["count"])
        if limit is not None and count > limit:
            raise RateLimited(detail or "Too many requests", retry_after=retry_after)
        return count

    def clear(self, key: str, *, window: int) -> None:
        start, _ = self._window(window)
        self.table.delete(*self._key(key, start))
