"""Signed blob URLs skip FastAPI's own layers (``_App.direct``) but keep the middleware
every other response gets: request id, security headers, one access-log line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from soundshelf.bootstrap import Services, build
from soundshelf.config import Settings
from soundshelf.http.app import create_app


def test_a_blob_download_keeps_the_request_id_headers_and_access_log(
    client: TestClient, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    services.blobs.put("tracks/t1/original", b"0123456789", content_type="audio/mpeg")
    url = services.blobs.presign_download("tracks/t1/original", ttl=60)

    with caplog.at_level(logging.INFO, logger="soundshelf.access"):
        response = client.get(url, headers={"Range": "bytes=2-5", "X-Request-Id": "seek-1"})

    assert (response.status_code, response.content) == (206, b"2345")
    assert response.headers["content-range"] == "bytes 2-5/10"
    assert response.headers["x-request-id"] == "seek-1"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "sandbox"  # the blob app's own
    (line,) = [r for r in caplog.records if r.name == "soundshelf.access"]
    assert (line.method, line.path, line.status) == ("GET", "/blobs/tracks/t1/original", 206)  # type: ignore[attr-defined]


def test_blob_errors_and_neighbouring_paths(client: TestClient, services: Services) -> None:
    unsigned = client.get("/blobs/tracks/t1/original")
    assert unsigned.status_code == 403
    assert unsigned.headers["content-type"] == "application/problem+json"
    assert len(unsigned.headers["x-request-id"]) == 26  # a ULID
    # Only paths under the mount take the shortcut (the blob app would say 403).
    assert client.get("/blobsx/tracks/t1/original").status_code != 403
    assert client.get("/api/health").status_code == 200


def test_blob_urls_are_open_to_every_origin_even_when_origins_are_configured(
    tmp_path: Path,
) -> None:
    """A signed URL is its own credential (no cookies): any page may read or PUT it."""
    services = build(
        Settings(
            data_dir=tmp_path, public_url="http://testserver", web_origins=["https://app.example"]
        )
    )
    services.blobs.put("song", b"music", content_type="audio/mpeg")
    url = services.blobs.presign_download("song", ttl=60)

    with TestClient(create_app(services)) as client:
        response = client.get(url, headers={"Origin": "https://app.example"})

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    with TestClient(create_app(services)) as client:
        preflight = client.options(
            url,
            headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "content-type",
            },
        )
    assert preflight.status_code == 204
    assert "PUT" in preflight.headers["access-control-allow-methods"]
