from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from soundshelf.bootstrap import Services, build
from soundshelf.config import Settings
from soundshelf.http.app import create_app
from tests import mediagen
from tests.http.helpers import publish
from tests.support import FakeClock, code_from_outbox

PASSWORD = "correct horse battery"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, public_url="http://testserver")


@pytest.fixture
def services(settings: Settings, clock: FakeClock) -> Services:
    return build(settings, clock=clock)


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def sign_up(client: TestClient, settings: Settings) -> Callable[..., dict[str, str]]:
    """Sign a user up through the API, confirm with the mailed code, log in; returns
    the login answer plus ``username`` and ``email``."""

    def sign_up(username: str, password: str = PASSWORD) -> dict[str, str]:
        email = f"{username}@example.com"
        response = client.post(
            "/api/v1/auth/signup",
            json={"username": username, "email": email, "password": password},
        )
        assert response.status_code == 201, response.text
        code = code_from_outbox(settings.data_dir, email)
        assert (
            client.post(
                "/api/v1/auth/confirm", json={"username": username, "code": code}
            ).status_code
            == 204
        )
        login = client.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert login.status_code == 200, login.text
        return {**login.json(), "username": username, "email": email}

    return sign_up


@pytest.fixture
def make_track(client: TestClient, services: Services, tmp_path: Path):
    counter = iter(range(10_000))

    def make(
        tokens: dict[str, str], title: str, visibility: str = "private", fmt: str = "mp3"
    ) -> str:
        n = next(counter)
        song = mediagen.make_audio(
            tmp_path / f"{n}.{fmt}", fmt, 1.0 + n / 100, tags={"title": title, "artist": "Band"}
        )
        mime = f"audio/{'mpeg' if fmt == 'mp3' else fmt}"
        return publish(client, services, tokens, song, mime, visibility)

    return make
