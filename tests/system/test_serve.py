"""`soundshelf serve` as `make run` starts it: API, demo accounts, worker processes."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest

from tests import mediagen
from tests.system.conftest import Server, add_user, start_server, stop_server


def login(server: Server, username: str) -> dict[str, str]:
    response = httpx.post(
        f"{server.url}/api/v1/auth/login",
        json={"username": username, "password": "soundshelf-demo"},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['accessToken']}"}


def test_health_demo_login_and_web_app(demo_server: Server) -> None:
    server = demo_server
    health = httpx.get(f"{server.url}/api/health").json()
    assert health["status"] == "ok"
    assert health["backend"] == "local"
    # The console says where to open the app and how to sign in, then the server's logs.
    console = server.log()
    assert f"Open {server.url} in a web browser." in console
    assert "Demo accounts: listener, admin" in console
    assert "(password: soundshelf-demo)" in console
    assert console.index("Demo accounts") < console.index('"message":"serving"')
    assert console.count("Preparing the demo catalog") == 1
    me = httpx.get(f"{server.url}/api/v1/me", headers=login(server, "admin")).json()
    assert "admin" in me["roles"]
    page = httpx.get(f"{server.url}/")
    assert page.status_code == 200
    assert "Soundshelf" in page.text


def test_demo_catalog(demo_server: Server) -> None:
    tracks = httpx.get(f"{demo_server.url}/api/v1/tracks?limit=200").json()["items"]
    assert len(tracks) == 12  # public, playable
    assert all(t["coverUrl"] for t in tracks)
    page = httpx.get(f"{demo_server.url}/api/v1/artists/nova").json()
    assert page["name"] == "Nova"
    assert len(page["tracks"]) == 3
    assert page["followerCount"] == 1
    ranked = httpx.get(f"{demo_server.url}/api/v1/albums?owner=nova&limit=200").json()["items"]
    assert len(ranked) == 75  # 300 albums over four artists
    assert [a["rank"] for a in ranked] == sorted(a["rank"] for a in ranked)
    first = httpx.get(f"{demo_server.url}/api/v1/albums/{ranked[0]['albumId']}").json()
    assert [t["trackNumber"] for t in first["tracks"]] == [1, 2, 3]
    playlists = httpx.get(f"{demo_server.url}/api/v1/playlists?owner=listener").json()["items"]
    assert [p["name"] for p in playlists] == ["Demo mix"]
    stream = httpx.get(f"{demo_server.url}/api/v1/tracks/{tracks[0]['trackId']}/stream")
    assert stream.status_code == 302
    audio = httpx.get(stream.headers["location"], headers={"Range": "bytes=0-1023"})
    assert audio.status_code == 206


def test_an_upload_is_processed_by_the_worker_process(demo_server: Server, tmp_path: Path) -> None:
    server = demo_server
    headers = login(server, "nova")
    song = mediagen.make_audio(tmp_path / "tune.mp3", "mp3", 2.0, tags={"title": "Tune"})
    data = song.read_bytes()
    created = httpx.post(
        f"{server.url}/api/v1/uploads",
        headers=headers,
        json={"filename": "tune.mp3", "contentType": "audio/mpeg", "size": len(data)},
    ).json()
    put = httpx.put(created["upload"]["url"], content=data, headers=created["upload"]["headers"])
    assert put.status_code in (200, 201)
    url = f"{server.url}/api/v1/uploads/{created['uploadId']}"
    deadline = time.monotonic() + 30
    status = {}
    while time.monotonic() < deadline:
        status = httpx.get(url, headers=headers).json()
        if status["status"] in {"ready", "failed"}:
            break
        time.sleep(0.1)
    assert status["status"] == "ready", status
    assert status["resultType"] == "track"


def children_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line
            )
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.append(int(status.parent.name))
    return found


def test_every_http_process_serves_the_same_sessions(server: Server) -> None:
    add_user(server.data_dir, "ada", "a long enough password")
    response = httpx.post(
        f"{server.url}/api/v1/auth/login",
        json={"username": "ada", "password": "a long enough password"},
    )
    assert response.status_code == 200, response.text
    headers = {"Authorization": f"Bearer {response.json()['accessToken']}"}
    # A new connection each time, so the kernel hands them to either process.
    answers = {httpx.get(f"{server.url}/api/v1/me", headers=headers).status_code for _ in range(20)}
    assert answers == {200}


def test_ctrl_c_stops_server_and_workers(server: Server) -> None:
    workers = children_of(server.process.pid)
    # Two HTTP processes, the processing worker (and multiprocessing's resource tracker).
    assert len(workers) >= 3
    assert stop_server(server) == 0
    assert "Shutting down" in server.log()
    deadline = time.monotonic() + 5
    while (left := [pid for pid in workers if running(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == []


def running(pid: int) -> bool:
    """Alive and not a zombie waiting for init to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.parametrize("http_processes", [1, 2])
def test_sigterm_stops_the_server_and_leaves_no_process_behind(
    tmp_path: Path, http_processes: int
) -> None:
    server = start_server(tmp_path / "data", http_processes=http_processes)
    children = children_of(server.process.pid)
    # The HTTP processes (when more than one), the worker, multiprocessing's tracker.
    assert len(children) >= 2 + (http_processes if http_processes > 1 else 0)
    server.process.send_signal(signal.SIGTERM)  # systemd, docker stop, kill
    assert server.process.wait(timeout=60) == 0
    deadline = time.monotonic() + 20
    while (left := [pid for pid in children if running(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == []


def test_even_a_killed_server_leaves_no_process_behind(server: Server) -> None:
    children = children_of(server.process.pid)
    server.process.kill()  # kill -9: nothing of ours runs in the parent any more
    server.process.wait()
    deadline = time.monotonic() + 20
    while (left := [pid for pid in children if running(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == []


def test_demo_on_a_data_dir_in_use_prepares_nothing_and_says_how_to_sign_in(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    add_user(data_dir, "ada", "a long enough password")
    server = start_server(data_dir, demo=True)
    try:
        console = server.log()
        assert "Preparing the demo catalog" not in console
        assert "Demo accounts" not in console  # there are none here
        assert "soundshelf user add NAME --email ADDRESS" in console
    finally:
        stop_server(server)
