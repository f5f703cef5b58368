"""Security headers on every answer; HSTS only where the client really used TLS."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from soundshelf.bootstrap import build
from soundshelf.config import Settings
from soundshelf.http.app import create_app

PROXY = ("10.1.2.3", 40000)
STRANGER = ("203.0.113.9", 40000)


def _client(tmp_path: Path, *, base_url: str, peer: tuple[str, int], **settings) -> TestClient:
    services = build(Settings(data_dir=tmp_path, public_url="http://testserver", **settings))
    return TestClient(create_app(services), base_url=base_url, client=peer)


def test_permissions_and_opener_policies_are_on_every_answer(client: TestClient) -> None:
    for response in (
        client.get("/api/health"),
        client.get("/api/v1/nothing-here"),
        client.get("/"),
        client.get("/blobs/nothing"),
    ):
        assert response.headers["cross-origin-opener-policy"] == "same-origin"
        policy = response.headers["permissions-policy"]
        assert "camera=()" in policy
        assert "microphone=()" in policy
        assert "geolocation=()" in policy


def test_no_hsts_over_plain_http(client: TestClient) -> None:
    assert "strict-transport-security" not in client.get("/api/health").headers


def test_hsts_when_served_over_tls_directly(tmp_path: Path) -> None:
    with _client(tmp_path, base_url="https://testserver", peer=STRANGER) as client:
        for path in ("/api/health", "/", "/blobs/nothing"):
            hsts = client.get(path).headers["strict-transport-security"]
            assert hsts.startswith("max-age=63072000")


@pytest.mark.parametrize(
    ("trusted", "peer", "proto", "expected"),
    [
        (["10.0.0.0/8"], PROXY, "https", True),
        (["10.1.2.3"], PROXY, "https, http", True),
        (["10.0.0.0/8"], PROXY, "http", False),
        (["10.0.0.0/8"], STRANGER, "https", False),  # anyone can send the header
        ([], PROXY, "https", False),  # no proxy is trusted unless configured
    ],
)
def test_hsts_behind_a_proxy_only_when_a_trusted_one_says_https(
    tmp_path: Path, trusted: list[str], peer: tuple[str, int], proto: str, expected: bool
) -> None:
    with _client(
        tmp_path, base_url="http://testserver", peer=peer, trusted_proxies=trusted
    ) as client:
        response = client.get("/api/health", headers={"X-Forwarded-Proto": proto})
    assert ("strict-transport-security" in response.headers) is expected
