# ruff: noqa: F811  (fixtures imported from the HTTP suite are taken as arguments)
"""A live server for the Subsonic client libraries (they speak real HTTP), on the same
services the in-process ``client`` uses to set the scene up."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from soundshelf.bootstrap import Services
from soundshelf.config import Settings
from soundshelf.http.app import create_app
from tests import mediagen

# The in-process fixtures of the HTTP suite; ``settings`` below points them at the live port.
from tests.http.conftest import (  # noqa: F401
    client,
    clock,
    make_track,
    services,
    sign_up,
)
from tests.http.helpers import bearer, publish

VERSE = "Morning light\n\nover the hill"
CUES = [("Morning light", 500), ("over the hill", 1500)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def port() -> int:
    return _free_port()


@pytest.fixture
def settings(tmp_path: Path, port: int) -> Settings:
    # Signed media URLs must point at the live server: clients follow the redirects.
    return Settings(data_dir=tmp_path, public_url=f"http://127.0.0.1:{port}")


@pytest.fixture
def live_url(services: Services, port: int) -> Iterator[str]:
    config = uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def app_password(client: TestClient) -> Callable[[dict[str, str]], str]:
    """Create an app password for a signed-up user through the API; returns it."""

    def create(tokens: dict[str, str]) -> str:
        response = client.post(
            "/api/v1/me/app-passwords", headers=bearer(tokens), json={"name": "phone"}
        )
        assert response.status_code == 201, response.text
        return response.json()["password"]

    return create


@pytest.fixture
def sung_track(client: TestClient, services: Services, tmp_path: Path) -> Callable[..., str]:
    """Upload a song whose file embeds lyrics (unsynced ``VERSE``, synced ``CUES`` in
    ID3; ``fmt`` other than mp3 carries ``VERSE`` only); returns its track id."""
    made = iter(range(1_000))

    def make(tokens: dict[str, str], title: str, visibility: str = "private", fmt: str = "mp3"):
        path = mediagen.make_audio(
            tmp_path / f"sung-{next(made)}.{fmt}", fmt, 1.0, tags={"title": title}
        )
        cues = CUES if fmt == "mp3" else None
        mediagen.write_lyrics(path, fmt, text=VERSE, cues=cues)
        mime = {"mp3": "audio/mpeg", "flac": "audio/flac", "m4a": "audio/mp4"}[fmt]
        return publish(client, services, tokens, path, mime, visibility)

    return make


@pytest.fixture
def library(
    client: TestClient,
    sign_up: Callable[..., dict[str, str]],
    make_track: Callable[..., str],
) -> dict[str, Any]:
    """Alice (an artist with a public album, a public single and a private track) and
    Bob (a private track of his own)."""
    alice, bob = sign_up("alice"), sign_up("bob")
    public = make_track(alice, "Sunrise", "public")
    single = make_track(alice, "Lonely Single", "public")
    private = make_track(alice, "Secret Demo")
    bobs = make_track(bob, "Bob Private")
    album = client.post(
        "/api/v1/albums",
        headers=bearer(alice),
        json={"title": "Dawn", "artist": "Alice Band", "genre": "Ambient", "year": 2024},
    )
    assert album.status_code == 201, album.text
    album_id = album.json()["albumId"]
    for track_id in (public,):
        moved = client.patch(
            f"/api/v1/tracks/{track_id}",
            headers=bearer(alice),
            json={"albumId": album_id, "trackNumber": 1, "genre": "Ambient"},
        )
        assert moved.status_code == 200, moved.text
    published = client.patch(
        f"/api/v1/albums/{album_id}", headers=bearer(alice), json={"visibility": "public"}
    )
    assert published.status_code == 200, published.text
    return {
        "alice": alice,
        "bob": bob,
        "public": public,
        "single": single,
        "private": private,
        "bobs": bobs,
        "album": album_id,
    }
