"""Absurd numbers and long lists get a bounded, clear answer, never a server error."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from soundshelf.bootstrap import Services
from soundshelf.subsonic.call import MAX_REPEATED
from soundshelf.subsonic.router import MAX_PARAMETERS
from tests.http.helpers import bearer

HUGE = "9" * 5_000


@pytest.mark.parametrize(
    ("range_header", "status", "body"),
    [
        (f"bytes={HUGE}-", 416, None),  # starts past any object
        (f"bytes=2-{HUGE}", 206, b"23456789"),  # to the end
        (f"bytes=-{HUGE}", 206, b"0123456789"),  # a suffix longer than the object
        (f"bytes={HUGE}-{HUGE}", 416, None),
        (f"bytes=5-{'0' * 30}3", 200, b"0123456789"),  # end before start: ignored
    ],
)
def test_a_range_with_a_huge_number_is_answered(
    client: TestClient, services: Services, range_header: str, status: int, body: bytes | None
) -> None:
    services.blobs.put("tracks/t1/original", b"0123456789", content_type="audio/mpeg")
    url = services.blobs.presign_download("tracks/t1/original", ttl=60)

    response = client.get(url, headers={"Range": range_header})

    assert response.status_code == status
    if body is not None:
        assert response.content == body
    else:
        assert response.headers["content-range"] == "bytes */10"


def test_marking_notifications_read_refuses_empty_ids_and_long_lists(
    client: TestClient, sign_up: Callable
) -> None:
    alice = bearer(sign_up("alice"))
    for ids in ([""] * 200, [""], ["x"] * 201):
        response = client.post("/api/v1/notifications/read", headers=alice, json={"ids": ids})
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
    ok = client.post("/api/v1/notifications/read", headers=alice, json={"ids": ["x"] * 200})
    assert ok.status_code == 200


def _subsonic(client: TestClient, key: str, method: str, params) -> dict:
    response = client.get(f"/rest/{method}", params=[("apiKey", key), ("f", "json"), *params])
    assert response.status_code == 200  # the protocol's errors are HTTP 200
    return response.json()["subsonic-response"]


@pytest.fixture
def subsonic_key(client: TestClient, sign_up: Callable) -> tuple[str, str]:
    alice = sign_up("alice")
    key = client.post("/api/v1/me/api-keys", headers=bearer(alice), json={"name": "k"})
    created = _subsonic(client, key.json()["key"], "createPlaylist", [("name", "Mix")])
    return key.json()["key"], created["playlist"]["id"]


@pytest.mark.parametrize("index", [HUGE, "9" * 25, "-1", "5000", "one"])
def test_subsonic_update_playlist_refuses_an_absurd_index(
    client: TestClient, subsonic_key: tuple[str, str], index: str
) -> None:
    key, playlist = subsonic_key
    body = _subsonic(
        client, key, "updatePlaylist", [("playlistId", playlist), ("songIndexToRemove", index)]
    )
    assert body["status"] == "failed"
    assert body["error"]["code"] == 10
    assert "songIndexToRemove" in body["error"]["message"]


def test_subsonic_bounds_repeated_parameters_and_their_total(
    client: TestClient, subsonic_key: tuple[str, str]
) -> None:
    key, playlist = subsonic_key
    fine = [("playlistId", playlist), *[("songIndexToRemove", "0")] * MAX_REPEATED]
    assert _subsonic(client, key, "updatePlaylist", fine)["status"] == "ok"
    too_many = [("playlistId", playlist), *[("songIndexToRemove", "0")] * (MAX_REPEATED + 1)]
    assert _subsonic(client, key, "updatePlaylist", too_many)["error"]["code"] == 10
    crowded = [("x", "1")] * MAX_PARAMETERS
    assert _subsonic(client, key, "ping", crowded)["error"]["code"] == 10
    # A form POST (no URL length limit) is refused past 1,000 fields by Starlette itself.
    response = client.post(
        "/rest/ping",
        params={"apiKey": key, "f": "json"},
        content="&".join(["x=1"] * 1_001),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400


@pytest.mark.parametrize("count", [HUGE, "9" * 25])
def test_subsonic_numbers_are_bounded_before_they_are_parsed(
    client: TestClient, subsonic_key: tuple[str, str], count: str
) -> None:
    key, _ = subsonic_key
    body = _subsonic(client, key, "getRandomSongs", [("size", count)])
    assert body["status"] == "failed"
    assert body["error"]["code"] == 10
