"""stream's ``format``/``maxBitRate`` mapped to our renditions, ``timeOffset`` ignored, and
getAvatar (profiles have no pictures)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from fastapi.testclient import TestClient

from soundshelf.bootstrap import Services


@pytest.fixture
def rest(client: TestClient, sign_up: Callable, app_password: Callable) -> dict[str, Any]:
    alice = sign_up("alice")
    return {"tokens": alice, "auth": {"u": "alice", "p": app_password(alice), "f": "json"}}


def served(client: TestClient, auth: dict[str, str], track_id: str, **params: Any) -> str:
    """Which stored file a stream request is sent to."""
    response = client.get(
        "/rest/stream", params={**auth, "id": f"tr-{track_id}", **params}, follow_redirects=False
    )
    assert response.status_code == 302, response.text
    path = unquote(urlsplit(response.headers["location"]).path)
    return "high" if path.endswith("/high.m4a") else "original" if "/originals/" in path else path


def test_flac_streams_the_original_or_the_aac_rendition(
    client: TestClient, rest: dict[str, Any], make_track: Callable, services: Services
) -> None:
    flac = make_track(rest["tokens"], "Lossless", fmt="flac")
    track = services.tracks.load(flac)
    assert track is not None
    assert set(track["renditions"]) == {"original", "high"}  # high: AAC at 128 kbit/s
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "original"),  # no limit: as uploaded
        ({"maxBitRate": 0}, "original"),
        ({"format": "raw"}, "original"),
        ({"format": "raw", "maxBitRate": 128}, "original"),  # raw: never transcoded
        ({"maxBitRate": 320}, "original"),  # this FLAC (a synthetic tune) is ~210 kbit/s
        ({"maxBitRate": 192}, "high"),
        ({"maxBitRate": 96}, "high"),  # no lower rendition: the lowest there is
        ({"format": "mp3"}, "high"),  # any transcoding format: the browser rendition
        ({"format": "opus", "maxBitRate": 0}, "high"),
    ]
    for params, expected in cases:
        assert served(client, rest["auth"], flac, **params) == expected, params


def test_an_mp3_within_the_limit_is_streamed_as_is(
    client: TestClient, rest: dict[str, Any], make_track: Callable, services: Services
) -> None:
    mp3 = make_track(rest["tokens"], "Compressed")  # 128 kbit/s: browsers play it
    track = services.tracks.load(mp3)
    assert track is not None
    assert set(track["renditions"]) == {"original"}
    for params in ({"maxBitRate": 192}, {"maxBitRate": 64}, {"format": "mp3"}):
        assert served(client, rest["auth"], mp3, **params) == "original", params


def test_time_offset_is_ignored_and_not_advertised(
    client: TestClient, rest: dict[str, Any], make_track: Callable
) -> None:
    flac = make_track(rest["tokens"], "Long one", fmt="flac")
    for params in ({"maxBitRate": 128}, {}):
        assert served(client, rest["auth"], flac, timeOffset=30, **params) == served(
            client, rest["auth"], flac, **params
        )
    extensions = client.get("/rest/getOpenSubsonicExtensions", params={"f": "json"}).json()
    names = {e["name"] for e in extensions["subsonic-response"]["openSubsonicExtensions"]}
    assert "songLyrics" in names
    assert "transcodeOffset" not in names  # clients seek with Range on the redirect


def test_there_is_never_an_avatar(client: TestClient, rest: dict[str, Any]) -> None:
    def code(**params: str) -> int:
        body = client.get("/rest/getAvatar", params={**rest["auth"], **params}).json()
        return body["subsonic-response"]["error"]["code"]

    assert code(username="alice") == 70  # an existing user: no picture all the same
    assert code(username="nobody") == 70
    assert code() == 10
