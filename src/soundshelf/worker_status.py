"""What ``/api/health`` says about the processing workers, and the one item that carries it.

The supervisor (in ``soundshelf serve``'s parent process) writes the state of every worker
to one item of the table, at least every ``PUBLISH_EVERY`` seconds; every HTTP process
reads it from there. The verdict, for the operator (health always answers 200: a load
balancer must keep sending requests to a server whose API works, and taking the only one
out of rotation would turn a processing outage into a total one):

- ``ok``: every worker runs and none died in the last ``RECENT`` seconds;
- ``degraded``: a worker died recently, is being restarted, or is stalled; the supervisor
  is already dealing with it; monitoring should alert;
- ``down``: nothing processes uploads and the supervisor is not fixing it (it stopped
  reporting, or no worker has run for ``DOWN_AFTER`` seconds): restart the server.

Without the item (the AWS mode, where the processing Lambda's queue and alarms watch
processing, or an app not started by ``serve``) health says nothing about workers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from soundshelf.ports.clock import Clock, iso
from soundshelf.ports.table import Table

STATUS_KEY = ("WORKERS", "STATUS")
PUBLISH_EVERY = 2.0
STALE_AFTER = 15.0  # the supervisor has stopped reporting
RECENT = 300.0  # a death keeps the verdict degraded this long (monitoring polls every minute)
DOWN_AFTER = 60.0

IDLE, BUSY, RESTARTING, STALLED = "idle", "busy", "restarting", "stalled"


@dataclass
class WorkerState:
    slot: int
    pid: int | None
    state: str  # IDLE, BUSY, RESTARTING or STALLED
    since: float  # wall clock: when it entered this state
    restarts: int = 0
    last_exit: str | None = None
    last_exit_at: float | None = None
    job: dict[str, Any] | None = field(default=None)  # kind, attempt, since


@dataclass(frozen=True)
class Verdict:
    status: str  # ok, degraded, down
    processing: dict[str, Any] | None  # the health document's "processing" section


class WorkerStatusBoard:
    def __init__(self, table: Table, clock: Clock) -> None:
        self.table = table
        self.clock = clock

    def publish(self, workers: list[WorkerState], *, supervising: bool) -> None:
        self.table.put(
            {
                "PK": STATUS_KEY[0],
                "SK": STATUS_KEY[1],
                "supervising": supervising,
                "checkedAt": self.clock.now(),
                "workers": [asdict(w) for w in workers],
            }
        )

    def verdict(self) -> Verdict:
        item = self.table.get(*STATUS_KEY)
        if item is None:
            return Verdict("ok", None)
        return judge(item, self.clock.now())


def judge(item: dict[str, Any], now: float) -> Verdict:
    workers = item.get("workers") or []
    section: dict[str, Any] = {
        "checkedAt": iso(item["checkedAt"]),
        "workers": [_describe(w) for w in workers],
    }
    if not item.get("supervising"):
        return Verdict("degraded", {"status": "stopped", **section})
    if now - item["checkedAt"] > STALE_AFTER:
        return Verdict("down", {"status": "down", "reason": "the supervisor stopped", **section})
    if not workers:
        return Verdict("ok", {"status": "off", **section})  # SOUNDSHELF_WORKERS=0
    running = [w for w in workers if w["state"] in {IDLE, BUSY}]
    if not running and all(now - w["since"] > DOWN_AFTER for w in workers):
        return Verdict("down", {"status": "down", "reason": "no worker runs", **section})
    recent_death = any(now - (w.get("last_exit_at") or 0) < RECENT for w in workers)
    if len(running) < len(workers) or recent_death:
        return Verdict("degraded", {"status": "degraded", **section})
    return Verdict("ok", {"status": "ok", **section})


def _describe(worker: dict[str, Any]) -> dict[str, Any]:
    described: dict[str, Any] = {
        "pid": worker["pid"],
        "state": worker["state"],
        "since": iso(worker["since"]),
        "restarts": worker["restarts"],
    }
    if worker.get("last_exit"):
        described["lastExit"] = worker["last_exit"]
        described["lastExitAt"] = iso(worker["last_exit_at"])
    if worker.get("job"):
        job = worker["job"]
        described["job"] = {**job, "since": iso(job["since"])}
    return described
