"""The ``JobQueue`` port: background work (media processing, fan-out, deletions).

Delivery is at least once: a job whose worker dies comes back after its lease (its SQS
visibility timeout), so every handler must be idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Job:
    job_id: str
    kind: str
    payload: dict[str, Any]
    attempts: int  # deliveries so far, this one included
    receipt: str = field(default="", repr=False)  # what ack/retry need to name this delivery


class JobQueue(Protocol):
    max_attempts: int

    def enqueue(self, kind: str, payload: dict[str, Any], *, delay: float = 0) -> str:
        """Queue a job; returns its id."""
        ...

    def receive(self, *, max_jobs: int = 1, lease: float = 60) -> list[Job]:
        """Take up to ``max_jobs`` due jobs, hidden from others for ``lease`` seconds."""
        ...

    def ack(self, job: Job) -> None:
        """The job is done; it will not be delivered again."""
        ...

    def retry(self, job: Job, *, error: str, delay: float | None = None) -> None:
        """The job failed; deliver it again after ``delay`` seconds (by default the
        backoff), or dead-letter it after ``max_attempts`` deliveries. ``delay=0`` is for
        a delivery whose worker died: the job itself may be fine, so it goes again now."""
        ...

    def dead_letters(self, *, limit: int = 50) -> list[Job]:
        """Jobs that failed every attempt, for inspection."""
        ...


class JobHandler(Protocol):
    def handle(self, payload: dict[str, Any]) -> None:
        """Do the job; must be idempotent (a job may be delivered more than once)."""
        ...

    def give_up(self, payload: dict[str, Any], error: str) -> None:
        """The job failed its last attempt: leave things in a state a person understands."""
        ...


def backoff_seconds(attempts: int, *, base: float = 5, cap: float = 900) -> float:
    """Exponential backoff between deliveries: by default 5 s, 10 s, 20 s… up to 15 min."""
    return min(cap, base * 2.0 ** max(0, attempts - 1))
