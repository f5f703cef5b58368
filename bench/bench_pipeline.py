"""The embedded pipeline end to end, on a real ``soundshelf serve`` with one worker:

- time from the upload's arrival (the PUT completes) to ``ready`` for a 4-minute MP3;
- the server's resident memory while it receives a 2 GB upload in one PUT.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests import mediagen
from tests.system.conftest import Server, add_user, start_server, stop_server

TRACK_SECONDS = 240
BIG = 2 * 1000**3
PASSWORD = "correct horse battery"


def fresh_server(data_dir: Path, workers: int = 1) -> Server:
    add_user(data_dir, "bench", PASSWORD)
    return start_server(data_dir, workers=workers)


def login(server: Server) -> dict[str, str]:
    tokens = httpx.post(
        f"{server.url}/api/v1/auth/login", json={"username": "bench", "password": PASSWORD}
    ).json()
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


def create(server: Server, headers: dict[str, str], name: str, ctype: str, size: int) -> dict:
    response = httpx.post(
        f"{server.url}/api/v1/uploads",
        headers=headers,
        json={"filename": name, "contentType": ctype, "size": size},
    )
    response.raise_for_status()
    return response.json()


def time_to_ready(server: Server, headers: dict[str, str], song: Path) -> float:
    data = song.read_bytes()
    created = create(server, headers, song.name, "audio/mpeg", len(data))
    httpx.put(
        created["upload"]["url"], content=data, headers=created["upload"]["headers"], timeout=60
    ).raise_for_status()
    arrived = time.perf_counter()
    url = f"{server.url}/api/v1/uploads/{created['uploadId']}"
    with httpx.Client(headers=headers) as client:
        while (status := client.get(url).json()["status"]) not in {"ready", "failed"}:
            time.sleep(0.01)
    assert status == "ready", status
    return time.perf_counter() - arrived


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def upload_rss(server: Server, headers: dict[str, str]) -> tuple[int, int, float]:
    created = create(server, headers, "big.bin", "application/octet-stream", BIG)
    baseline = rss_kb(server.process.pid)
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_kb(server.process.pid))
            time.sleep(0.05)

    def body():
        chunk = b"\0" * (1024 * 1024)
        sent = 0
        while sent < BIG:
            piece = chunk[: min(len(chunk), BIG - sent)]
            sent += len(piece)
            yield piece

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    headers_put = {**created["upload"]["headers"], "Content-Length": str(BIG)}
    httpx.put(
        created["upload"]["url"], content=body(), headers=headers_put, timeout=600
    ).raise_for_status()
    took = time.perf_counter() - started
    done.set()
    sampler.join()
    return baseline, peak, took


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        song = mediagen.make_audio(Path(tmp) / "four-minutes.mp3", "mp3", TRACK_SECONDS)
        runs = []
        for n in range(3):
            # A fresh data dir each time, so the duplicate check never short-cuts it.
            server = fresh_server(Path(tmp) / f"data{n}")
            try:
                runs.append(time_to_ready(server, login(server), song))
            finally:
                stop_server(server)
        os.environ["SOUNDSHELF_MULTIPART_THRESHOLD_BYTES"] = str(BIG + 1)  # one PUT
        os.environ["SOUNDSHELF_WORKERS"] = "0"  # measure receiving only
        server = fresh_server(Path(tmp) / "big", workers=0)
        try:
            baseline, peak, took = upload_rss(server, login(server))
        finally:
            stop_server(server)
    runs.sort()
    print("## Upload pipeline (embedded, real server, one worker process)\n")
    print("| measurement | result | target |")
    print("|---|---|---|")
    print(
        f"| upload arrived → `ready`, {TRACK_SECONDS // 60}-min MP3 (min / median / max "
        f"of 3) | {runs[0]:.2f} / {runs[1]:.2f} / {runs[2]:.2f} s | ≤ 2 s |"
    )
    print(
        f"| server RSS receiving a 2 GB upload in one PUT | {baseline / 1024:.0f} MB → "
        f"{peak / 1024:.0f} MB (growth {(peak - baseline) / 1024:.1f} MB), "
        f"{BIG / took / 1e6:.0f} MB/s | growth ≤ 50 MB |"
    )


if __name__ == "__main__":
    main()
