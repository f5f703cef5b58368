"""The embedded ``JobQueue``: jobs are items of the Table, claimed with conditional
updates so that several worker processes never run one delivery twice.

Index ``GSI2`` holds each job under its state: ``JOBS#queued`` sorted by when it is due,
``JOBS#running`` sorted by when its lease ends (so a crashed worker's jobs come back),
``JOBS#dead`` sorted by when it died.
"""

from __future__ import annotations

import contextlib
import secrets
from typing import Any

from ulid import ULID

from soundshelf.ports.clock import Clock
from soundshelf.ports.jobs import Job, backoff_seconds
from soundshelf.ports.table import AttributeEquals, ConditionFailed, Item, Table

QUEUED, RUNNING, DEAD = "JOBS#queued", "JOBS#running", "JOBS#dead"


def _at(ts: float) -> str:
    """A sort key that orders like the timestamp (milliseconds, zero-padded)."""
    return f"{int(ts * 1000):015d}"


class TableJobQueue:
    def __init__(
        self, table: Table, clock: Clock, *, max_attempts: int = 5, retry_base: float = 5
    ) -> None:
        self.table = table
        self.clock = clock
        self.max_attempts = max_attempts
        self.retry_base = retry_base

    def enqueue(self, kind: str, payload: dict[str, Any], *, delay: float = 0) -> str:
        job_id = str(ULID())
        now = self.clock.now()
        self.table.put(
            {
                "PK": f"JOB#{job_id}",
                "SK": "JOB",
                "jobId": job_id,
                "kind": kind,
                "payload": payload,
                "attempts": 0,
                "createdAt": now,
                "GSI2PK": QUEUED,
                "GSI2SK": f"{_at(now + delay)}#{job_id}",
            }
        )
        return job_id

    def receive(self, *, max_jobs: int = 1, lease: float = 60) -> list[Job]:
        now = self.clock.now()
        due = f"{_at(now)}#~"  # '~' sorts after every ULID
        candidates = [
            *self.table.query(RUNNING, index="GSI2", between=("0", due), limit=max_jobs).items,
            *self.table.query(QUEUED, index="GSI2", between=("0", due), limit=max_jobs).items,
        ]
        jobs: list[Job] = []
        for item in candidates:
            if len(jobs) == max_jobs:
                break
            if (job := self._claim(item, now + lease)) is not None:
                jobs.append(job)
        return jobs

    def _claim(self, item: Item, lease_until: float) -> Job | None:
        receipt = secrets.token_hex(8)
        try:
            # Whoever changes the index position first owns this delivery.
            claimed = self.table.update(
                item["PK"],
                item["SK"],
                set={
                    "GSI2PK": RUNNING,
                    "GSI2SK": f"{_at(lease_until)}#{item['jobId']}",
                    "receipt": receipt,
                },
                add={"attempts": 1},
                condition=[
                    AttributeEquals("GSI2PK", item["GSI2PK"]),
                    AttributeEquals("GSI2SK", item["GSI2SK"]),
                ],
            )
        except ConditionFailed:
            return None
        return Job(
            claimed["jobId"], claimed["kind"], claimed["payload"], claimed["attempts"], receipt
        )

    def ack(self, job: Job) -> None:
        # Only the current delivery may finish the job (a late worker whose lease ran out
        # must not delete the job another worker now runs).
        with contextlib.suppress(ConditionFailed):
            self.table.delete(
                f"JOB#{job.job_id}", "JOB", condition=AttributeEquals("receipt", job.receipt)
            )

    def retry(self, job: Job, *, error: str, delay: float | None = None) -> None:
        now = self.clock.now()
        if job.attempts >= self.max_attempts:
            index = {"GSI2PK": DEAD, "GSI2SK": f"{_at(now)}#{job.job_id}"}
        else:
            wait = backoff_seconds(job.attempts, base=self.retry_base) if delay is None else delay
            due = now + max(0.0, wait)
            index = {"GSI2PK": QUEUED, "GSI2SK": f"{_at(due)}#{job.job_id}"}
        with contextlib.suppress(ConditionFailed):
            self.table.update(
                f"JOB#{job.job_id}",
                "JOB",
                set={**index, "lastError": error[:2000]},
                condition=AttributeEquals("receipt", job.receipt),
            )

    def dead_letters(self, *, limit: int = 50) -> list[Job]:
        items = self.table.query(DEAD, index="GSI2", forward=False, limit=limit).items
        return [Job(i["jobId"], i["kind"], i["payload"], i["attempts"]) for i in items]
