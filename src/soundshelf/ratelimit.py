"""Counters in the Table: rate limits (API keys, mails, caps) and growing delays
(``Backoff``), combined for secrets people guess at (``GuessThrottle``). Each counted event
is one conditional write, so they hold across processes and Lambdas."""

from __future__ import annotations

import math
from typing import Any

from soundshelf.errors import RateLimited
from soundshelf.ports.clock import Clock
from soundshelf.ports.table import AttributeEquals, ConditionFailed, ItemAbsent, Table

MICROS = 1_000_000
# A window is counted in this many slots (plus the current one): an event counts for
# between one window and 1.1 windows after it happened.
SLOTS = 10
# Writers that lost the race for one key's record try again this often, then give up (429).
MAX_RACES = 10


class RateLimiter:
    """At most ``limit`` events in any ``window`` seconds: a sliding window, not fixed ones.

    A key's record holds counts per slot of a tenth of the window; an event counts until
    its slot is more than ten slots old, so for at least a whole window (at most 1.1).
    Sending the limit at the end of a minute and again at the start of the next is refused
    (fixed windows let both through: twice the limit in two seconds). Each event is a
    conditional write on the record's version, so concurrent writers never lose a count.
    """

    def __init__(self, table: Table, clock: Clock) -> None:
        self.table = table
        self.clock = clock

    def ensure_below(self, key: str, *, limit: int, window: int, detail: str) -> None:
        """Refuse with 429 while ``key`` already holds ``limit`` events."""
        now, slot = self._now(), _slot_length(window)
        slots = _live(self.table.get(*_key(key)), now // slot)
        if sum(n for _, n in slots) >= limit:
            raise RateLimited(detail, retry_after=_retry_after(slots, limit, slot, now))

    def hit(self, key: str, *, limit: int, window: int, detail: str) -> None:
        """Count one event, or refuse it with 429 (not counted) when it would go over."""
        self._take(key, limit, window, detail=detail)

    def count(self, key: str, *, limit: int, window: int) -> int:
        """Count one event whatever the limit (a failure that happened: ``ensure_below``
        refuses the next ones); how many events the key holds now."""
        return self._take(key, limit, window, detail=None)

    def _take(self, key: str, limit: int, window: int, *, detail: str | None) -> int:
        slot = _slot_length(window)
        for _ in range(MAX_RACES):
            now = self._now()
            current = now // slot
            item = self.table.get(*_key(key))
            slots = _live(item, current)
            held = sum(n for _, n in slots)
            if detail is not None and held >= limit:
                raise RateLimited(detail, retry_after=_retry_after(slots, limit, slot, now))
            counts = dict(slots)
            counts[current] = counts.get(current, 0) + 1
            version = int(item["version"]) if item else 0
            record = {
                "PK": _key(key)[0],
                "SK": _key(key)[1],
                "slots": [[index, n] for index, n in sorted(counts.items())],
                "version": version + 1,
                # Once its newest slot has left the window the record holds nothing: the
                # TTL (or the embedded sweep) may drop it.
                "expiresAt": (current + SLOTS + 1) * slot // MICROS + 1,
            }
            condition = AttributeEquals("version", version) if item else ItemAbsent()
            try:
                self.table.put(record, condition=condition)
            except ConditionFailed:
                continue  # another event was counted meanwhile: count again on top of it
            return held + 1
        raise RateLimited(detail or "Too many requests at once", retry_after=1)

    def _now(self) -> int:
        return int(self.clock.now() * MICROS)


def _key(key: str) -> tuple[str, str]:
    return f"RATE#{key}", "SLIDING"


def _slot_length(window: int) -> int:
    """Microseconds per slot."""
    if window < 1:
        raise ValueError("a rate limit's window is at least 1 second")
    return window * MICROS // SLOTS


def _live(item: dict[str, Any] | None, current: int) -> list[tuple[int, int]]:
    """The (slot, count) pairs still in the window, oldest first."""
    if item is None:
        return []
    return [(int(i), int(n)) for i, n in item["slots"] if int(i) >= current - SLOTS]


def _retry_after(slots: list[tuple[int, int]], limit: int, slot: int, now: int) -> int:
    """Seconds until the oldest slots have left the window and one more event fits."""
    held = sum(n for _, n in slots)
    for index, n in slots:
        held -= n
        if held < limit:
            return max(1, math.ceil(((index + SLOTS + 1) * slot - now) / MICROS))
    return 1


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
        limit, window = self.per_source
        reached |= self.limiter.count(by_source, limit=limit, window=window) == limit
        if self.per_target:
            limit, window = self.per_target
            reached |= self.limiter.count(by_target, limit=limit, window=window) == limit
        return reached

    def succeeded(self, target: str, source: str, *, failures: int) -> None:
        if failures:  # most successes follow no failure: no write for them
            self.backoff.clear(self._keys(target, source)[0])
