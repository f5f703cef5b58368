"""Counters in the Table: fixed windows (API keys, mails, caps) and growing delays
(``Backoff``), combined for secrets people guess at (``GuessThrottle``). One atomic write
per counted event, so they hold across processes and Lambdas."""

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


class Backoff:
    """Growing delays after failures, per key: ``free`` failures cost nothing, then each
    attempt waits ``2 ** (failures - free)`` seconds after the last failure, at most
    ``max_delay``. A key is forgotten ``forget_after`` seconds after its last failure, or
    cleared by a success. Unlike a lock, a delay never shuts out another key (the owner
    signing in from another address)."""

    def __init__(
        self, table: Table, clock: Clock, *, free: int, max_delay: int, forget_after: int
    ) -> None:
        self.table = table
        self.clock = clock
        self.free = free
        self.max_delay = max_delay
        self.forget_after = forget_after

    def delay_after(self, failures: int) -> int:
        if failures < self.free:
            return 0
        return min(self.max_delay, 2 ** min(failures - self.free, 30))

    def _current(self, key: str) -> tuple[int, float]:
        """(failures, time of the last one), counting a stale record as none."""
        item = self.table.get(f"BACKOFF#{key}", "BACKOFF")
        if item is None or float(item["lastFailure"]) + self.forget_after < self.clock.now():
            return 0, 0.0
        return int(item["failures"]), float(item["lastFailure"])

    def ensure_allowed(self, key: str, *, detail: str) -> int:
        """The failures on record; 429 while the delay they earned runs."""
        failures, last = self._current(key)
        wait = last + self.delay_after(failures) - self.clock.now()
        if failures and wait > 0:
            raise RateLimited(detail, retry_after=max(1, math.ceil(wait)))
        return failures

    def failed(self, key: str) -> int:
        """Count one failure; the number of failures now on record."""
        now = self.clock.now()
        failures, _ = self._current(key)
        changes = {"lastFailure": now, "expiresAt": int(now + self.forget_after)}
        if failures == 0:  # none, or a stale record: start over
            self.table.put({"PK": f"BACKOFF#{key}", "SK": "BACKOFF", "failures": 1, **changes})
            return 1
        item = self.table.update(f"BACKOFF#{key}", "BACKOFF", add={"failures": 1}, set=changes)
        return int(item["failures"])

    def clear(self, key: str) -> None:
        self.table.delete(f"BACKOFF#{key}", "BACKOFF")


class GuessThrottle:
    """Throttles guessing a secret (a password, an app password, a share link's password).

    Three counters, so that no one but the guesser pays: growing delays per target and
    source (``Backoff``); a cap per source across targets (spraying many accounts); and,
    optionally, a cap per target across every source (a distributed attack), which the
    caller may let a proven owner skip (the mailed sign-in link)."""

    def __init__(
        self,
        limiter: RateLimiter,
        backoff: Backoff,
        *,
        scope: str,
        per_source: tuple[int, int],
        per_target: tuple[int, int] | None = None,
        detail: str = "Too many failed attempts; wait a little and try again",
    ) -> None:
        self.limiter = limiter
        self.backoff = backoff
        self.scope = scope
        self.per_source = per_source
        self.per_target = per_target
        self.detail = detail

    def _keys(self, target: str, source: str) -> tuple[str, str, str]:
        return (
            f"{self.scope}:{target}|{source}",
            f"{self.scope}-source:{source}",
            f"{self.scope}-target:{target}",
        )

    def ensure_allowed(self, target: str, source: str, *, owner_proven: bool = False) -> int:
        """429 while throttled; else the failures on record for this target and source
        (pass them to ``succeeded``)."""
        pair, by_source, by_target = self._keys(target, source)
        if owner_proven:  # proved to own the target (a mailed link): no one else's guesses count
            return 1  # so that a success clears the record
        limit, window = self.per_source
        self.limiter.ensure_below(by_source, limit=limit, window=window, detail=self.detail)
        failures = self.backoff.ensure_allowed(pair, detail=self.detail)
        if self.per_target:
            limit, window = self.per_target
            self.limiter.ensure_below(by_target, limit=limit, window=window, detail=self.detail)
        return failures

    def failed(self, target: str, source: str) -> bool:
        """Count a wrong guess; True when it is the one that starts throttling someone."""
        pair, by_source, by_target = self._keys(target, source)
        reached = self.backoff.failed(pair) == self.backoff.free
        reached |= self.limiter.hit(by_source, window=self.per_source[1]) == self.per_source[0]
        if self.per_target:
            limit, window = self.per_target
            reached |= self.limiter.hit(by_target, window=window) == limit
        return reached

    def succeeded(self, target: str, source: str, *, failures: int) -> None:
        if failures:  # most successes follow no failure: no write for them
            self.backoff.clear(self._keys(target, source)[0])
