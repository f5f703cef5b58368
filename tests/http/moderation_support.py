"""Helpers for the moderation and administration suites."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from soundshelf.bootstrap import Services
from tests import mediagen
from tests.http.helpers import bearer, run_worker, status, upload

Tokens = dict[str, str]


def user_id(client: TestClient, tokens: Tokens) -> str:
    return client.get("/api/v1/me", headers=bearer(tokens)).json()["userId"]


def make_admin(client: TestClient, services: Services, tokens: Tokens) -> Tokens:
    """Grant ``admin`` directly (as the CLI does); the next request sees it."""
    services.accounts.set_roles(user_id(client, tokens), ["admin"])
    return tokens


def report(
    client: TestClient,
    tokens: Tokens,
    target_type: str,
    target_id: str,
    reason: str = "spam",
    **extra: Any,
) -> httpx.Response:
    return client.post(
        "/api/v1/reports",
        headers=bearer(tokens),
        json={"targetType": target_type, "targetId": target_id, "reason": reason, **extra},
    )


def resolve(
    client: TestClient, admin: Tokens, report_id: str, action: str, **extra: Any
) -> httpx.Response:
    return client.post(
        f"/api/v1/admin/reports/{report_id}/resolve",
        headers=bearer(admin),
        json={"action": action, **extra},
    )


def make_photo(
    client: TestClient, services: Services, tokens: Tokens, path: Path, visibility: str
) -> str:
    answer = upload(client, tokens, mediagen.make_jpeg(path, (320, 200)), "image/jpeg")
    run_worker(services)
    photo_id = status(client, tokens, answer["uploadId"])["resultId"]
    changed = client.patch(
        f"/api/v1/photos/{photo_id}",
        headers=bearer(tokens),
        json={"visibility": visibility, "tags": ["holiday"]},
    )
    assert changed.status_code == 200, changed.text
    return photo_id


def table_items(data_dir: Path) -> list[dict[str, Any]]:
    """Every item of the embedded table, read straight from its SQLite file (tests only:
    product code never scans)."""
    with sqlite3.connect(data_dir / "soundshelf.db") as db:
        return [json.loads(data) for (data,) in db.execute("SELECT data FROM items")]
