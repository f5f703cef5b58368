"""A real ``soundshelf serve`` on a free loopback port, stopped when the test ends."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def add_user(data_dir: Path, username: str, password: str, *roles: str) -> None:
    """Create a confirmed user with the CLI, as an operator would."""
    args = [
        sys.executable,
        "-m",
        "soundshelf.cli",
        "user",
        "add",
        username,
        "--email",
        f"{username}@example.com",
        "--password",
        password,
        "--confirmed",
        "--data-dir",
        str(data_dir),
    ]
    for role in roles:
        args += ["--role", role]
    subprocess.run(args, check=True, capture_output=True)


def start_server(
    data_dir: Path, *, demo: bool = False, workers: int = 1, http_processes: int = 1
) -> Server:
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"serve-{port}.log"
    env = {
        **os.environ,
        "SOUNDSHELF_WORKERS": str(workers),
        "SOUNDSHELF_HTTP_PROCESSES": str(http_processes),
    }
    args = [
        sys.executable,
        "-m",
        "soundshelf.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
    ]
    if demo:
        args.append("--demo")
    with log_path.open("wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
    server = Server(f"http://127.0.0.1:{port}", data_dir, process, log_path)
    # Generous: the demo catalog is made first (12 tracks), and a busy CI machine starts
    # slowly.
    deadline = time.monotonic() + (120 if demo else 60)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/api/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server did not start:\n{server.log()}")


def stop_server(server: Server) -> int:
    server.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
    try:
        return server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        raise


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server with the demo catalog for a whole test module (loading it takes a while)."""
    running = start_server(tmp_path_factory.mktemp("demo") / "data", demo=True)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            stop_server(running)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A server of its own (no demo data, two HTTP processes), for tests that stop it."""
    running = start_server(tmp_path / "data", http_processes=2)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            stop_server(running)
