"""Links go back to the address the client used (a phone on the home network), the
configured public URL wins, and only trusted proxies choose the origin by header. CORS is
open to every origin on /rest/ and on signed media, closed elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from soundshelf.config import Settings
from soundshelf.http.middleware import TrustedProxies, request_scheme
from soundshelf.http.origin import request_origin as origin_of
from tests.http.helpers import bearer

PHONE_HOST = "192.168.1.20:8000"
SignUp = Callable[..., dict[str, str]]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Bound to every interface and no public URL: what `make run HOST=0.0.0.0` does.
    return Settings(data_dir=tmp_path, host="0.0.0.0", port=8000)  # noqa: S104


def _location(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, response.text
    return response.headers["location"]


def test_media_urls_are_on_the_host_the_client_used(
    client: TestClient, sign_up: SignUp, make_track: Callable[..., str]
) -> None:
    alice = sign_up("alice")
    track = make_track(alice, "Night Drive", "public")
    stream = client.get(
        f"/api/v1/tracks/{track}/stream", headers={"Host": PHONE_HOST}, follow_redirects=False
    )
    location = urlsplit(_location(stream))
    assert (location.scheme, location.netloc) == ("http", PHONE_HOST)
    # The same signed path plays whichever address reaches the server.
    audio = client.get(f"{location.path}?{location.query}", headers={"Range": "bytes=0-99"})
    assert audio.status_code == 206
    assert len(audio.content) == 100

    other = client.get(
        f"/api/v1/tracks/{track}/stream", headers={"Host": "music.local"}, follow_redirects=False
    )
    assert urlsplit(_location(other)).netloc == "music.local"  # no host leaks between clients


def test_subsonic_stream_cover_and_server_url_follow_the_host(
    client: TestClient, sign_up: SignUp, make_track: Callable[..., str]
) -> None:
    alice = sign_up("alice")
    track = make_track(alice, "Night Drive", "public")
    created = client.post(
        "/api/v1/me/app-passwords",
        headers={**bearer(alice), "Host": PHONE_HOST},
        json={"name": "phone"},
    )
    assert created.status_code == 201, created.text
    listed = client.get(
        "/api/v1/me/app-passwords", headers={**bearer(alice), "Host": PHONE_HOST}
    ).json()
    assert listed["serverUrl"] == f"http://{PHONE_HOST}"
    auth = {"u": "alice", "p": created.json()["password"], "c": "test", "v": "1.16.1"}
    stream = client.get(
        "/rest/stream",
        params={**auth, "id": f"tr-{track}"},
        headers={"Host": PHONE_HOST},
        follow_redirects=False,
    )
    assert urlsplit(_location(stream)).netloc == PHONE_HOST


def test_share_links_are_on_the_host_the_client_used(
    client: TestClient, sign_up: SignUp, make_track: Callable[..., str]
) -> None:
    alice = sign_up("alice")
    track = make_track(alice, "Night Drive", "public")
    created = client.post(
        "/api/v1/shares",
        headers={**bearer(alice), "Host": PHONE_HOST},
        json={"targetType": "track", "targetId": track},
    )
    assert created.status_code == 201, created.text
    assert created.json()["url"].startswith(f"http://{PHONE_HOST}/s/")


def test_an_unusable_host_falls_back_to_the_bind_address(
    client: TestClient, sign_up: SignUp, make_track: Callable[..., str]
) -> None:
    alice = sign_up("alice")
    track = make_track(alice, "Night Drive", "public")
    for host in ("evil.example/path", "a b", "x" * 300, "host:port"):
        stream = client.get(
            f"/api/v1/tracks/{track}/stream", headers={"Host": host}, follow_redirects=False
        )
        assert _location(stream).startswith("http://0.0.0.0:8000/blobs/"), host


def test_a_configured_public_url_wins(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, public_url="https://music.example.org")
    scope_origin = request_origin(_scope(b"192.168.1.20:8000"), TrustedProxies())
    assert scope_origin == "http://192.168.1.20:8000"
    from soundshelf import client_origin

    token = client_origin.serving(scope_origin)
    try:
        assert client_origin.base_url(settings) == "https://music.example.org"
    finally:
        client_origin.done(token)


def request_origin(scope: dict, proxies: TrustedProxies) -> str | None:
    headers = dict(scope["headers"])
    return origin_of(scope, headers, request_scheme(scope, headers, proxies), proxies)


def _scope(host: bytes, client: str = "203.0.113.9", **headers: bytes) -> dict:
    pairs = [(b"host", host)] + [(k.replace("_", "-").encode(), v) for k, v in headers.items()]
    return {"type": "http", "scheme": "http", "headers": pairs, "client": (client, 4000)}


def test_forwarded_headers_count_only_from_trusted_proxies() -> None:
    forwarded = {
        "x_forwarded_proto": b"https",
        "x_forwarded_host": b"music.example.org",
        "x_forwarded_prefix": b"/soundshelf/",
    }
    proxies = TrustedProxies(["10.0.0.0/8"])
    assert (
        request_origin(_scope(b"10.0.0.2:8000", client="10.1.2.3", **forwarded), proxies)
        == "https://music.example.org/soundshelf"
    )
    # The same headers from anyone else: the request's own Host and scheme.
    assert (
        request_origin(_scope(b"10.0.0.2:8000", client="203.0.113.9", **forwarded), proxies)
        == "http://10.0.0.2:8000"
    )
    # Even a trusted proxy cannot smuggle a path or another scheme in.
    bad = {"x_forwarded_prefix": b"/a/../../b?x", "x_forwarded_proto": b"javascript"}
    assert request_origin(_scope(b"h:1", client="10.0.0.1", **bad), proxies) is None
    ipv6 = request_origin(_scope(b"[fe80::1]:8000"), proxies)
    assert ipv6 == "http://[fe80::1]:8000"


def test_subsonic_preflight_from_any_origin(client: TestClient) -> None:
    answer = client.options(
        "/rest/getAlbumList2.view",
        headers={
            "Origin": "https://feishin.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, range",
        },
    )
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "POST" in answer.headers["access-control-allow-methods"]
    assert answer.headers["access-control-allow-headers"] == "content-type, range"
    assert "access-control-allow-credentials" not in answer.headers
    ping = client.get("/rest/ping.view", params={"f": "json"}, headers={"Origin": "https://x.y"})
    assert ping.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in ping.headers


def test_signed_media_is_readable_from_any_origin(
    client: TestClient, sign_up: SignUp, make_track: Callable[..., str]
) -> None:
    alice = sign_up("alice")
    track = make_track(alice, "Night Drive", "public")
    location = urlsplit(
        _location(client.get(f"/api/v1/tracks/{track}/stream", follow_redirects=False))
    )
    audio = client.get(
        f"{location.path}?{location.query}",
        headers={"Origin": "https://feishin.example", "Range": "bytes=0-9"},
    )
    assert audio.status_code == 206
    assert audio.headers["access-control-allow-origin"] == "*"
    assert "Content-Range" in audio.headers["access-control-expose-headers"]


def test_the_rest_of_the_api_stays_closed_to_other_origins(client: TestClient) -> None:
    answer = client.options(
        "/api/v1/tracks",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in answer.headers
    listing = client.get("/api/v1/tracks", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in listing.headers
