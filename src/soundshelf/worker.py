"""The embedded worker: takes jobs from the queue and runs their handlers.

``soundshelf serve`` starts worker processes under a supervisor (``supervisor.py``), so
transcoding never competes with API requests for the server's event loop, and a worker
that dies is restarted and its job retried at once. The processing Lambda is the AWS
counterpart and calls the same handlers.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from soundshelf.bootstrap import Services
from soundshelf.config import Settings
from soundshelf.logs import request_id_var
from soundshelf.ports.jobs import Job, JobHandler
from soundshelf.process_tree import die_with_parent

log = logging.getLogger("soundshelf.worker")

HOUSEKEEPING_EVERY = 600.0
# Expired items (codes, sessions, share links, throttle windows...) removed per sweep:
# bounded batches, so one sweep never holds SQLite's write lock for long.
EXPIRED_BATCH = 500
EXPIRED_MAX_BATCHES = 20
# A job's lease outlasts its time limit (Settings.worker_job_timeout), so the supervisor
# stops a stalled worker before the queue hands its job to another one.
LEASE_MARGIN = 60.0


def run_job(services: Services, handlers: Mapping[str, JobHandler], job: Job) -> bool:
    """Run one delivery; True when it succeeded. Failures are retried by the queue."""
    handler = handlers.get(job.kind)
    token = request_id_var.set(f"job-{job.job_id}")
    try:
        if handler is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        handler.handle(job.payload)
    except Exception as exc:
        log.exception("job failed", extra={"kind": job.kind, "attempts": job.attempts})
        fail_delivery(services, handlers, job, f"{type(exc).__name__}: {exc}")
        return False
    else:
        services.jobs.ack(job)
        return True
    finally:
        request_id_var.reset(token)


def fail_delivery(
    services: Services,
    handlers: Mapping[str, JobHandler],
    job: Job,
    error: str,
    *,
    delay: float | None = None,
) -> None:
    """A delivery failed (its handler raised, or its worker died): retry it, and on its
    last attempt let the handler leave things in a state a person understands."""
    handler = handlers.get(job.kind)
    if handler is not None and job.attempts >= services.jobs.max_attempts:
        handler.give_up(job.payload, error)
    services.jobs.retry(job, error=error, delay=delay)


@dataclass
class WorkerLink:
    """What one worker process shares with its supervisor."""

    stop: Any  # multiprocessing Event, shared by every worker: finish the job and exit
    beat: Any  # multiprocessing Value("d"): time.monotonic() of the loop's last turn
    jobs: Any  # sending end of a Pipe: the Job when one starts, None when it ends
    parent: int  # the supervisor's process

    def running(self, job: Job | None) -> None:
        """Tell the supervisor which job this worker runs now (None: none)."""
        self.jobs.send(job)


class Worker:
    def __init__(
        self,
        services: Services,
        handlers: Mapping[str, JobHandler],
        *,
        link: WorkerLink | None = None,
    ) -> None:
        self.services = services
        self.handlers = handlers
        self.link = link
        self.lease = services.settings.worker_job_timeout + LEASE_MARGIN
        self._last_housekeeping = 0.0
        self._search_layout_current = False

    def run_once(self, *, max_jobs: int = 1) -> int:
        """Run the jobs due now; returns how many were taken."""
        jobs = self.services.jobs.receive(max_jobs=max_jobs, lease=self.lease)
        for job in jobs:
            if self.link is not None:  # so that its job is retried at once if we die
                self.link.running(job)
            try:
                run_job(self.services, self.handlers, job)
            finally:
                if self.link is not None:
                    self.link.running(None)
        return len(jobs)

    def housekeeping(self) -> None:
        now = time.monotonic()
        if now - self._last_housekeeping >= HOUSEKEEPING_EVERY:
            self._last_housekeeping = now
            self.services.uploads.remove_abandoned()
            self.remove_expired()

    def remove_expired(self) -> int:
        """What DynamoDB's TTL does for the embedded table (a no-op on DynamoDB). The real
        clock, not the services' one: an item is removed once it has really expired."""
        removed = 0
        for _ in range(EXPIRED_MAX_BATCHES):
            batch = self.services.table.remove_expired(time.time(), limit=EXPIRED_BATCH)
            removed += batch
            if batch < EXPIRED_BATCH:
                break
        return removed

    def upgrade_search_index(self) -> bool:
        """One step of moving the search index to its current layout, between jobs;
        False once there is nothing left to do."""
        if self._search_layout_current:
            return False
        self._search_layout_current = self.services.reindexer.step()
        return True

    def run(self, should_stop: Callable[[], bool], *, idle_sleep: float = 0.2) -> None:
        while not should_stop():
            if self.link is not None:
                self.link.beat.value = time.monotonic()
            try:
                self.housekeeping()
                if self.run_once() == 0 and not self.upgrade_search_index():
                    time.sleep(idle_sleep)
            except Exception:  # the loop must outlive any one failure (a locked DB…)
                log.exception("worker loop error")
                time.sleep(1)


def worker_main(settings: Settings, link: WorkerLink) -> None:
    """Entry point of one worker process."""
    from soundshelf.bootstrap import build
    from soundshelf.logs import configure_logging

    # The parent handles Ctrl-C and tells us through ``link.stop``; if it dies, so do we.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(link.parent)
    configure_logging(settings.log_level)
    services = build(settings)
    # The decoders are loaded before the limit is set: it is what one job may add.
    import soundshelf.uploads.processing  # noqa: F401

    limit_memory(settings.worker_job_memory_mib * 1024 * 1024)
    Worker(services, services.job_handlers, link=link).run(
        lambda: link.stop.is_set() or os.getppid() != link.parent
    )


def limit_memory(job_bytes: int) -> None:
    """Cap this process's address space at its present size plus ``job_bytes``, so a file
    that needs more makes its decoder raise MemoryError (the upload fails with a reason)
    instead of the kernel's out-of-memory killer ending the worker, or something else."""
    try:
        import resource

        with open("/proc/self/status") as status:
            size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize"))
    except (ImportError, OSError, StopIteration):
        log.warning("no memory limit for jobs on this system")
        return
    limit = size + job_bytes
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    log.info("memory limit set", extra={"limitMiB": limit >> 20, "jobMiB": job_bytes >> 20})
