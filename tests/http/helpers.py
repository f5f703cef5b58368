"""Helpers for the HTTP suites: upload a file through the API, run the worker, make an
administrator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from soundshelf.bootstrap import Services
from soundshelf.core.users import Principal, principal_of
from soundshelf.worker import Worker

ADMIN_PASSWORD = "an administrator's passphrase"


def bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


def get(client: TestClient, path: str, tokens: dict[str, str] | None = None) -> httpx.Response:
    return client.get(path, headers=bearer(tokens) if tokens else {})


def start(client: TestClient, tokens: dict[str, str], name: str, ctype: str, size: int):
    return client.post(
        "/api/v1/uploads",
        headers=bearer(tokens),
        json={"filename": name, "contentType": ctype, "size": size},
    )


def upload(
    client: TestClient, tokens: dict[str, str], path: Path, ctype: str, name: str | None = None
) -> dict[str, Any]:
    """Create the upload, PUT the bytes to the signed URL, complete it; returns status."""
    data = path.read_bytes()
    created = start(client, tokens, name or path.name, ctype, len(data))
    assert created.status_code == 201, created.text
    body = created.json()
    direct = body["upload"]
    assert direct["method"] == "PUT"
    put = client.put(direct["url"], content=data, headers=direct.get("headers", {}))
    assert put.status_code in (200, 201), put.text
    done = client.post(f"/api/v1/uploads/{body['uploadId']}/complete", headers=bearer(tokens))
    assert done.status_code == 202
    return done.json()


def run_worker(services: Services) -> int:
    worker = Worker(services, services.job_handlers)
    total = 0
    while n := worker.run_once():
        total += n
    return total


def status(client: TestClient, tokens: dict[str, str], upload_id: str) -> dict[str, Any]:
    return client.get(f"/api/v1/uploads/{upload_id}", headers=bearer(tokens)).json()


def publish(
    client: TestClient,
    services: Services,
    tokens: dict[str, str],
    path: Path,
    mime: str,
    visibility: str = "private",
) -> str:
    """Upload ``path``, process it, set its visibility; the new track's id."""
    answer = upload(client, tokens, path, mime)
    run_worker(services)
    track_id = status(client, tokens, answer["uploadId"])["resultId"]
    if visibility != "private":
        changed = client.patch(
            f"/api/v1/tracks/{track_id}", headers=bearer(tokens), json={"visibility": visibility}
        )
        assert changed.status_code == 200, changed.text
    return track_id


def an_admin(services: Services) -> Principal:
    """An administrator, made directly through the accounts service."""
    profile = services.accounts.create_user(
        username="root", email="root@example.com", password=ADMIN_PASSWORD, roles=["admin"]
    )
    return principal_of(profile)


def from_source(client: TestClient, address: str) -> TestClient:
    """Another client of the same app, calling from ``address`` (a distinct source for
    the throttles, which key on the client address)."""
    return TestClient(client.app, client=(address, 50000), raise_server_exceptions=False)
