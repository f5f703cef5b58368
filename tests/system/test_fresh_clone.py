"""`make run` as a new user types it: a fresh clone, a fresh data dir, nothing installed.

The clone takes the committed state of this repository (CI runs on a clean clone, so there
it is exactly what was submitted). Make installs uv and the locked dependencies for the
Python running this test, the server prepares the demo catalog, and a demo track must
decode as audio. Stopping `make` with SIGTERM must leave no process of its session behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import httpx
import pytest

from tests.system.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def session_processes(sid: int) -> list[int]:
    """Pids of every live process in session ``sid`` (field 6 of /proc/PID/stat)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return pids


def wait_for(condition, timeout: float, what: str, log: Path) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    pytest.fail(f"{what} did not happen in {timeout:.0f} s; output:\n{log.read_text()[-4000:]}")


def healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout"
)
def test_make_run_from_a_fresh_clone_serves_a_playable_track(tmp_path: Path) -> None:
    clone = tmp_path / "soundshelf"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "make-run.log"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT))
    )
    command = ["make", "run", f"PORT={port}", f"DATA={tmp_path / 'data'}"]
    command.append(f"PYTHON={sys.executable}")  # this suite's Python: each one is tried
    with log.open("wb") as out:
        make = subprocess.Popen(  # a session of its own, as a terminal would give it
            command, cwd=clone, stdout=out, stderr=out, env=env, start_new_session=True
        )
    try:
        wait_for(lambda: healthy(url) or make.poll() is not None, 300, "start", log)
        assert make.poll() is None, log.read_text()
        output = log.read_text()
        assert url in output  # where to open the app, in the words on screen
        assert "listener" in output
        assert "soundshelf-demo" in output  # and how to sign in

        tracks = httpx.get(f"{url}/api/v1/tracks?limit=5").json()["items"]
        assert tracks
        stream = httpx.get(f"{url}/api/v1/tracks/{tracks[0]['trackId']}/stream")
        assert stream.status_code == 302
        audio = httpx.get(stream.headers["location"], timeout=30)
        assert audio.status_code == 200
        song = tmp_path / "song"
        song.write_bytes(audio.content)
        with av.open(str(song)) as container:
            rate = container.streams.audio[0].sample_rate
            decoded = sum(frame.samples for frame in container.decode(audio=0))
        assert decoded / rate > 10  # seconds of real audio, not an error page

        make.send_signal(signal.SIGTERM)  # make passes it on to `soundshelf serve`
        wait_for(lambda: not session_processes(make.pid), 60, "a clean stop", log)
        assert make.wait(timeout=5) != 0  # stopped by the signal, not by itself
    finally:
        for pid in session_processes(make.pid):
            os.kill(pid, signal.SIGKILL)
