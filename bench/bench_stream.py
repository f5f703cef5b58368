"""Seeking in a large file: random 256 KiB ``Range`` requests, three servers, one file.

A 1 GiB object is stored with ``FsBlobStore`` in a temporary data dir, then read with
``wrk`` (2 threads, 32 connections, 10 s after a 2 s warm-up, a random 256 KiB range per
request, on loopback) from:

- **embedded**: ``soundshelf serve`` (no processing workers) through a signed download
  URL, as a player gets it from ``GET /tracks/{id}/stream``;
- **nginx**: nginx with one worker process serving the same file from the same folder
  (``sendfile on``): the reference;
- **FileResponse**: a bare Starlette app returning ``FileResponse(path)`` under uvicorn,
  for comparison with the obvious Python alternative.

The file is read once before each server's run, so it is in the page cache: this measures
the servers, not the disk. Goal: the embedded server at ≥ 0.3× nginx.

Needs ``wrk`` and ``nginx`` (``scripts/ensure-bench-tools.sh``); without them, prints a
section saying so.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_http import CONNECTIONS, DURATION, THREADS, WrkResult, missing_section, missing_tools
from bench_http import wrk as run_wrk

from soundshelf.bootstrap import build
from soundshelf.config import Settings
from tests.system.conftest import free_port, start_server, stop_server

TITLE = "Streaming: random 256 KiB ranges of a 1 GiB file (embedded vs nginx)"
SIZE = 1024**3
SPAN = 256 * 1024
KEY = "originals/bench-user/01BENCHSTREAMFILE0000000000"
GOAL = 0.3


class PatternReader:
    """``read(n)`` of ``SIZE`` bytes of a repeated random block (no second copy on disk)."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.block = os.urandom(1024 * 1024)

    def read(self, n: int = -1) -> bytes:
        n = min(self.left, len(self.block) if n < 0 else n)
        self.left -= n
        return (self.block * (n // len(self.block) + 1))[:n]


def store_file(data_dir: Path) -> tuple[Path, str]:
    """The object's path on disk and a signed path+query to download it (1 h)."""
    services = build(Settings(data_dir=data_dir))
    try:
        services.blobs.put(KEY, PatternReader(SIZE), content_type="audio/mpeg")  # type: ignore[arg-type]
        url = services.blobs.presign_download(KEY, ttl=3600, content_type="audio/mpeg")
    finally:
        services.table.close()  # type: ignore[attr-defined]
    signed = url.removeprefix(services.settings.base_url)
    return data_dir / "media" / KEY, signed


def range_script(path: Path, url_path: str) -> Path:
    path.write_text(
        f'local path = "{url_path}"\n'
        f"local size, span = {SIZE}, {SPAN}\n"
        "math.randomseed(os.time())\n"
        "request = function()\n"
        "  local first = math.random(0, size - span)\n"
        '  return wrk.format("GET", path, {["Range"] = "bytes=" .. first .. "-" .. '
        "(first + span - 1)})\n"
        "end\n"
    )
    return path


def check_range(url: str) -> None:
    """One request by hand: a 206 with exactly the bytes asked for."""
    response = httpx.get(url, headers={"Range": f"bytes=1000-{1000 + SPAN - 1}"}, timeout=30)
    if response.status_code != 206 or len(response.content) != SPAN:
        raise RuntimeError(f"{url}: {response.status_code}, {len(response.content)} bytes")


def warm(path: Path) -> None:
    """Read the whole file, so every server finds it in the page cache."""
    with path.open("rb") as file:
        while file.read(8 * 1024 * 1024):
            pass


def measure(name: str, url: str, url_path: str, tmp: Path) -> WrkResult:
    check_range(url + url_path)
    return run_wrk(url + "/", script=range_script(tmp / f"ranges-{name}.lua", url_path))


def nginx_version() -> str:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    done = subprocess.run([binary, "-v"], capture_output=True, text=True, check=False)
    return (done.stderr or done.stdout).strip().rpartition("/")[2] or "?"


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text(errors='replace')}")
        try:
            httpx.get(url + "/", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start:\n{log.read_text(errors='replace')}")


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def nginx(root: Path, tmp: Path) -> tuple[str, subprocess.Popen[bytes], Path]:
    port = free_port()
    prefix = tmp / "nginx"
    (prefix / "logs").mkdir(parents=True)
    conf = prefix / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""  # the temp dir is root's
    conf.write_text(
        f"{user}worker_processes 1;\ndaemon off;\npid {prefix}/nginx.pid;\n"
        f"error_log {prefix}/logs/error.log warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        "  access_log off;\n  sendfile on;\n  tcp_nopush on;\n"
        f"  client_body_temp_path {prefix}/body;\n  proxy_temp_path {prefix}/proxy;\n"
        f"  fastcgi_temp_path {prefix}/fastcgi;\n  uwsgi_temp_path {prefix}/uwsgi;\n"
        f"  scgi_temp_path {prefix}/scgi;\n"
        "  default_type application/octet-stream;\n"
        f"  server {{\n    listen 127.0.0.1:{port};\n    root {root};\n  }}\n"
        "}\n"
    )
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    log = prefix / "logs" / "stderr.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "logs" / "error.log")],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, log)
    except BaseException:
        stop(process, signal.SIGKILL)
        raise
    return url, process, log


def file_response_app(path: Path, tmp: Path) -> tuple[str, subprocess.Popen[bytes], Path]:
    port = free_port()
    app_dir = tmp / "fileapp"
    app_dir.mkdir()
    (app_dir / "fileapp.py").write_text(
        "from starlette.applications import Starlette\n"
        "from starlette.responses import FileResponse\n"
        "from starlette.routing import Route\n\n\n"
        "async def blob(request):\n"
        f"    return FileResponse({str(path)!r}, media_type='audio/mpeg')\n\n\n"
        "app = Starlette(routes=[Route('/file', blob)])\n"
    )
    log = app_dir / "uvicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "fileapp:app",
                "--app-dir",
                str(app_dir),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, log)
    except BaseException:
        stop(process, signal.SIGKILL)
        raise
    return url, process, log


def report(results: dict[str, WrkResult], rows: dict[str, str]) -> None:
    print(f"## {TITLE}\n")
    print(
        f"`wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION}s`, each request a random "
        f"`Range: bytes=a-(a+{SPAN - 1})` of a {SIZE // 1024**3} GiB file read into the page "
        "cache before each run; loopback, load generator and servers on the same cores. "
        "*embedded*: `soundshelf serve` (one HTTP process) through a signed URL (the blob "
        "app behind the request-id and access-log middleware, ahead of FastAPI's own); "
        "*nginx*: 1 worker, `sendfile on`; *FileResponse*: a bare Starlette app under uvicorn. "
        "MB/s counts range bytes only (10^6 bytes). Goal: embedded ≥ 0.3× nginx.\n"
    )
    print("| server | req/s | MB/s | × nginx | p50 (ms) | p99 (ms) |")
    print("|---|---:|---:|---:|---:|---:|")
    reference = results["nginx"].requests_per_second
    for name, result in results.items():
        errors = f" ({result.errors} errors)" if result.errors else ""
        print(
            f"| {rows[name]}{errors} | {result.requests_per_second:,.0f} | "
            f"{result.requests_per_second * SPAN / 1e6:,.0f} | "
            f"{result.requests_per_second / reference:.2f}× | {result.p50_ms:.2f} | "
            f"{result.p99_ms:.2f} |"
        )
    ratio = results["embedded"].requests_per_second / reference
    print(f"\nGoal (≥ {GOAL}× nginx): {'met' if ratio >= GOAL else '**not met**'} ({ratio:.2f}×).")


def main() -> None:
    if missing := missing_tools("wrk", "nginx"):
        print(missing_section(TITLE, missing))
        return
    tmp = Path(tempfile.mkdtemp(prefix="soundshelf-bench-stream-"))
    results: dict[str, WrkResult] = {}
    try:
        data_dir = tmp / "data"
        path, signed = store_file(data_dir)
        warm(path)
        server = start_server(data_dir, workers=0)
        try:
            results["embedded"] = measure("embedded", server.url, signed, tmp)
        finally:
            stop_server(server)
        warm(path)
        url, process, _ = nginx(data_dir / "media", tmp)
        try:
            results["nginx"] = measure("nginx", url, "/" + KEY, tmp)
        finally:
            stop(process, signal.SIGQUIT)  # nginx's graceful stop
        warm(path)
        url, process, _ = file_response_app(path, tmp)
        try:
            results["file_response"] = measure("file_response", url, "/file", tmp)
        finally:
            stop(process, signal.SIGINT)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(
        {k: results[k] for k in ("embedded", "nginx", "file_response")},
        {
            "embedded": "embedded (`soundshelf serve`, signed URL)",
            "nginx": f"nginx {nginx_version()}, 1 worker",
            "file_response": "Starlette `FileResponse` (uvicorn)",
        },
    )


if __name__ == "__main__":
    main()
