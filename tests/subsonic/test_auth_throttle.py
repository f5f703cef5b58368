"""Subsonic sign-in failures are counted apart from the web sign-in, per username and
source; a revoked app password fails at once and counts toward nothing (issue 19 item 2,
issue 15 item 5)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.http.conftest import PASSWORD
from tests.http.helpers import bearer, from_source
from tests.support import FakeClock


def ping(client: TestClient, password: str) -> dict[str, Any]:
    response = client.get("/rest/ping", params={"u": "alice", "p": password, "f": "json"})
    return response.json()["subsonic-response"]


def web_login(client: TestClient) -> int:
    body = {"username": "alice", "password": PASSWORD}
    return client.post("/api/v1/auth/login", json=body).status_code


def test_ten_bad_app_passwords_leave_the_web_sign_in_open(
    client: TestClient, sign_up: Callable, app_password: Callable, clock: FakeClock
) -> None:
    secret = app_password(sign_up("alice"))
    phone, laptop = from_source(client, "127.0.0.2"), from_source(client, "127.0.0.3")
    answers = [ping(phone, "wrong-app-password") for _ in range(10)]
    assert all(a["status"] == "failed" and a["error"]["code"] == 40 for a in answers)
    assert "Too many" in answers[-1]["error"]["message"]  # the phone is slowed down
    # The web sign-in stays open, from the phone's own address too.
    assert web_login(phone) == 200
    assert web_login(laptop) == 200
    # So does the right app password from elsewhere; on the phone after its delay.
    assert ping(laptop, secret)["status"] == "ok"
    assert ping(phone, secret)["status"] == "failed"
    clock.advance(1)
    assert ping(phone, secret)["status"] == "ok"


def test_a_revoked_app_password_fails_fast_and_counts_for_nothing(
    client: TestClient, sign_up: Callable, app_password: Callable
) -> None:
    alice = sign_up("alice")
    old = app_password(alice)
    listed = client.get("/api/v1/me/app-passwords", headers=bearer(alice)).json()["items"]
    client.delete(f"/api/v1/me/app-passwords/{listed[0]['id']}", headers=bearer(alice))
    phone = from_source(client, "127.0.0.2")
    for _ in range(30):  # an old phone retrying all day
        answer = ping(phone, old)
        assert answer["error"]["code"] == 40
        assert "revoked" in answer["error"]["message"]
    # Nothing was counted: a new app password works at once from the same phone, and
    # the owner signs in on the web.
    assert ping(phone, app_password(alice))["status"] == "ok"
    assert web_login(phone) == 200
    # A wrong password is still counted as one.
    assert "revoked" not in ping(phone, "never-was-one")["error"]["message"]
