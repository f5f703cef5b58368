from __future__ import annotations

import math
import random
import time
from datetime import UTC, datetime, timedelta

from soundshelf.ports.clock import iso


def test_iso_is_utc_seconds_with_a_z() -> None:
    assert iso(0) == "1970-01-01T00:00:00Z"
    assert iso(1_731_059_638.96) == "2024-11-08T09:53:58Z"  # truncated, not rounded
    assert iso(951_782_400) == "2000-02-29T00:00:00Z"
    assert iso(-0.5) == "1969-12-31T23:59:59Z"  # before the epoch: floored, like gmtime


def test_iso_matches_gmtime_and_datetime_for_any_timestamp() -> None:
    rng = random.Random(7)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    timestamps = [rng.uniform(-2e9, 4e9) for _ in range(20_000)]
    timestamps += [rng.randrange(-2 * 10**9, 4 * 10**9) for _ in range(20_000)]
    # At and just before the start of a minute, an hour, a day, a leap day and a year.
    starts = (60, 3600, 86400, 951_782_400, 1_735_689_600)
    timestamps += [start - d for start in starts for d in (0, 1e-6)]
    for ts in timestamps:
        expected = (epoch + timedelta(seconds=math.floor(ts))).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert iso(ts) == expected == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts)), ts
