"""The ``/api/health`` document, and the workers' verdict as each HTTP process keeps it."""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import BaseModel

from soundshelf.worker_status import Verdict, WorkerStatusBoard

# Health is polled hard (load balancers, benchmarks): each process reads the workers'
# status item at most this often.
VERDICT_TTL = 1.0
NOT_HERE = Verdict("ok", None)


class Health(BaseModel):
    status: Literal["ok", "degraded", "down"]
    backend: str
    version: str
    # The processing workers (``worker_status.py``); absent where ``serve`` does not run
    # them (AWS: the processing Lambda).
    processing: dict[str, Any] | None = None


class CachedVerdict:
    def __init__(self, board: WorkerStatusBoard | None) -> None:
        self.board = board
        self._verdict: Verdict | None = None
        self._until = 0.0

    def current(self) -> Verdict:
        now = time.monotonic()
        if self.board is None:
            return NOT_HERE
        if self._verdict is None or now >= self._until:
            self._verdict = self.board.verdict()
            self._until = now + VERDICT_TTL
        return self._verdict
