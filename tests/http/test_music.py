"""Tracks, albums, artists, likes and plays on the embedded backend, with the
authorization matrix of owner / friend / stranger / anonymous."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from soundshelf.bootstrap import Services
from tests.http.helpers import bearer, get
from tests.support import FakeClock

SignUp = Callable[..., dict[str, str]]


def user_id(client: TestClient, tokens: dict[str, str]) -> str:
    return get(client, "/api/v1/me", tokens).json()["userId"]


def test_track_fields_and_edit(client: TestClient, sign_up: SignUp, make_track) -> None:
    ann = sign_up("ann")
    track_id = make_track(ann, "First Light")
    track = get(client, f"/api/v1/tracks/{track_id}", ann)
    assert track.status_code == 200
    body = track.json()
    assert body["title"] == "First Light"
    assert body["owner"] == "ann"
    assert body["visibility"] == "private"
    assert body["likedByMe"] is False
    assert track.headers["etag"] == '"v1"'
    edited = client.patch(
        f"/api/v1/tracks/{track_id}",
        headers=bearer(ann),
        json={"title": "First Light (Live)", "genre": "Ambient", "year": 2024},
    )
    assert edited.json()["title"] == "First Light (Live)"
    assert edited.headers["etag"] == '"v2"'
    stale = client.patch(
        f"/api/v1/tracks/{track_id}",
        headers={**bearer(ann), "If-Match": '"v1"'},
        json={"title": "Nope"},
    )
    assert stale.status_code == 412
    assert (
        client.patch(
            f"/api/v1/tracks/{track_id}", headers=bearer(ann), json={"visibility": "everyone"}
        ).status_code
        == 422
    )


def test_private_friends_public_matrix(
    client: TestClient, sign_up: SignUp, services: Services, make_track
) -> None:
    owner, friend, stranger = sign_up("olive"), sign_up("fred"), sign_up("sid")
    services.friends.befriend(user_id(client, owner), user_id(client, friend))
    private = make_track(owner, "Private Song")
    friends_only = make_track(owner, "Friends Song", "friends")
    public = make_track(owner, "Public Song", "public")
    expectations = {
        "owner": (owner, {private, friends_only, public}),
        "friend": (friend, {friends_only, public}),
        "stranger": (stranger, {public}),
        "anonymous": (None, {public}),
    }
    for who, (tokens, visible) in expectations.items():
        for track_id in (private, friends_only, public):
            code = get(client, f"/api/v1/tracks/{track_id}", tokens).status_code
            assert code == (200 if track_id in visible else 404), (who, track_id)
        listed = get(client, "/api/v1/tracks?owner=olive", tokens).json()["items"]
        assert {t["trackId"] for t in listed} == visible, who
    # Edits by anyone but the owner are refused.
    assert (
        client.patch(
            f"/api/v1/tracks/{public}", headers=bearer(stranger), json={"title": "mine now"}
        ).status_code
        == 403
    )
    assert (
        client.patch(
            f"/api/v1/tracks/{private}", headers=bearer(stranger), json={"title": "mine now"}
        ).status_code
        == 404
    )
    assert client.delete(f"/api/v1/tracks/{public}", headers=bearer(friend)).status_code == 403
    # After unfriending, friends-only is gone for the former friend.
    services.friends.unfriend(user_id(client, owner), user_id(client, friend))
    assert get(client, f"/api/v1/tracks/{friends_only}", friend).status_code == 404


def test_public_feed_lists_only_public_tracks(
    client: TestClient, sign_up: SignUp, make_track
) -> None:
    pia = sign_up("pia")
    make_track(pia, "Hidden")
    shown = make_track(pia, "Shown", "public")
    feed = get(client, "/api/v1/tracks").json()["items"]
    assert [t["trackId"] for t in feed] == [shown]


def test_stream_redirects_to_a_signed_url_that_serves_ranges(
    client: TestClient, sign_up: SignUp, make_track, clock: FakeClock
) -> None:
    ann, bob = sign_up("anna"), sign_up("bobby")
    track_id = make_track(ann, "Stream Me", fmt="flac")
    assert get(client, f"/api/v1/tracks/{track_id}/stream", bob).status_code == 404
    redirect = client.get(
        f"/api/v1/tracks/{track_id}/stream?quality=high",
        headers=bearer(ann),
        follow_redirects=False,
    )
    assert redirect.status_code == 302
    url = redirect.headers["location"]
    ranged = client.get(url, headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206
    assert ranged.headers["content-type"] == "audio/mp4"
    assert len(ranged.content) == 100
    assert ranged.headers["content-range"].startswith("bytes 0-99/")
    original = client.get(
        f"/api/v1/tracks/{track_id}/stream?quality=original",
        headers=bearer(ann),
        follow_redirects=False,
    )
    assert client.get(original.headers["location"]).headers["content-type"] == "audio/flac"
    # The signed URL stops working once it expires.
    clock.advance(3600)
    assert client.get(url).status_code == 403


def test_waveform(client: TestClient, sign_up: SignUp, make_track) -> None:
    ann = sign_up("wave")
    track_id = make_track(ann, "Peaks")
    peaks = get(client, f"/api/v1/tracks/{track_id}/waveform", ann).json()["peaks"]
    assert len(peaks) == 1000
    assert max(peaks) == 1.0
    assert min(peaks) >= 0


def test_likes_are_idempotent_and_listed(client: TestClient, sign_up: SignUp, make_track) -> None:
    ann, bob = sign_up("liker"), sign_up("likee")
    track_id = make_track(bob, "Likeable", "public")
    for _ in range(2):
        assert client.put(f"/api/v1/tracks/{track_id}/like", headers=bearer(ann)).status_code == 204
    body = get(client, f"/api/v1/tracks/{track_id}", ann).json()
    assert (body["likeCount"], body["likedByMe"]) == (1, True)
    likes = get(client, "/api/v1/me/likes", ann).json()["items"]
    assert [t["trackId"] for t in likes] == [track_id]
    for _ in range(2):
        client.delete(f"/api/v1/tracks/{track_id}/like", headers=bearer(ann))
    assert get(client, f"/api/v1/tracks/{track_id}", ann).json()["likeCount"] == 0


def test_twenty_parallel_likes_count_twenty(
    client: TestClient, sign_up: SignUp, services: Services, make_track
) -> None:
    owner = sign_up("popular")
    track_id = make_track(owner, "Hit", "public")
    principals = [
        services.accounts.create_user(
            username=f"fan{i:02d}", email=f"fan{i}@example.com", password="correct horse battery"
        )
        for i in range(20)
    ]
    from soundshelf.core.users import principal_of

    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def like(profile: dict[str, Any]) -> None:
        try:
            barrier.wait()
            services.tracks.like(principal_of(profile), track_id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=like, args=(p,)) for p in principals]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert get(client, f"/api/v1/tracks/{track_id}", owner).json()["likeCount"] == 20


def test_plays_history_and_artist_stats(client: TestClient, sign_up: SignUp, make_track) -> None:
    artist, fan = sign_up("maker"), sign_up("listener1")
    track_id = make_track(artist, "Spin", "public")
    for _ in range(3):
        assert (
            client.post(f"/api/v1/tracks/{track_id}/plays", headers=bearer(fan)).status_code == 204
        )
    client.post(f"/api/v1/tracks/{track_id}/plays", headers=bearer(artist))
    assert get(client, f"/api/v1/tracks/{track_id}", fan).json()["playCount"] == 4
    history = get(client, "/api/v1/me/history", fan).json()["items"]
    assert [t["trackId"] for t in history] == [track_id] * 3
    assert (
        client.put("/api/v1/me/artist", headers=bearer(artist), json={"name": "Maker"}).status_code
        == 200
    )
    stats = get(client, "/api/v1/me/artist/stats", artist).json()["items"]
    assert stats == [
        {
            "trackId": track_id,
            "title": "Spin",
            "playCount": 4,
            "playsLast30Days": 4,
            "listenersLast30Days": 2,
        }
    ]


def test_albums_dashboard(client: TestClient, sign_up: SignUp, make_track) -> None:
    ann = sign_up("albums")
    ids = {}
    for title, rank in (("Third", 3), ("First", 1), ("Second", 2)):
        created = client.post(
            "/api/v1/albums",
            headers=bearer(ann),
            json={"title": title, "artist": "Ann", "year": 2020, "genre": "Pop", "rank": rank},
        )
        assert created.status_code == 201, created.text
        ids[title] = created.json()["albumId"]
    listed = get(client, "/api/v1/albums?sort=rank", ann).json()["items"]
    assert [a["title"] for a in listed] == ["First", "Second", "Third"]
    duplicate = client.post(
        "/api/v1/albums", headers=bearer(ann), json={"title": "first", "artist": "ANN"}
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "conflict"
    # Rename into an existing title is refused too; rename to a new one works.
    clash = client.patch(
        f"/api/v1/albums/{ids['Third']}", headers=bearer(ann), json={"title": "Second"}
    )
    assert clash.status_code == 409
    renamed = client.patch(
        f"/api/v1/albums/{ids['Third']}", headers=bearer(ann), json={"title": "Last", "rank": 0}
    )
    assert renamed.status_code == 200
    assert [a["title"] for a in get(client, "/api/v1/albums", ann).json()["items"]] == [
        "Last",
        "First",
        "Second",
    ]
    full = client.put(
        f"/api/v1/albums/{ids['First']}",
        headers=bearer(ann),
        json={"title": "First", "artist": "Ann", "rank": 9},
    )
    assert full.json()["year"] is None  # PUT replaces every field
    assert client.post("/api/v1/albums", headers=bearer(ann), json={"title": ""}).status_code == 422
    # Tracks placed in an album come back in disc/track order.
    t2, t1 = make_track(ann, "Two"), make_track(ann, "One")
    for track_id, number in ((t2, 2), (t1, 1)):
        placed = client.patch(
            f"/api/v1/tracks/{track_id}",
            headers=bearer(ann),
            json={"albumId": ids["Second"], "trackNumber": number},
        )
        assert placed.status_code == 200, placed.text
    album = get(client, f"/api/v1/albums/{ids['Second']}", ann).json()
    assert [t["title"] for t in album["tracks"]] == ["One", "Two"]
    assert [
        t["trackId"]
        for t in get(client, f"/api/v1/tracks?album={ids['Second']}", ann).json()["items"]
    ] == [t1, t2]
    assert client.delete(f"/api/v1/albums/{ids['Second']}", headers=bearer(ann)).status_code == 204
    assert get(client, f"/api/v1/tracks/{t1}", ann).json()["albumId"] is None


def test_private_album_is_404_for_others(client: TestClient, sign_up: SignUp) -> None:
    ann, bob = sign_up("secret"), sign_up("snoop")
    album_id = client.post(
        "/api/v1/albums", headers=bearer(ann), json={"title": "Demo", "artist": "Ann"}
    ).json()["albumId"]
    assert get(client, f"/api/v1/albums/{album_id}", bob).status_code == 404
    assert (
        client.patch(
            f"/api/v1/albums/{album_id}", headers=bearer(bob), json={"title": "x"}
        ).status_code
        == 404
    )
    assert get(client, "/api/v1/albums?owner=secret", bob).json()["items"] == []


def test_artist_page_and_follow(client: TestClient, sign_up: SignUp, make_track) -> None:
    nova, fan = sign_up("novaa"), sign_up("fanboy")
    assert get(client, "/api/v1/artists/novaa").status_code == 404  # not an artist yet
    enabled = client.put(
        "/api/v1/me/artist", headers=bearer(nova), json={"name": "Nova", "bio": "Synths"}
    )
    assert enabled.status_code == 200
    assert "artist" in get(client, "/api/v1/me", nova).json()["roles"]
    make_track(nova, "Draft")
    public = make_track(nova, "Single", "public")
    client.post(
        "/api/v1/albums",
        headers=bearer(nova),
        json={"title": "LP", "artist": "Nova", "visibility": "public"},
    )
    page = get(client, "/api/v1/artists/novaa").json()  # anonymous
    assert page["name"] == "Nova"
    assert [t["trackId"] for t in page["tracks"]] == [public]
    assert [a["title"] for a in page["albums"]] == ["LP"]
    for _ in range(2):
        assert client.put("/api/v1/artists/novaa/follow", headers=bearer(fan)).status_code == 204
    page = get(client, "/api/v1/artists/novaa", fan).json()
    assert (page["followerCount"], page["followedByMe"]) == (1, True)
    assert client.put("/api/v1/artists/novaa/follow", headers=bearer(nova)).status_code == 422
    client.delete("/api/v1/artists/novaa/follow", headers=bearer(fan))
    assert get(client, "/api/v1/artists/novaa").json()["followerCount"] == 0


def test_delete_track_removes_blobs_and_counts(
    client: TestClient, sign_up: SignUp, services: Services, make_track
) -> None:
    ann = sign_up("deleter")
    track_id = make_track(ann, "Gone", fmt="flac")
    owner = user_id(client, ann)
    assert list(services.blobs.list(f"derived/{owner}/{track_id}/"))
    assert client.delete(f"/api/v1/tracks/{track_id}", headers=bearer(ann)).status_code == 204
    assert get(client, f"/api/v1/tracks/{track_id}", ann).status_code == 404
    assert list(services.blobs.list(f"derived/{owner}/{track_id}/")) == []
    assert list(services.blobs.list(f"originals/{owner}/")) == []
    profile = services.accounts.get_profile(owner)
    assert (profile["storageBytes"], profile["trackCount"]) == (0, 0)


def test_stream_as_json_for_players_that_cannot_follow_redirects(
    client: TestClient, sign_up: SignUp, make_track
) -> None:
    ann = sign_up("jsonist")
    track_id = make_track(ann, "Json")
    answer = client.get(
        f"/api/v1/tracks/{track_id}/stream", headers={**bearer(ann), "Accept": "application/json"}
    )
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert client.get(answer.json()["url"], headers={"Range": "bytes=0-0"}).status_code == 206


@pytest.mark.parametrize("kind", ["tracks", "albums", "playlists", "photos"])
def test_a_listing_of_nobody_is_404_and_of_me_needs_a_session(
    client: TestClient, sign_up: SignUp, kind: str
) -> None:
    someone = sign_up("lister")
    unknown = get(client, f"/api/v1/{kind}?owner=no-such-user", someone)
    assert (unknown.status_code, unknown.json()["detail"]) == (404, "No such user")
    anonymous = get(client, f"/api/v1/{kind}?owner=me")
    assert anonymous.status_code == (401 if kind == "photos" else 404)
    assert get(client, f"/api/v1/{kind}?owner=me", someone).json()["items"] == []
