"""The album tracklist routes: the owner adds, reorders (If-Match) and removes tracks and
sets the cover; others cannot; the album shows the viewer's count and duration."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.http.helpers import bearer, get

SignUp = Callable[..., dict[str, str]]


def test_tracklist_routes(client: TestClient, sign_up: SignUp, make_track) -> None:
    ann, bob = sign_up("ann"), sign_up("bob")
    album_id = client.post(
        "/api/v1/albums",
        headers=bearer(ann),
        json={"title": "LP", "artist": "Ann", "visibility": "public"},
    ).json()["albumId"]
    one, two = make_track(ann, "One"), make_track(ann, "Two")
    for track_id in (one, two):
        added = client.post(
            f"/api/v1/albums/{album_id}/tracks", headers=bearer(ann), json={"trackId": track_id}
        )
        assert added.status_code == 201, added.text
    album = added.json()
    assert [(t["title"], t["trackNumber"]) for t in album["tracks"]] == [("One", 1), ("Two", 2)]
    assert album["trackCount"] == 2
    assert album["durationMs"] == sum(t["durationMs"] for t in album["tracks"])
    # Others see the public figure: both tracks are private.
    theirs = get(client, f"/api/v1/albums/{album_id}", bob).json()
    assert (theirs["trackCount"], theirs["durationMs"], theirs["tracks"]) == (0, 0, [])
    etag = added.headers["etag"]
    moved = client.put(
        f"/api/v1/albums/{album_id}/tracks",
        headers={**bearer(ann), "If-Match": etag},
        json={"trackIds": [two, one]},
    )
    assert moved.status_code == 200, moved.text
    assert [t["title"] for t in moved.json()["tracks"]] == ["Two", "One"]
    stale = client.put(
        f"/api/v1/albums/{album_id}/tracks",
        headers={**bearer(ann), "If-Match": etag},
        json={"trackIds": [one, two]},
    )
    assert stale.status_code == 412
    missing = client.put(
        f"/api/v1/albums/{album_id}/tracks", headers=bearer(ann), json={"trackIds": [one]}
    )
    assert missing.status_code == 422
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert client.post(
        f"/api/v1/albums/{album_id}/tracks", headers=bearer(bob), json={"trackId": one}
    ).status_code in (403, 404)
    assert (
        client.post(
            f"/api/v1/albums/{album_id}/tracks",
            headers=bearer(ann),
            json={"trackId": one, "trackNumber": 0},
        ).status_code
        == 422
    )
    no_art = client.put(
        f"/api/v1/albums/{album_id}/cover", headers=bearer(ann), json={"fromTrackId": one}
    )
    assert no_art.status_code == 422
    removed = client.delete(f"/api/v1/albums/{album_id}/tracks/{one}", headers=bearer(ann))
    assert removed.status_code == 204
    assert (
        client.delete(f"/api/v1/albums/{album_id}/tracks/{one}", headers=bearer(ann)).status_code
        == 404
    )
    assert get(client, f"/api/v1/albums/{album_id}", ann).json()["trackCount"] == 1
