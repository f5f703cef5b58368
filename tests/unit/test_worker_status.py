"""The verdict /api/health gives on the processing workers (worker_status.judge), and the
health route that answers it."""

from __future__ import annotations

from dataclasses import asdict

from fastapi.testclient import TestClient

from soundshelf.bootstrap import build
from soundshelf.config import Settings
from soundshelf.http.app import create_app
from soundshelf.worker_status import (
    DOWN_AFTER,
    RECENT,
    STALE_AFTER,
    WorkerState,
    judge,
)
from tests.support import FakeClock

NOW = 1_800_000_000.0


def status(*workers: WorkerState, checked: float = NOW, supervising: bool = True) -> dict:
    return {
        "supervising": supervising,
        "checkedAt": checked,
        "workers": [asdict(w) for w in workers],
    }


def test_every_worker_running_is_ok() -> None:
    verdict = judge(
        status(WorkerState(0, 11, "idle", NOW - 5), WorkerState(1, 12, "busy", NOW)), NOW
    )
    assert verdict.status == "ok"
    assert [w["pid"] for w in verdict.processing["workers"]] == [11, 12]


def test_a_recent_death_or_a_restart_is_degraded_but_serves() -> None:
    restarted = WorkerState(
        0, 13, "idle", NOW, restarts=1, last_exit="killed by SIGKILL", last_exit_at=NOW - 10
    )
    verdict = judge(status(restarted), NOW)
    assert verdict.status == "degraded"
    assert verdict.processing["workers"][0]["lastExit"] == "killed by SIGKILL"
    later = NOW + RECENT + 1
    assert judge(status(restarted, checked=later), later).status == "ok"  # long ago now
    restarting = WorkerState(0, None, "restarting", NOW - 1, restarts=1)
    assert judge(status(restarting, WorkerState(1, 12, "idle", NOW)), NOW).status == "degraded"
    stalled = WorkerState(0, 11, "stalled", NOW)
    assert judge(status(stalled), NOW).status == "degraded"


def test_no_worker_for_long_or_a_silent_supervisor_is_down() -> None:
    looping = WorkerState(
        0,
        None,
        "restarting",
        NOW - DOWN_AFTER - 1,
        restarts=9,
        last_exit="exited with status 1",
        last_exit_at=NOW - DOWN_AFTER - 1,
    )
    verdict = judge(status(looping), NOW)
    assert verdict.status == "down"
    fine = WorkerState(0, 11, "idle", NOW - 100)
    silent = judge(status(fine, checked=NOW - STALE_AFTER - 1), NOW)
    assert silent.status == "down"
    assert silent.processing["reason"] == "the supervisor stopped"


def test_a_stopped_supervisor_and_no_workers_by_choice() -> None:
    assert judge(status(supervising=False), NOW).status == "degraded"
    assert judge(status(), NOW).processing["status"] == "off"  # SOUNDSHELF_WORKERS=0
    assert judge(status(), NOW).status == "ok"


def test_health_answers_the_verdict_of_the_published_status(tmp_path) -> None:
    clock = FakeClock()
    services = build(Settings(data_dir=tmp_path), clock=clock)
    board = services.worker_status
    assert board is not None
    with TestClient(create_app(services)) as client:
        assert "processing" not in client.get("/api/health").json()  # not under `serve`
    board.publish([WorkerState(0, 11, "idle", clock.now())], supervising=True)
    clock.advance(STALE_AFTER + 1)  # ...and then the supervisor went silent
    with TestClient(create_app(services)) as client:
        response = client.get("/api/health")
    assert response.status_code == 200  # the API works: a load balancer keeps sending
    assert response.json()["status"] == "down"
    assert response.json()["processing"]["workers"][0]["pid"] == 11
