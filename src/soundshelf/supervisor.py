"""The supervisor of the processing workers, a thread of ``soundshelf serve``'s parent.

It starts the worker processes and watches them (their exit, their pipes and heartbeats):
- a worker that dies (kill -9, the out-of-memory killer, a crash in a decoder) is
  restarted, at once the first time and with a growing delay if it keeps dying soon
  after its start; the folders it worked in are swept;
- the job it was running is retried at once (not after its lease). The death counts as
  an attempt, so a job that kills every worker that runs it ends dead-lettered, its
  handler's ``give_up`` marking the upload failed, after ``max_attempts`` deliveries;
- a worker whose job runs past ``Settings.worker_job_timeout`` (or whose idle loop has
  not turned for as long) is stalled: it is killed, then treated as dead;
- every change, and at least every few seconds, goes to the status board that
  ``/api/health`` reads (``worker_status.py``).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from soundshelf.bootstrap import Services
from soundshelf.ports.jobs import Job
from soundshelf.scratch import sweep
from soundshelf.worker import WorkerLink, fail_delivery, worker_main
from soundshelf.worker_status import (
    BUSY,
    IDLE,
    PUBLISH_EVERY,
    RESTARTING,
    STALLED,
    WorkerState,
    WorkerStatusBoard,
)

log = logging.getLogger("soundshelf.supervisor")

IDLE_STALL = 60.0  # at least: a loop turn may upgrade the search index or sweep uploads
QUICK_DEATH = 60.0  # a worker that dies sooner than this after its start is crash-looping
FIRST_DELAY, MAX_DELAY = 0.5, 60.0  # restart delays of a crash-looping worker: 0.5 s, 1 s…


@dataclass
class _Slot:
    state: WorkerState
    process: Any = None
    pipe: Connection | None = None
    link: WorkerLink | None = None
    started: float = 0.0  # monotonic
    job: Job | None = None
    job_started: float = 0.0  # monotonic
    kill_reason: str | None = None
    quick_deaths: int = 0
    restart_at: float | None = None  # monotonic


class WorkerSupervisor:
    def __init__(
        self,
        services: Services,
        *,
        count: int,
        target: Callable[..., None] = worker_main,
    ) -> None:
        self.services = services
        self.target = target
        self.job_timeout = float(services.settings.worker_job_timeout)
        self.board = services.worker_status or WorkerStatusBoard(services.table, services.clock)
        self._context = multiprocessing.get_context("spawn")
        self._stop = self._context.Event()
        self._stopping = threading.Event()
        self._stop_timeout = 10.0
        self._thread = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)
        now = services.clock.now()
        self.slots = [_Slot(WorkerState(n, None, RESTARTING, now)) for n in range(count)]

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        for slot in self.slots:
            self._spawn(slot)
        self._publish()
        self._thread.start()

    def stop(self, *, timeout: float = 10) -> None:
        """Let each worker finish its job and exit; end those that don't in time."""
        self._stop_timeout = timeout
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()

    def _shut_down(self) -> None:
        # Run by the supervisor's thread: Linux ends a worker when the thread that started
        # it ends (die_with_parent), so this thread outlives the workers it restarted.
        self._stop.set()
        deadline = time.monotonic() + self._stop_timeout
        for slot in self.slots:
            if slot.process is None:
                continue
            slot.process.join(max(0.1, deadline - time.monotonic()))
            if slot.process.is_alive():
                slot.process.terminate()
                slot.process.join(2)
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join(2)
            self._drain(slot)
            if slot.job is not None:  # ended mid-job: the next start takes it at once
                self._retry_now(slot, "the server stopped while it ran")
        try:
            self.board.publish([s.state for s in self.slots], supervising=False)
        except Exception:
            log.exception("could not record that the workers stopped")

    # --- the watch -------------------------------------------------------------------------

    def _watch(self) -> None:
        last_publish = time.monotonic()
        while not self._stopping.is_set():
            try:
                changed = self._turn()
                if changed or time.monotonic() - last_publish >= PUBLISH_EVERY:
                    self._publish()
                    last_publish = time.monotonic()
            except Exception:  # the supervisor must outlive any one failure (a locked DB…)
                log.exception("worker supervisor error")
                time.sleep(1)
        self._shut_down()

    def _turn(self) -> bool:
        waitables: list[Any] = [s.pipe for s in self.slots if s.pipe is not None]
        waitables += [s.process.sentinel for s in self.slots if s.process is not None]
        if waitables:
            wait(waitables, timeout=0.5)
        else:
            time.sleep(0.5)
        changed = False
        for slot in self.slots:
            changed |= self._drain(slot)  # first: the job a dying worker had just taken
            if slot.process is not None and not slot.process.is_alive():
                self._buried(slot)
                changed = True
            elif slot.process is not None:
                changed |= self._check_stalled(slot)
            elif slot.restart_at is not None and time.monotonic() >= slot.restart_at:
                self._spawn(slot)
                changed = True
        return changed

    def _spawn(self, slot: _Slot) -> None:
        receiving, sending = self._context.Pipe(duplex=False)
        beat = self._context.Value("d", 0.0, lock=False)  # 0: still starting
        slot.link = WorkerLink(stop=self._stop, beat=beat, jobs=sending, parent=os.getpid())
        n = slot.state.slot
        slot.process = self._context.Process(
            target=self.target,
            args=(self.services.settings, slot.link),
            name=f"worker-{n}",
            daemon=True,
        )
        slot.process.start()
        sending.close()  # the worker holds the only sending end: EOF when it dies
        slot.pipe = receiving
        slot.started = time.monotonic()
        slot.restart_at = None
        slot.kill_reason = None
        slot.state.pid = slot.process.pid
        slot.state.state = IDLE
        slot.state.since = self.services.clock.now()
        log.info("worker started", extra={"worker": n, "pid": slot.process.pid})

    def _drain(self, slot: _Slot) -> bool:
        """Read what the worker said: the job it took (or None: it finished it)."""
        changed = False
        while slot.pipe is not None:
            try:
                if not slot.pipe.poll():
                    break
                job = slot.pipe.recv()
            except (EOFError, OSError):
                break
            changed = True
            slot.job, slot.job_started = job, time.monotonic()
            slot.state.state = BUSY if job is not None else IDLE
            slot.state.since = self.services.clock.now()
            slot.state.job = (
                None
                if job is None
                # No ids: health is public; the log names the job.
                else {"kind": job.kind, "attempt": job.attempts, "since": slot.state.since}
            )
        return changed

    def _check_stalled(self, slot: _Slot) -> bool:
        now = time.monotonic()
        beat = slot.link.beat.value if slot.link is not None else 0.0
        if slot.job is not None:
            stalled = now - slot.job_started > self.job_timeout
        else:
            stalled = beat > 0 and now - beat > max(IDLE_STALL, self.job_timeout)
        if not stalled or slot.kill_reason is not None:
            return False
        slot.kill_reason = f"stalled: no progress for {self.job_timeout:g} s"
        log.error(
            "worker stalled; killing it",
            extra={"worker": slot.state.slot, "pid": slot.process.pid, "job": slot.state.job},
        )
        slot.state.state = STALLED
        slot.state.since = self.services.clock.now()
        slot.process.kill()
        return True

    def _buried(self, slot: _Slot) -> None:
        """The worker has exited: retry its job now, clean up after it, plan its restart."""
        process = slot.process
        process.join(0)
        reason = slot.kill_reason or exit_reason(process.exitcode)
        log.error(
            "worker died",
            extra={"worker": slot.state.slot, "pid": process.pid, "reason": reason},
        )
        if slot.job is not None:
            self._retry_now(slot, f"the worker running it died ({reason})")
        if self.services.scratch is not None:
            sweep(self.services.scratch)
        if slot.pipe is not None:
            slot.pipe.close()
        slot.process, slot.pipe = None, None
        ran = time.monotonic() - slot.started
        slot.quick_deaths = slot.quick_deaths + 1 if ran < QUICK_DEATH else 0
        delay = 0.0 if slot.quick_deaths <= 1 else FIRST_DELAY * 2 ** (slot.quick_deaths - 2)
        slot.restart_at = time.monotonic() + min(MAX_DELAY, delay)
        now = self.services.clock.now()
        slot.state.pid = None
        slot.state.state = RESTARTING
        slot.state.since = now
        slot.state.restarts += 1
        slot.state.last_exit = reason
        slot.state.last_exit_at = now

    def _retry_now(self, slot: _Slot, error: str) -> None:
        job, slot.job, slot.state.job = slot.job, None, None
        assert job is not None
        log.warning(
            "retrying the job of a worker that ended",
            extra={"jobId": job.job_id, "kind": job.kind, "attempts": job.attempts},
        )
        try:
            fail_delivery(self.services, self.services.job_handlers, job, error, delay=0)
        except Exception:  # its lease still brings it back
            log.exception("could not retry the job at once", extra={"jobId": job.job_id})

    def _publish(self) -> None:
        self.board.publish([s.state for s in self.slots], supervising=True)


def exit_reason(code: int | None) -> str:
    """How a worker ended, in words an operator can act on."""
    if code is None:
        return "unknown"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (the out-of-memory killer sends it too)" if -code == signal.SIGKILL else ""
        return f"killed by {name}{hint}"
    return f"exited with status {code}"
