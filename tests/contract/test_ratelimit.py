"""Rate limits are sliding windows on both tables (SQLite, DynamoDB under moto): at most
``limit`` events in any ``window`` seconds, with no doubled burst where a fixed window
would have restarted, and no count lost to concurrent writers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from soundshelf.errors import RateLimited
from soundshelf.ports.table import Table
from soundshelf.ratelimit import RateLimiter
from tests.support import FakeClock

LIMIT, WINDOW = 5, 60


def _limiter(table: Table, at: float) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock(at)
    return RateLimiter(table, clock), clock


def _hit(limiter: RateLimiter, key: str = "k") -> None:
    limiter.hit(key, limit=LIMIT, window=WINDOW, detail="slow down")


def test_the_limit_at_the_end_of_a_minute_and_again_at_the_start_of_the_next_is_refused(
    table: Table,
) -> None:
    minute = 1_700_000_040  # a whole minute: where a fixed window would restart
    limiter, clock = _limiter(table, minute - 1)
    for _ in range(LIMIT):
        _hit(limiter)
    clock.advance(2)  # one second into the next minute

    with pytest.raises(RateLimited) as refused:
        _hit(limiter)

    # It fits again once the first events have left the window (after 60 to 66 s).
    assert WINDOW - 2 <= refused.value.retry_after <= WINDOW * 1.1
    with pytest.raises(RateLimited):
        limiter.ensure_below("k", limit=LIMIT, window=WINDOW, detail="slow down")
    clock.advance(refused.value.retry_after)
    _hit(limiter)


def test_an_event_counts_for_a_whole_window_and_at_most_a_tenth_more(table: Table) -> None:
    limiter, clock = _limiter(table, 1_700_000_000.5)
    for _ in range(LIMIT):
        _hit(limiter)
    clock.advance(WINDOW - 0.001)
    with pytest.raises(RateLimited):
        _hit(limiter)
    clock.advance(WINDOW * 0.1 + 0.002)
    for _ in range(LIMIT):
        _hit(limiter)
    with pytest.raises(RateLimited):
        _hit(limiter)


def test_counting_goes_on_past_the_limit_and_keys_are_apart(table: Table) -> None:
    limiter, _ = _limiter(table, 1_700_000_000)
    counts = [limiter.count("failures", limit=LIMIT, window=WINDOW) for _ in range(LIMIT + 2)]
    assert counts == list(range(1, LIMIT + 3))
    with pytest.raises(RateLimited):
        limiter.ensure_below("failures", limit=LIMIT, window=WINDOW, detail="slow down")
    limiter.ensure_below("other", limit=LIMIT, window=WINDOW, detail="slow down")


def test_concurrent_events_are_each_counted_once(table: Table) -> None:
    limiter, _ = _limiter(table, 1_700_000_000)

    def attempt(_: int) -> bool:
        try:
            limiter.hit("busy", limit=LIMIT, window=WINDOW, detail="slow down")
        except RateLimited:
            return False
        return True

    with ThreadPoolExecutor(max_workers=4) as pool:
        allowed = sum(pool.map(attempt, range(3 * LIMIT)))

    assert allowed == LIMIT
