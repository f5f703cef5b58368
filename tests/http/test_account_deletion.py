"""Deleting my own account (issue 18): the password is asked for, every session ends at
once, the existing deletion removes everything, and the last admin cannot leave."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from soundshelf.bootstrap import Services
from tests.http.conftest import PASSWORD
from tests.http.helpers import ADMIN_PASSWORD, an_admin, bearer, get, run_worker


def _delete(client: TestClient, tokens: dict[str, str], password: str):
    return client.post("/api/v1/me/deletion", headers=bearer(tokens), json={"password": password})


def test_deleting_my_account_asks_my_password_then_removes_everything(
    client: TestClient, services: Services, sign_up: Callable, make_track
) -> None:
    me = sign_up("leaving")
    track = make_track(me, "Last song", "public")
    user_id = get(client, "/api/v1/me", me).json()["userId"]

    wrong = _delete(client, me, "not my password")
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "wrong_password"
    assert get(client, "/api/v1/me", me).status_code == 200  # nothing happened

    started = _delete(client, me, PASSWORD)
    assert started.status_code == 202, started.text
    assert started.json() == {"deleting": True}
    assert get(client, "/api/v1/me", me).status_code in (401, 403)  # this session ends at once
    run_worker(services)

    assert services.tracks.load(track) is None
    assert services.table.get(f"USER#{user_id}", "PROFILE") is None
    login = client.post("/api/v1/auth/login", json={"username": "leaving", "password": PASSWORD})
    assert login.status_code == 401


def test_the_last_admin_cannot_delete_their_own_account(
    client: TestClient, services: Services
) -> None:
    an_admin(services)
    tokens = client.post(
        "/api/v1/auth/login", json={"username": "root", "password": ADMIN_PASSWORD}
    ).json()

    refused = _delete(client, tokens, ADMIN_PASSWORD)

    assert refused.status_code == 409
    assert refused.json()["code"] == "last_admin"
    assert get(client, "/api/v1/me", tokens).status_code == 200
