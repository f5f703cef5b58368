"""The README's phone setup, from another device's point of view: the server is bound to
one address, the client reaches it by another name, and no public URL is configured.

Here the server listens on 127.0.0.1 but believes it was bound to 127.0.0.9 (where
nothing listens), and the client (py-sonic, over real HTTP) knows it as ``localhost``.
Links built on the bind address would send the client to 127.0.0.9 and fail; links built
on the address the client used play."""

from __future__ import annotations

import hashlib
import io
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import libsonic
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from soundshelf.bootstrap import Services
from soundshelf.config import Settings
from tests import mediagen
from tests.http.helpers import publish


@pytest.fixture
def settings(tmp_path: Path, port: int) -> Settings:
    return Settings(data_dir=tmp_path, host="127.0.0.9", port=port)


def test_a_phone_streams_and_shows_covers_through_the_address_it_used(
    live_url: str,
    port: int,
    library: dict[str, Any],
    app_password: Callable,
    services: Services,
    client: TestClient,
    tmp_path: Path,
) -> None:
    phone = libsonic.Connection(
        "http://localhost", "bob", app_password(library["bob"]), port=port, serverPath="/rest"
    )
    assert phone.ping()
    song = f"tr-{library['single']}"
    track = services.tracks.load(library["single"])
    original = services.blobs.read(track["renditions"]["original"]["key"])

    streamed = phone.stream(song)  # 302 to the signed media URL, followed
    assert streamed.geturl().startswith(f"http://localhost:{port}/blobs/")
    assert hashlib.sha256(streamed.read()).digest() == hashlib.sha256(original).digest()

    request = urllib.request.Request(streamed.geturl(), headers={"Range": "bytes=100-199"})
    with urllib.request.urlopen(request, timeout=10) as ranged:  # a player seeking
        assert ranged.status == 206
        assert ranged.read() == original[100:200]

    with_cover = mediagen.make_audio(
        tmp_path / "covered.mp3", "mp3", 1.0, tags={"title": "Covered"}, cover=mediagen.cover_jpeg()
    )
    covered = publish(client, services, library["bob"], with_cover, "audio/mpeg", "public")
    cover = phone.getCoverArt(f"tr-{covered}")
    assert cover.geturl().startswith(f"http://localhost:{port}/")
    Image.open(io.BytesIO(cover.read())).verify()  # an image, not an XML error

    shares = phone.createShare(shids=[f"tr-{covered}"])["shares"]["share"]
    url = (shares[0] if isinstance(shares, list) else shares)["url"]
    assert url.startswith(f"http://localhost:{port}/s/")
