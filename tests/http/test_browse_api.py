"""The browse routes: public albums in pages with a cursor, genres, artists, bad input."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.http.helpers import bearer, get

SignUp = Callable[..., dict[str, str]]


def test_browse_routes(client: TestClient, sign_up: SignUp, make_track) -> None:
    ann = sign_up("ann")
    for title, visibility in (("Beta", "public"), ("Alpha", "public"), ("Secret", "private")):
        created = client.post(
            "/api/v1/albums",
            headers=bearer(ann),
            json={"title": title, "artist": "Ann", "genre": "Dream Pop", "visibility": visibility},
        )
        assert created.status_code == 201
    first = get(client, "/api/v1/browse/albums?sort=alpha&limit=1")
    assert first.status_code == 200
    assert [a["title"] for a in first.json()["items"]] == ["Alpha"]
    cursor = first.json()["nextCursor"]
    second = get(client, f"/api/v1/browse/albums?sort=alpha&limit=1&cursor={cursor}").json()
    assert [a["title"] for a in second["items"]] == ["Beta"]
    by_genre = get(client, "/api/v1/browse/albums?genre=dream%20pop").json()["items"]
    assert [a["title"] for a in by_genre] == ["Alpha", "Beta"]
    genres = get(client, "/api/v1/browse/genres").json()["items"]
    assert genres == [{"genre": "dream pop", "name": "Dream Pop", "albumCount": 2, "trackCount": 0}]
    assert get(client, "/api/v1/browse/genres/Dream%20Pop").json()["albumCount"] == 2
    assert get(client, "/api/v1/browse/genres/polka").status_code == 404
    assert get(client, "/api/v1/browse/genres/dream%20pop/tracks").json()["items"] == []
    client.put("/api/v1/me/artist", headers=bearer(ann), json={"name": "Ann A"})
    artists = get(client, "/api/v1/browse/artists").json()["items"]
    assert [(a["username"], a["name"]) for a in artists] == [("ann", "Ann A")]
    for bad in ("sort=loudest", "limit=0", "limit=201", "year=-1", "cursor=%21%21"):
        answer = get(client, f"/api/v1/browse/albums?{bad}")
        assert answer.status_code in (400, 422), bad
        assert answer.headers["content-type"].startswith("application/problem+json")
