"""Friends, friend requests and notifications on the embedded backend, with the queue
fan-out: followers of an artist (10,000 of them) and friends of a photographer."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from soundshelf.bootstrap import Services
from soundshelf.ports.table import Put
from soundshelf.social import notifications as notifications_module
from soundshelf.social.notifications import (
    FAN_OUT,
    FAN_OUT_PAGE,
    notifications_pk,
    unread_key,
)
from tests import mediagen
from tests.http.helpers import bearer, get, run_worker, status, upload
from tests.http.test_photos_files import befriend, new_photo, patch_photo, user_id
from tests.support import FakeClock

SignUp = Callable[..., dict[str, str]]
Tokens = dict[str, str]


def ask(client: TestClient, tokens: Tokens, username: str) -> httpx.Response:
    return client.post(
        "/api/v1/friends/requests", headers=bearer(tokens), json={"username": username}
    )


def notifications(client: TestClient, tokens: Tokens, query: str = "") -> dict[str, Any]:
    response = get(client, f"/api/v1/notifications{query}", tokens)
    assert response.status_code == 200, response.text
    return response.json()


def kinds(client: TestClient, tokens: Tokens) -> list[str]:
    return [n["kind"] for n in notifications(client, tokens)["items"]]


def friend_names(client: TestClient, tokens: Tokens) -> list[str]:
    return [f["username"] for f in get(client, "/api/v1/friends", tokens).json()["items"]]


def queued_jobs(services: Services, kind: str) -> int:
    """Jobs waiting in the embedded queue (its items are in the same table)."""
    page = services.table.query("JOBS#queued", index="GSI2", limit=1000)
    return sum(1 for job in page.items if job["kind"] == kind)


# --- friend requests -------------------------------------------------------------------------


def test_request_accept_and_friend_lists(client: TestClient, sign_up: SignUp) -> None:
    ann, bob = sign_up("ann"), sign_up("bob")
    sent = ask(client, ann, "Bob")
    assert sent.status_code == 201, sent.text
    request = sent.json()
    assert (request["from"], request["to"], request["status"]) == ("ann", "bob", "pending")
    assert request["direction"] == "outgoing"

    incoming = get(client, "/api/v1/friends/requests", bob).json()
    assert [r["requestId"] for r in incoming["incoming"]["items"]] == [request["requestId"]]
    assert incoming["incoming"]["items"][0]["direction"] == "incoming"
    assert incoming["outgoing"]["items"] == []
    outgoing = get(client, "/api/v1/friends/requests?direction=outgoing", ann).json()
    assert [r["requestId"] for r in outgoing["outgoing"]["items"]] == [request["requestId"]]

    bob_inbox = notifications(client, bob)
    assert bob_inbox["unreadCount"] == 1
    assert bob_inbox["items"][0]["kind"] == "friend_request"
    assert bob_inbox["items"][0]["data"] == {"requestId": request["requestId"], "from": "ann"}

    # Only the addressee accepts.
    accept = f"/api/v1/friends/requests/{request['requestId']}/accept"
    assert client.post(accept, headers=bearer(ann)).status_code == 404
    accepted = client.post(accept, headers=bearer(bob))
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    assert client.post(accept, headers=bearer(bob)).status_code == 404  # answered already

    assert friend_names(client, ann) == ["bob"]
    assert friend_names(client, bob) == ["ann"]
    assert get(client, "/api/v1/friends/requests", bob).json()["incoming"]["items"] == []
    ann_inbox = notifications(client, ann)
    assert [(n["kind"], n["data"]["by"]) for n in ann_inbox["items"]] == [
        ("friend_accepted", "bob")
    ]
    # The answered request's notification is withdrawn, unread count with it.
    assert notifications(client, bob) == {"items": [], "nextCursor": None, "unreadCount": 0}


def test_request_rules(client: TestClient, sign_up: SignUp) -> None:
    ann, bob, cat = sign_up("ann"), sign_up("bob"), sign_up("cat")
    to_self = ask(client, ann, "ann")
    assert to_self.status_code == 422
    assert ask(client, ann, "nobody").status_code == 404
    first = ask(client, ann, "bob")
    again = ask(client, ann, "bob")
    assert again.status_code == 200  # the pending request, not a second one
    assert again.json()["requestId"] == first.json()["requestId"]
    assert kinds(client, bob) == ["friend_request"]
    # Bob asking back accepts Ann's request.
    crossed = ask(client, bob, "ann")
    assert crossed.status_code == 200
    assert crossed.json()["requestId"] == first.json()["requestId"]
    assert crossed.json()["status"] == "accepted"
    assert friend_names(client, ann) == ["bob"]
    already = ask(client, ann, "bob")
    assert already.status_code == 409
    assert already.json()["code"] == "already_friends"
    # Unfriending is mutual and answers 404 the second time.
    assert friend_names(client, cat) == []
    assert client.delete("/api/v1/friends/bob", headers=bearer(ann)).status_code == 204
    assert friend_names(client, bob) == []
    assert client.delete("/api/v1/friends/bob", headers=bearer(ann)).status_code == 404
    assert client.delete("/api/v1/friends/cat", headers=bearer(ann)).status_code == 404
    assert ask(client, ann, "bob").status_code == 201  # friends again is one request away


def test_decline_and_cancel(client: TestClient, sign_up: SignUp) -> None:
    ann, bob = sign_up("ann"), sign_up("bob")
    request_id = ask(client, ann, "bob").json()["requestId"]
    decline = f"/api/v1/friends/requests/{request_id}/decline"
    assert client.post(decline, headers=bearer(ann)).status_code == 404  # not the sender's
    assert client.post(decline, headers=bearer(bob)).status_code == 204
    assert friend_names(client, bob) == []
    assert get(client, "/api/v1/friends/requests", ann).json()["outgoing"]["items"] == []
    assert notifications(client, bob)["unreadCount"] == 0
    assert kinds(client, ann) == []  # a decline is not announced

    # Asking again works; this time the sender cancels it (after Bob read it).
    request_id = ask(client, ann, "bob").json()["requestId"]
    assert client.post("/api/v1/notifications/read", headers=bearer(bob)).json() == {
        "unreadCount": 0
    }
    cancel = f"/api/v1/friends/requests/{request_id}"
    assert client.delete(cancel, headers=bearer(bob)).status_code == 404  # not the sender
    assert client.delete(cancel, headers=bearer(ann)).status_code == 204
    assert client.delete(cancel, headers=bearer(ann)).status_code == 404
    assert client.post(f"{cancel}/accept", headers=bearer(bob)).status_code == 404
    assert notifications(client, bob) == {"items": [], "nextCursor": None, "unreadCount": 0}
    assert get(client, "/api/v1/friends/requests?cursor=abc", ann).status_code == 422


# --- notifications ---------------------------------------------------------------------------


def test_notifications_paging_and_marking_read(
    client: TestClient, sign_up: SignUp, services: Services, clock: FakeClock
) -> None:
    ann = sign_up("ann")
    ann_id = user_id(client, ann)
    for n in range(5):
        services.notifications.notify(ann_id, "share", {"n": n}, source_id=f"share{n}")
        clock.advance(1)
    # The same source again is the same notification.
    assert not services.notifications.notify(ann_id, "share", {"n": 0}, source_id="share0")
    first = notifications(client, ann, "?limit=3")
    assert [n["data"]["n"] for n in first["items"]] == [4, 3, 2]
    assert first["unreadCount"] == 5
    rest = notifications(client, ann, f"?limit=3&cursor={first['nextCursor']}")
    assert [n["data"]["n"] for n in rest["items"]] == [1, 0]
    assert rest["nextCursor"] is None

    ids = [first["items"][0]["notificationId"], first["items"][1]["notificationId"]]
    read = client.post(
        "/api/v1/notifications/read",
        headers=bearer(ann),
        json={"ids": [*ids, ids[0], "share:unknown"]},
    )
    assert read.json() == {"unreadCount": 3}
    # Marking read twice does not count twice.
    again = client.post("/api/v1/notifications/read", headers=bearer(ann), json={"ids": ids})
    assert again.json() == {"unreadCount": 3}
    flags = {n["data"]["n"]: n["read"] for n in notifications(client, ann)["items"]}
    assert flags == {4: True, 3: True, 2: False, 1: False, 0: False}

    assert client.post("/api/v1/notifications/read", headers=bearer(ann)).json() == {
        "unreadCount": 0
    }
    assert all(n["read"] for n in notifications(client, ann)["items"])
    services.notifications.notify(ann_id, "share", {"n": 5})
    assert notifications(client, ann)["unreadCount"] == 1
    assert client.get("/api/v1/notifications").status_code == 401


def test_mark_all_read_continues_in_the_queue(
    client: TestClient, sign_up: SignUp, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = sign_up("ann")
    ann_id = user_id(client, ann)
    for n in range(250):
        services.notifications.notify(ann_id, "share", {"n": n}, source_id=f"s{n}")
    monkeypatch.setattr(notifications_module, "READ_ALL_INLINE_BATCHES", 1)
    answer = client.post("/api/v1/notifications/read", headers=bearer(ann)).json()
    assert answer == {"unreadCount": 250 - notifications_module.READ_BATCH}
    assert queued_jobs(services, notifications_module.READ_ALL) == 1
    run_worker(services)
    assert notifications(client, ann)["unreadCount"] == 0
    assert services.table.query(f"USER#{ann_id}#UNREAD", index="GSI2").items == []


# --- fan-out ---------------------------------------------------------------------------------


@pytest.fixture
def make_public_track(client: TestClient, services: Services, tmp_path: Path):
    """A public track, announced the way the track update path does it."""

    def make(tokens: Tokens, title: str) -> str:
        song = mediagen.make_audio(tmp_path / f"{title}.mp3", "mp3", 1.0, tags={"title": title})
        answer = upload(client, tokens, song, "audio/mpeg")
        run_worker(services)
        track_id = status(client, tokens, answer["uploadId"])["resultId"]
        publish(client, services, tokens, track_id)
        return track_id

    return make


def publish(client: TestClient, services: Services, tokens: Tokens, track_id: str) -> float:
    """Make the track public; returns how long the announcement took. (Tracks.update calls
    ``item_published`` itself once that hook is in; calling it again is harmless.)"""
    response = client.patch(
        f"/api/v1/tracks/{track_id}", headers=bearer(tokens), json={"visibility": "public"}
    )
    assert response.status_code == 200, response.text
    started = time.perf_counter()
    services.notifications.item_published("track", services.tracks.load(track_id))
    return time.perf_counter() - started


def make_artist(client: TestClient, tokens: Tokens) -> str:
    response = client.put("/api/v1/me/artist", headers=bearer(tokens), json={"name": "The Band"})
    assert response.status_code == 200, response.text
    return user_id(client, tokens)


def test_public_track_notifies_the_artists_followers(
    client: TestClient, sign_up: SignUp, services: Services, make_public_track
) -> None:
    artist, fan1, fan2, other = sign_up("band"), sign_up("fan1"), sign_up("fan2"), sign_up("xavier")
    make_artist(client, artist)
    for fan in (fan1, fan2):
        assert client.put("/api/v1/artists/band/follow", headers=bearer(fan)).status_code == 204
    track_id = make_public_track(artist, "Opening Night")
    assert kinds(client, fan1) == []  # queued, not yet delivered
    run_worker(services)
    for fan in (fan1, fan2):
        inbox = notifications(client, fan)
        assert inbox["unreadCount"] == 1
        assert [(n["kind"], n["data"]["trackId"], n["data"]["title"]) for n in inbox["items"]] == [
            ("new_track", track_id, "Opening Night")
        ]
    assert kinds(client, other) == []
    assert kinds(client, artist) == []
    # Unpublished and published again: still one notification each.
    client.patch(
        f"/api/v1/tracks/{track_id}", headers=bearer(artist), json={"visibility": "private"}
    )
    publish(client, services, artist, track_id)
    run_worker(services)
    assert notifications(client, fan1)["unreadCount"] == 1
    assert kinds(client, fan1) == ["new_track"]


def test_private_and_friends_tracks_are_not_announced(
    client: TestClient, sign_up: SignUp, services: Services
) -> None:
    artist = sign_up("band")
    make_artist(client, artist)
    for visibility in ("private", "friends"):
        item = {"trackId": "t1", "visibility": visibility, "ownerId": "x"}
        assert services.notifications.item_published("track", item) is None
    assert queued_jobs(services, FAN_OUT) == 0


def test_friends_hear_of_a_photo_made_visible_to_them(
    client: TestClient, sign_up: SignUp, services: Services, tmp_path: Path
) -> None:
    ann, fred, sid = sign_up("ann"), sign_up("fred"), sign_up("sid")
    befriend(client, ann, fred)
    run_worker(services)
    path = mediagen.make_jpeg(tmp_path / "beach.jpg")
    photo_id = new_photo(client, services, ann, path)
    assert queued_jobs(services, FAN_OUT) == 0  # private: nobody to tell
    assert patch_photo(client, ann, photo_id, visibility="friends", caption="Beach").is_success
    assert queued_jobs(services, FAN_OUT) == 1
    assert kinds(client, fred) == []  # the PATCH did not wait for the fan-out
    run_worker(services)
    inbox = notifications(client, fred)["items"]
    assert [(n["kind"], n["data"]) for n in inbox] == [
        ("new_photo", {"photoId": photo_id, "caption": "Beach", "owner": "ann"})
    ]
    assert kinds(client, sid) == []
    # friends → public is no news to friends: nothing is queued.
    assert patch_photo(client, ann, photo_id, visibility="public").is_success
    assert queued_jobs(services, FAN_OUT) == 0


def test_fan_out_job_is_idempotent(
    client: TestClient, sign_up: SignUp, services: Services, make_public_track
) -> None:
    artist, fan = sign_up("band"), sign_up("fan")
    make_artist(client, artist)
    client.put("/api/v1/artists/band/follow", headers=bearer(fan))
    track_id = make_public_track(artist, "Twice")
    payload = {"kind": "track", "itemId": track_id, "at": services.clock.now()}
    handler = services.job_handlers[FAN_OUT]
    for _ in range(3):  # a job delivered again after a crash
        handler.handle(payload)
    run_worker(services)
    inbox = notifications(client, fan)
    assert [n["kind"] for n in inbox["items"]] == ["new_track"]
    assert inbox["unreadCount"] == 1


FOLLOWERS = 10_000


def add_followers(services: Services, artist_id: str, count: int) -> list[str]:
    """Follow edges written straight into the table, 100 per transaction (as
    ``Artists.follow`` writes them, minus 10,000 sign-ups)."""
    followers = [f"F{n:05d}" for n in range(count)]
    now = services.clock.now()
    for start in range(0, count, 100):
        services.table.transact(
            [
                Put(
                    {
                        "PK": f"USER#{fid}",
                        "SK": f"FOLLOWS#{artist_id}",
                        "artistId": artist_id,
                        "since": now,
                        "GSI1PK": f"ARTIST#{artist_id}#FOLLOWERS",
                        "GSI1SK": fid,
                    }
                )
                for fid in followers[start : start + 100]
            ]
        )
    return followers


def test_fan_out_to_ten_thousand_followers(
    client: TestClient, sign_up: SignUp, services: Services, tmp_path: Path
) -> None:
    artist = sign_up("bigband")
    artist_id = make_artist(client, artist)
    followers = add_followers(services, artist_id, FOLLOWERS)

    song = mediagen.make_audio(tmp_path / "hit.mp3", "mp3", 1.0, tags={"title": "Hit"})
    answer = upload(client, artist, song, "audio/mpeg")
    run_worker(services)
    track_id = status(client, artist, answer["uploadId"])["resultId"]
    took = publish(client, services, artist, track_id)
    # Publishing only queued one job: nobody has been told yet.
    assert took < 1.0
    chains = queued_jobs(services, FAN_OUT)  # 2 once Tracks.update announces by itself
    assert chains in (1, 2)
    assert services.table.query(notifications_pk(followers[0]), limit=1).items == []

    started = time.perf_counter()
    jobs_run = run_worker(services)
    fan_out_took = time.perf_counter() - started
    # One short job per page of followers, each queuing the next page.
    assert jobs_run == chains * FOLLOWERS // FAN_OUT_PAGE
    assert fan_out_took > took
    for follower in followers:
        page = services.table.query(notifications_pk(follower), limit=5)
        assert [n["notificationId"] for n in page.items] == [f"new_track:{track_id}"], follower
    counters = services.table.batch_get([unread_key(f) for f in followers])
    assert len(counters) == FOLLOWERS
    assert {c["unread"] for c in counters} == {1}
