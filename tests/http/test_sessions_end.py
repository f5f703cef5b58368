"""Ending sessions: a password reset, a logout, a disable and a replayed refresh token end
every session, to the sub-second (issue 15 items 4, 7 and 8)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from soundshelf.bootstrap import Services, build
from soundshelf.config import Settings
from soundshelf.http.app import create_app
from soundshelf.ports.clock import SystemClock
from tests.http.conftest import PASSWORD
from tests.http.helpers import an_admin, bearer
from tests.support import FakeClock, code_from_outbox

SignUp = Callable[..., dict[str, str]]


def me_status(client: TestClient, tokens: dict[str, str]) -> int:
    return client.get("/api/v1/me", headers=bearer(tokens)).status_code


def refresh_status(client: TestClient, tokens: dict[str, str]) -> int:
    return client.post(
        "/api/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]}
    ).status_code


def test_a_password_reset_ends_every_access_and_refresh_token(
    client: TestClient, sign_up: SignUp, settings: Settings, clock: FakeClock
) -> None:
    tokens = sign_up("vera")
    other_device = client.post(
        "/api/v1/auth/login", json={"username": "vera", "password": PASSWORD}
    ).json()
    client.post("/api/v1/auth/forgot-password", json={"username": "vera"})
    code = code_from_outbox(settings.data_dir, "vera@example.com")
    clock.advance(0.1)  # the test clock stands still; a real one never gives the same time
    reset = client.post(
        "/api/v1/auth/reset-password",
        json={"username": "vera", "code": code, "newPassword": "a brand new secret"},
    )
    assert reset.status_code == 204
    for session in (tokens, other_device):
        assert me_status(client, session) == 401
        assert refresh_status(client, session) == 401
    clock.advance(0.1)
    fresh = client.post(
        "/api/v1/auth/login", json={"username": "vera", "password": "a brand new secret"}
    ).json()
    assert me_status(client, fresh) == 200


def test_replaying_a_used_refresh_token_ends_the_other_sessions(
    client: TestClient, sign_up: SignUp, clock: FakeClock
) -> None:
    stolen = sign_up("walt")
    # The owner's app refreshes first: new access and refresh tokens.
    owner = client.post("/api/v1/auth/refresh", json={"refreshToken": stolen["refreshToken"]})
    assert owner.status_code == 200
    assert me_status(client, owner.json()) == 200
    clock.advance(0.1)
    # The thief replays the copied (used) refresh token: refused, and the family ends.
    replay = client.post("/api/v1/auth/refresh", json={"refreshToken": stolen["refreshToken"]})
    assert replay.status_code == 401
    assert me_status(client, owner.json()) == 401
    assert refresh_status(client, owner.json()) == 401
    clock.advance(0.1)
    # Signing in again works.
    again = client.post("/api/v1/auth/login", json={"username": "walt", "password": PASSWORD})
    assert me_status(client, again.json()) == 200


# --- the same second, on the real clock --------------------------------------------------


@pytest.fixture
def real_clock_client(tmp_path: Path) -> Iterator[tuple[TestClient, Services]]:
    services = build(
        Settings(data_dir=tmp_path, public_url="http://testserver"), clock=SystemClock()
    )
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        yield client, services


def _start_of_a_second() -> None:
    """Wait until a new second has just begun, so the next few calls share it."""
    while time.time() % 1 > 0.05:
        time.sleep(0.01)


def _login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()


def test_logout_ends_tokens_issued_earlier_in_the_same_second(
    real_clock_client: tuple[TestClient, Services],
) -> None:
    client, services = real_clock_client
    services.accounts.create_user(username="xena", email="xena@example.com", password=PASSWORD)
    for _ in range(5):  # a slow machine may straddle a second: try again
        _start_of_a_second()
        second = int(time.time())
        before, device = _login(client, "xena"), _login(client, "xena")
        assert client.post("/api/v1/auth/logout", headers=bearer(device)).status_code == 204
        after = _login(client, "xena")
        if int(time.time()) == second:
            break
    else:
        pytest.skip("could not fit the calls into one second")
    assert me_status(client, before) == 401
    assert me_status(client, device) == 401
    assert me_status(client, after) == 200


def test_disable_ends_tokens_issued_earlier_in_the_same_second(
    real_clock_client: tuple[TestClient, Services],
) -> None:
    client, services = real_clock_client
    admin = an_admin(services)
    user_id = services.accounts.create_user(
        username="yuri", email="yuri@example.com", password=PASSWORD
    )["userId"]
    for _ in range(5):
        _start_of_a_second()
        second = int(time.time())
        before = _login(client, "yuri")
        services.user_admin.update(admin, user_id, roles=None, disabled=True)
        services.user_admin.update(admin, user_id, roles=None, disabled=False)
        after = _login(client, "yuri")
        if int(time.time()) == second:
            break
    else:
        pytest.skip("could not fit the calls into one second")
    assert me_status(client, before) == 401
    assert me_status(client, after) == 200


def test_a_password_change_ends_every_other_session_and_wrong_ones_are_throttled(
    client: TestClient, sign_up: SignUp, clock: FakeClock
) -> None:
    tokens = sign_up("zoe")
    other_device = client.post(
        "/api/v1/auth/login", json={"username": "zoe", "password": PASSWORD}
    ).json()
    clock.advance(0.1)
    change = {"currentPassword": "not my password", "newPassword": "a brand new secret"}
    for _ in range(5):
        wrong = client.post("/api/v1/me/password", headers=bearer(tokens), json=change)
        assert wrong.status_code == 403
        assert wrong.json()["code"] == "wrong_password"
    # A stolen access token is no way to guess the password: it counts as sign-ins.
    throttled = client.post("/api/v1/me/password", headers=bearer(tokens), json=change)
    assert throttled.status_code == 429
    clock.advance(1)
    change["currentPassword"] = PASSWORD
    changed = client.post("/api/v1/me/password", headers=bearer(tokens), json=change)
    assert changed.status_code == 200, changed.text
    for session in (tokens, other_device):
        assert me_status(client, session) == 401
        assert refresh_status(client, session) == 401
    # This session goes on with the tokens the change answered; the others are over.
    assert me_status(client, changed.json()) == 200
    assert refresh_status(client, changed.json()) == 200
    clock.advance(0.1)
    old = client.post("/api/v1/auth/login", json={"username": "zoe", "password": PASSWORD})
    assert old.status_code == 401
    new = client.post(
        "/api/v1/auth/login", json={"username": "zoe", "password": "a brand new secret"}
    )
    assert me_status(client, new.json()) == 200
