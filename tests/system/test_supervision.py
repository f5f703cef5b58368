"""The processing workers of a real ``soundshelf serve``: a worker that dies (kill -9, as
the out-of-memory killer does it) comes back, its job is retried at once, /api/health
says so; a job that stalls every worker ends failed; a file that needs more memory than
a job may use fails with a reason and leaves the worker alive."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from soundshelf.uploads.processing import GAVE_UP, TOO_BIG
from tests import mediagen
from tests.system.conftest import Server, add_user, start_server, stop_server

PASSWORD = "a long enough password"


def sign_in(server: Server) -> dict[str, str]:
    add_user(server.data_dir, "ada", PASSWORD, "artist")
    response = httpx.post(
        f"{server.url}/api/v1/auth/login", json={"username": "ada", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['accessToken']}"}


def upload(server: Server, headers: dict[str, str], path: Path, content_type: str) -> str:
    data = path.read_bytes()
    created = httpx.post(
        f"{server.url}/api/v1/uploads",
        headers=headers,
        json={"filename": path.name, "contentType": content_type, "size": len(data)},
    )
    assert created.status_code in (200, 201), created.text
    target = created.json()["upload"]
    put = httpx.put(target["url"], content=data, headers=target["headers"], timeout=60)
    assert put.status_code in (200, 201), put.text
    return created.json()["uploadId"]


def upload_status(server: Server, headers: dict[str, str], upload_id: str) -> dict[str, Any]:
    return httpx.get(f"{server.url}/api/v1/uploads/{upload_id}", headers=headers).json()


def finished(
    server: Server, headers: dict[str, str], upload_id: str, *, deadline: float = 120
) -> dict[str, Any]:
    """The upload's status once processing has finished with it."""
    return until(
        lambda: (
            (s := upload_status(server, headers, upload_id))["status"] in {"ready", "failed"} and s
        ),
        deadline=deadline,
    )


def until(what: Callable[[], Any], *, deadline: float = 120) -> Any:
    """Poll until ``what()`` is truthy; its value. The deadline only ends a hung test."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if value := what():
            return value
        time.sleep(0.1)
    raise AssertionError(f"still not so after {deadline} s")


def health(server: Server) -> tuple[int, dict[str, Any]]:
    response = httpx.get(f"{server.url}/api/health")
    return response.status_code, response.json()


def the_worker(server: Server) -> dict[str, Any]:
    [worker] = health(server)[1]["processing"]["workers"]
    return worker


def slow_audio(path: Path, seconds: float = 400) -> Path:
    """A long WAV: turning it into AAC keeps a worker busy for seconds."""
    rate = 44_100
    t = np.arange(int(seconds * rate))
    tone = (np.sin(2 * np.pi * 440 * t / rate) * 12_000).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(tone.tobytes())
    return path


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_killed_worker_comes_back_its_job_is_retried_at_once_and_health_says_so(
    tmp_path: Path,
) -> None:
    # What a crash left in the scratch folder before this start is swept.
    leftover = tmp_path / "data" / "tmp" / f"{dead_pid()}-crashed"
    leftover.mkdir(parents=True)
    (leftover / "original").write_bytes(b"a copy of someone's original")
    server = start_server(tmp_path / "data", http_processes=1)
    try:
        assert not leftover.exists()
        status, body = health(server)
        assert (status, body["status"], body["processing"]["status"]) == (200, "ok", "ok")
        first = the_worker(server)
        assert first["restarts"] == 0
        headers = sign_in(server)

        upload_id = upload(server, headers, slow_audio(tmp_path / "long.wav"), "audio/wav")
        busy = until(lambda: (w := the_worker(server)).get("job") and w)
        assert busy["pid"] == first["pid"]
        assert (busy["state"], busy["job"]["kind"], busy["job"]["attempt"]) == (
            "busy",
            "process_upload",
            1,
        )
        # Processing works on its copy of the original in the data dir's scratch folder.
        scratch = tmp_path / "data" / "tmp"
        [copy] = until(lambda: list(scratch.glob(f"{first['pid']}-*/original")))
        os.kill(first["pid"], signal.SIGKILL)

        # Retried at once (its lease would keep it 6 minutes), by a new worker.
        done = finished(server, headers, upload_id)
        assert done["status"] == "ready", done
        assert not copy.parent.exists()  # swept when the worker died
        status, body = health(server)
        assert status == 200
        assert body["status"] == "degraded"  # a worker died in the last five minutes
        [worker] = body["processing"]["workers"]
        assert worker["restarts"] == 1
        assert worker["pid"] != first["pid"]
        assert worker["state"] in {"idle", "busy"}
        assert "SIGKILL" in worker["lastExit"]
        assert "retrying the job of a worker that ended" in server.log()
    finally:
        stop_server(server)


def test_a_job_that_stalls_every_worker_ends_failed_after_its_attempts(
    tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("SOUNDSHELF_WORKER_JOB_TIMEOUT", "1")
    server = start_server(tmp_path / "data", http_processes=1)
    try:
        headers = sign_in(server)
        upload_id = upload(server, headers, slow_audio(tmp_path / "long.wav", 120), "audio/wav")
        done = finished(server, headers, upload_id, deadline=300)
        assert (done["status"], done.get("error")) == ("failed", GAVE_UP)
        worker = until(lambda: (w := the_worker(server))["state"] == "idle" and w)
        assert worker["restarts"] == 5  # one per attempt, then no more
        assert "stalled" in worker["lastExit"]
    finally:
        stop_server(server)


def test_a_file_that_needs_more_memory_than_a_job_may_use_fails_and_the_worker_lives(
    tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("SOUNDSHELF_WORKER_JOB_MEMORY_MIB", "128")
    server = start_server(tmp_path / "data", http_processes=1)
    try:
        headers = sign_in(server)
        before = the_worker(server)
        # 81 megapixels (under the 100 MP limit) in a few KB: decoding needs ~400 MiB.
        bomb = mediagen.make_png_bomb(tmp_path / "huge.png", (9000, 9000))
        upload_id = upload(server, headers, bomb, "image/png")
        done = finished(server, headers, upload_id)
        assert (done["status"], done.get("error")) == ("failed", TOO_BIG)
        small = upload(server, headers, mediagen.make_png(tmp_path / "small.png"), "image/png")
        assert finished(server, headers, small)["status"] == "ready"
        after = the_worker(server)
        assert (after["pid"], after["restarts"]) == (before["pid"], 0)
    finally:
        stop_server(server)
