"""The embedded worker: takes jobs from the queue and runs their handlers.

``soundshelf serve`` starts worker processes, so transcoding never competes with API
requests for the server's event loop. The processing Lambda is the AWS counterpart and
calls the same handlers.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from soundshelf.bootstrap import Services
from soundshelf.config import Settings
from soundshelf.logs import request_id_var
from soundshelf.ports.jobs import Job

log = logging.getLogger("soundshelf.worker")

HOUSEKEEPING_EVERY = 600.0
LEASE_SECONDS = 300.0


class JobHandler(Protocol):
    def handle(self, payload: dict[str, Any]) -> None:
        """Do the job; must be idempotent (a job may be delivered more than once)."""
        ...

    def give_up(self, payload: dict[str, Any], error: str) -> None:
        """The job failed its last attempt: leave things in a state a person understands."""
        ...


def run_job(services: Services, handlers: Mapping[str, JobHandler], job: Job) -> bool:
    """Run one delivery; True when it succeeded. Failures are retried by the queue."""
    handler = handlers.get(job.kind)
    token = request_id_var.set(f"job-{job.job_id}")
    try:
        if handler is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        handler.handle(job.payload)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        log.exception("job failed", extra={"kind": job.kind, "attempts": job.attempts})
        if handler is not None and job.attempts >= services.jobs.max_attempts:
            handler.give_up(job.payload, error)
        services.jobs.retry(job, error=error)
        return False
    else:
        services.jobs.ack(job)
        return True
    finally:
        request_id_var.reset(token)


class Worker:
    def __init__(self, services: Services, handlers: Mapping[str, JobHandler]) -> None:
        self.services = services
        self.handlers = handlers
        self._last_housekeeping = 0.0
        self._search_layout_current = False

    def run_once(self, *, max_jobs: int = 1) -> int:
        """Run the jobs due now; returns how many were taken."""
        jobs = self.services.jobs.receive(max_jobs=max_jobs, lease=LEASE_SECONDS)
        for job in jobs:
            run_job(self.services, self.handlers, job)
        return len(jobs)

    def housekeeping(self) -> None:
        now = time.monotonic()
        if now - self._last_housekeeping >= HOUSEKEEPING_EVERY:
            self._last_housekeeping = now
            self.services.uploads.remove_abandoned()

    def upgrade_search_index(self) -> bool:
        """One step of moving the search index to its current layout, between jobs;
        False once there is nothing left to do."""
        if self._search_layout_current:
            return False
        self._search_layout_current = self.services.reindexer.step()
        return True

    def run(self, should_stop: Callable[[], bool], *, idle_sleep: float = 0.2) -> None:
        while not should_stop():
            try:
                self.housekeeping()
                if self.run_once() == 0 and not self.upgrade_search_index():
                    time.sleep(idle_sleep)
            except Exception:  # the loop must outlive any one failure (a locked DB…)
                log.exception("worker loop error")
                time.sleep(1)


def worker_main(settings: Settings, stop: Any) -> None:
    """Entry point of one worker process."""
    from soundshelf.bootstrap import build
    from soundshelf.logs import configure_logging

    # The parent handles Ctrl-C and tells us through ``stop``.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure_logging(settings.log_level)
    services = build(settings)
    Worker(services, services.job_handlers).run(stop.is_set)


def start_workers(settings: Settings, count: int) -> tuple[Any, list[Any]]:
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    processes = [
        context.Process(target=worker_main, args=(settings, stop), name=f"worker-{n}", daemon=True)
        for n in range(count)
    ]
    for process in processes:
        process.start()
    return stop, processes


def stop_workers(stop: Any, processes: list[Any], *, timeout: float = 10) -> None:
    stop.set()
    deadline = time.monotonic() + timeout
    for process in processes:
        process.join(max(0.1, deadline - time.monotonic()))
        if process.is_alive():
            process.terminate()
