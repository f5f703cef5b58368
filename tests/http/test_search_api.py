"""GET /search over the items the caller may see, kept current by every write."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from soundshelf.bootstrap import Services
from tests.http.helpers import bearer

SignUp = Callable[..., dict[str, str]]


def search(client: TestClient, q: str, tokens: dict[str, str] | None = None, **params: str):
    headers = bearer(tokens) if tokens else {}
    response = client.get("/api/v1/search", params={"q": q, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def titles(found: dict, kind: str = "tracks") -> list[str]:
    key = "title" if kind in {"tracks", "albums"} else "name"
    return [item[key] for item in found[kind]]


def test_prefix_accents_and_visibility(
    client: TestClient, sign_up: SignUp, services: Services, make_track
) -> None:
    owner, friend, stranger = sign_up("seeker"), sign_up("pal"), sign_up("nosy")
    me = client.get("/api/v1/me", headers=bearer(owner)).json()["userId"]
    pal = client.get("/api/v1/me", headers=bearer(friend)).json()["userId"]
    services.friends.befriend(me, pal)
    make_track(owner, "Beyoncé Beats", "public")
    make_track(owner, "Beatnik Secret")  # private
    make_track(owner, "Beating Hearts", "friends")
    assert titles(search(client, "beyonce")) == ["Beyoncé Beats"]
    assert titles(search(client, "BEYONCÉ", stranger)) == ["Beyoncé Beats"]
    assert sorted(titles(search(client, "beat", owner))) == [
        "Beating Hearts",
        "Beatnik Secret",
        "Beyoncé Beats",
    ]
    assert sorted(titles(search(client, "beat", friend))) == ["Beating Hearts", "Beyoncé Beats"]
    assert titles(search(client, "beat", stranger)) == ["Beyoncé Beats"]
    assert titles(search(client, "beat")) == ["Beyoncé Beats"]


def test_edits_and_deletes_update_the_index(
    client: TestClient, sign_up: SignUp, make_track
) -> None:
    owner = sign_up("editor")
    track_id = make_track(owner, "Night Drive", "public")
    client.patch(
        f"/api/v1/tracks/{track_id}", headers=bearer(owner), json={"title": "Morning Walk"}
    )
    assert titles(search(client, "night")) == []
    assert titles(search(client, "morning walk")) == ["Morning Walk"]
    client.patch(
        f"/api/v1/tracks/{track_id}", headers=bearer(owner), json={"visibility": "private"}
    )
    assert titles(search(client, "morning")) == []
    client.delete(f"/api/v1/tracks/{track_id}", headers=bearer(owner))
    assert titles(search(client, "morning", owner)) == []


def test_albums_artists_and_playlists_are_found(client: TestClient, sign_up: SignUp) -> None:
    nova = sign_up("novella")
    client.put("/api/v1/me/artist", headers=bearer(nova), json={"name": "Nova Lights"})
    client.post(
        "/api/v1/albums",
        headers=bearer(nova),
        json={"title": "Satellite Hearts", "artist": "Nova", "visibility": "public"},
    )
    client.post(
        "/api/v1/playlists",
        headers=bearer(nova),
        json={"name": "Satellite Radio", "visibility": "public"},
    )
    found = search(client, "sat")
    assert titles(found, "albums") == ["Satellite Hearts"]
    assert titles(found, "playlists") == ["Satellite Radio"]
    assert titles(search(client, "nova lig"), "artists") == ["Nova Lights"]
    only_albums = search(client, "sat", types="album")
    assert only_albums["playlists"] == []
    assert client.get("/api/v1/search", params={"q": "x", "types": "nope"}).status_code == 422


def test_garbage_queries_are_harmless(client: TestClient) -> None:
    for q in ["", "'; DROP TABLE items; --", "\x00", "a" * 200, "🎵🎵"]:
        found = search(client, q)
        assert all(found[k] == [] for k in found)
