"""The ``Clock`` port: services ask it for the time so tests can move it."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()


def iso(ts: float) -> str:
    """ISO-8601 UTC with a ``Z``, as the API shows every timestamp (strftime: a list page
    formats dozens of them, and this is twice as fast as going through datetime)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
