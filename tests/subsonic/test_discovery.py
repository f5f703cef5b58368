"""Top and similar songs, artist information and bookmarks: computed from the catalog,
and limited to what the caller may see."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image

from tests.http.helpers import bearer


def _get(client: TestClient, auth: dict[str, str], method: str, **params: Any) -> dict:
    response = client.get(f"/rest/{method}", params={**auth, **params, "f": "json"})
    return response.json()["subsonic-response"]


def _titles(songs: list[dict]) -> list[str]:
    return [s["title"] for s in songs]


def test_top_songs_are_the_most_played_the_caller_may_see(
    client: TestClient, library: dict[str, Any], app_password: Callable
) -> None:
    bob = {"u": "bob", "p": app_password(library["bob"])}
    for _ in range(3):
        _get(client, bob, "scrobble", id=f"tr-{library['single']}")
    _get(client, bob, "scrobble", id=f"tr-{library['public']}")

    top = _get(client, bob, "getTopSongs", artist="ALICE")["topSongs"]["song"]

    assert _titles(top) == ["Lonely Single", "Sunrise"]  # never her private "Secret Demo"
    alice = {"u": "alice", "p": app_password(library["alice"])}
    own = _titles(_get(client, alice, "getTopSongs", artist="alice", count=2)["topSongs"]["song"])
    assert own == ["Lonely Single", "Sunrise"]  # count bounds it; her private demo has 0 plays
    assert _get(client, bob, "getTopSongs", artist="nobody")["topSongs"]["song"] == []


def test_similar_songs_and_artists_share_a_genre(
    client: TestClient, library: dict[str, Any], app_password: Callable, make_track: Callable
) -> None:
    carol_tokens = library["bob"]  # bob publishes an ambient piece and a rock one
    calm = make_track(carol_tokens, "Calm Water", "public")
    loud = make_track(carol_tokens, "Loud", "public")
    for track, genre in ((calm, "Ambient"), (loud, "Rock")):
        answer = client.patch(
            f"/api/v1/tracks/{track}", headers=bearer(carol_tokens), json={"genre": genre}
        )
        assert answer.status_code == 200, answer.text
    alice = {"u": "alice", "p": app_password(library["alice"])}

    similar = _get(client, alice, "getSimilarSongs2", id=f"tr-{library['public']}")
    assert _titles(similar["similarSongs2"]["song"]) == ["Calm Water"]
    info = _get(client, alice, "getArtistInfo2", id=f"tr-{library['public']}")["artistInfo2"]
    assert [a["name"] for a in info["similarArtist"]] == ["bob"]
    assert info["similarArtist"][0]["albumCount"] >= 1


def test_bookmarks_are_the_callers_and_follow_visibility(
    client: TestClient, library: dict[str, Any], app_password: Callable
) -> None:
    bob = {"u": "bob", "p": app_password(library["bob"])}
    alice = {"u": "alice", "p": app_password(library["alice"])}
    hidden = _get(client, bob, "createBookmark", id=f"tr-{library['private']}", position=5)
    assert hidden["error"]["code"] == 70  # her private track does not exist for him
    _get(client, bob, "createBookmark", id=f"tr-{library['single']}", position=90_000)
    _get(client, bob, "createBookmark", id=f"tr-{library['single']}", position=95_000)  # moved

    (mark,) = _get(client, bob, "getBookmarks")["bookmarks"]["bookmark"]
    assert (mark["position"], mark["username"]) == (95_000, "bob")
    assert _get(client, alice, "getBookmarks")["bookmarks"]["bookmark"] == []  # his, not hers

    made_private = client.patch(
        f"/api/v1/tracks/{library['single']}",
        headers=bearer(library["alice"]),
        json={"visibility": "private"},
    )
    assert made_private.status_code == 200, made_private.text
    assert _get(client, bob, "getBookmarks")["bookmarks"]["bookmark"] == []


def test_head_on_media_methods_answers_like_get(
    client: TestClient, library: dict[str, Any], app_password: Callable
) -> None:
    bob = {"u": "bob", "p": app_password(library["bob"])}
    for method in ("stream", "download"):
        answer = client.head(
            f"/rest/{method}",
            params={**bob, "id": f"tr-{library['single']}"},
            follow_redirects=False,
        )
        assert answer.status_code == 302, method
        media = client.head(answer.headers["location"])
        assert media.status_code == 200
        assert int(media.headers["content-length"]) > 0


def test_items_without_art_get_a_placeholder_and_unknown_ids_an_error(
    client: TestClient, library: dict[str, Any], app_password: Callable
) -> None:
    bob = {"u": "bob", "p": app_password(library["bob"])}
    index = _get(client, bob, "getArtists")["artists"]["index"]
    alice_artist = next(a["id"] for i in index for a in i["artist"] if a["name"] == "alice")
    ids = [f"tr-{library['single']}", f"al-{library['album']}", alice_artist]
    for item in ids:
        answer = client.get("/rest/getCoverArt", params={**bob, "id": item, "size": 150})
        assert answer.status_code == 200, item
        assert answer.headers["content-type"] == "image/png"
        image = Image.open(io.BytesIO(answer.content))
        assert image.size == (160, 160)  # the nearest size up to what was asked
        image.load()
    for hidden in (f"tr-{library['private']}", "al-nope", "ar-nobody", "pl-nope", "sg-nobody"):
        answer = client.get("/rest/getCoverArt", params={**bob, "id": hidden, "f": "json"})
        assert answer.json()["subsonic-response"]["error"]["code"] == 70, hidden


def test_a_call_reads_the_callers_pool_once(
    client: TestClient,
    library: dict[str, Any],
    app_password: Callable,
    services: Any,
    monkeypatch: Any,
) -> None:
    """search3 "" and artist info need artists and songs from the same pool: one read."""
    bob = {"u": "bob", "p": app_password(library["bob"])}
    reads: list[str] = []
    query = services.table.query

    def counting(pk: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        reads.append(pk)
        return query(pk, **kwargs)

    monkeypatch.setattr(services.table, "query", counting)
    for method, params in (
        ("search3", {"query": ""}),
        ("getArtistInfo2", {"id": f"tr-{library['single']}"}),
        ("getTopSongs", {"artist": "alice"}),
    ):
        reads.clear()
        assert _get(client, bob, method, **params)["status"] == "ok"
        assert reads.count("PUBLIC#TRACKS") == 1, method
