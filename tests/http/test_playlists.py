"""Playlists on the embedded backend: CRUD, entries (duplicates, moves, removals),
optimistic concurrency (ETag/If-Match, racing writers), who may see and change what,
tracks that went away, share-link reads and a 5,000-entry playlist."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from soundshelf.bootstrap import Services
from soundshelf.catalog.tracks import track_key
from soundshelf.core.users import Principal
from soundshelf.errors import PreconditionFailed, ValidationFailed
from soundshelf.playlists.service import MAX_ENTRIES, entries_key, item_size
from soundshelf.ports.table import Table, WriteOp
from tests.http.helpers import bearer, get
from tests.support import FakeClock

SignUp = Callable[..., dict[str, str]]
Tokens = dict[str, str]
API = "/api/v1/playlists"


def auth(tokens: Tokens | None, version: int | None = None) -> dict[str, str]:
    headers = bearer(tokens) if tokens else {}
    if version is not None:
        headers["If-Match"] = f'"v{version}"'
    return headers


def create(client: TestClient, tokens: Tokens, name: str, **fields: Any) -> dict[str, Any]:
    response = client.post(API, headers=auth(tokens), json={"name": name, **fields})
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"v1"'
    return response.json()


def add(
    client: TestClient, tokens: Tokens, playlist_id: str, track_id: str, **body: Any
) -> httpx.Response:
    version = body.pop("version", None)
    return client.post(
        f"{API}/{playlist_id}/entries",
        headers=auth(tokens, version),
        json={"trackId": track_id, **body},
    )


def move(
    client: TestClient,
    tokens: Tokens,
    playlist_id: str,
    entry_id: str,
    position: int,
    version: int | None = None,
) -> httpx.Response:
    return client.post(
        f"{API}/{playlist_id}/entries/{entry_id}/move",
        headers=auth(tokens, version),
        json={"position": position},
    )


def remove(
    client: TestClient,
    tokens: Tokens,
    playlist_id: str,
    entry_id: str,
    version: int | None = None,
) -> httpx.Response:
    return client.delete(f"{API}/{playlist_id}/entries/{entry_id}", headers=auth(tokens, version))


def entries(client: TestClient, playlist_id: str, tokens: Tokens | None) -> list[dict[str, Any]]:
    response = get(client, f"{API}/{playlist_id}", tokens)
    assert response.status_code == 200, response.text
    return response.json()["entries"]


def track_ids(client: TestClient, playlist_id: str, tokens: Tokens | None) -> list[str | None]:
    return [e["track"] and e["track"]["trackId"] for e in entries(client, playlist_id, tokens)]


def principal(services: Services, tokens: Tokens) -> Principal:
    return services.accounts.authenticate_token(tokens["accessToken"])


# --- CRUD ----------------------------------------------------------------------------------


def test_create_read_list_edit_delete(
    client: TestClient, sign_up: SignUp, clock: FakeClock
) -> None:
    ann = sign_up("ann")
    first = create(client, ann, "Road Trip", description="Long drives")
    assert first["visibility"] == "private"  # the default
    assert (first["owner"], first["version"], first["entryCount"]) == ("ann", 1, 0)
    assert (first["entries"], first["nextCursor"]) == ([], None)
    clock.advance(1)
    second = create(client, ann, "Focus", visibility="public")

    read = get(client, f"{API}/{first['playlistId']}", ann)
    assert read.status_code == 200
    assert read.headers["etag"] == '"v1"'
    assert read.json()["description"] == "Long drives"
    listed = get(client, f"{API}?owner=me", ann).json()["items"]
    assert [p["name"] for p in listed] == ["Focus", "Road Trip"]  # newest first

    edited = client.patch(
        f"{API}/{first['playlistId']}",
        headers=auth(ann),
        json={"name": "Road Trip 2", "description": "", "visibility": "friends"},
    )
    assert edited.status_code == 200, edited.text
    assert edited.headers["etag"] == '"v2"'
    body = edited.json()
    assert (body["name"], body["description"], body["visibility"], body["version"]) == (
        "Road Trip 2",
        "",
        "friends",
        2,
    )
    for bad in ({"visibility": "everyone"}, {"name": ""}, {"name": "x" * 201}, {"bogus": 1}):
        response = client.patch(f"{API}/{first['playlistId']}", headers=auth(ann), json=bad)
        assert response.status_code == 422, bad
        assert response.headers["content-type"] == "application/problem+json"
    assert client.post(API, headers=auth(ann), json={"description": "no name"}).status_code == 422
    assert client.post(API, json={"name": "anonymous"}).status_code == 401

    assert client.delete(f"{API}/{second['playlistId']}", headers=auth(ann)).status_code == 204
    assert get(client, f"{API}/{second['playlistId']}", ann).status_code == 404
    assert client.delete(f"{API}/{second['playlistId']}", headers=auth(ann)).status_code == 404
    assert [p["name"] for p in get(client, f"{API}?owner=me", ann).json()["items"]] == [
        "Road Trip 2"
    ]


def test_entries_with_duplicates_move_and_remove(
    client: TestClient, sign_up: SignUp, make_track
) -> None:
    ann = sign_up("mixer")
    one, two = make_track(ann, "One"), make_track(ann, "Two")
    playlist_id = create(client, ann, "Mix")["playlistId"]

    answers = [add(client, ann, playlist_id, t) for t in (one, two, one)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert [a.json()["position"] for a in answers] == [0, 1, 2]
    assert [a.headers["etag"] for a in answers] == ['"v2"', '"v3"', '"v4"']
    inserted = add(client, ann, playlist_id, two, position=0)
    assert (inserted.json()["position"], inserted.json()["entryCount"]) == (0, 4)
    assert track_ids(client, playlist_id, ann) == [two, one, two, one]
    listed = entries(client, playlist_id, ann)
    ids = [e["entryId"] for e in listed]
    assert len(set(ids)) == 4  # the same track twice is two entries
    assert [e["position"] for e in listed] == [0, 1, 2, 3]
    assert listed[1]["track"]["title"] == "One"
    assert listed[1]["unavailable"] is False

    moved = move(client, ann, playlist_id, ids[3], 0)
    assert moved.status_code == 200, moved.text
    assert (moved.json()["entryId"], moved.json()["position"]) == (ids[3], 0)
    assert moved.headers["etag"] == '"v6"'
    assert [e["entryId"] for e in entries(client, playlist_id, ann)] == [
        ids[3],
        ids[0],
        ids[1],
        ids[2],
    ]
    assert move(client, ann, playlist_id, ids[3], 3).status_code == 200  # back to the end
    assert [e["entryId"] for e in entries(client, playlist_id, ann)] == ids

    # Removing one of two entries of the same track keeps the other.
    removed = remove(client, ann, playlist_id, ids[1])
    assert removed.status_code == 204
    assert removed.headers["etag"] == '"v8"'
    after = entries(client, playlist_id, ann)
    assert [e["entryId"] for e in after] == [ids[0], ids[2], ids[3]]
    assert [e["track"]["trackId"] for e in after] == [two, two, one]

    # Unknown entries are 404; positions out of range are 422 and change nothing.
    assert remove(client, ann, playlist_id, ids[1]).status_code == 404
    assert move(client, ann, playlist_id, "nope", 0).status_code == 404
    assert move(client, ann, playlist_id, ids[0], 3).status_code == 422
    assert move(client, ann, playlist_id, ids[0], -1).status_code == 422
    assert add(client, ann, playlist_id, one, position=4).status_code == 422
    assert add(client, ann, playlist_id, "no-such-track").status_code == 404
    assert get(client, f"{API}/{playlist_id}", ann).json()["version"] == 8
    assert add(client, ann, playlist_id, one, position=3).json()["position"] == 3  # == length


# --- optimistic concurrency ------------------------------------------------------------------


def test_stale_if_match_is_412_for_every_write(
    client: TestClient, sign_up: SignUp, make_track
) -> None:
    ann = sign_up("etags")
    track = make_track(ann, "Tune")
    playlist_id = create(client, ann, "Careful")["playlistId"]
    fresh = add(client, ann, playlist_id, track, version=1)
    assert fresh.status_code == 201
    assert fresh.headers["etag"] == '"v2"'
    entry_id = fresh.json()["entryId"]

    stale_writes = {
        "patch": client.patch(f"{API}/{playlist_id}", headers=auth(ann, 1), json={"name": "x"}),
        "add": add(client, ann, playlist_id, track, version=1),
        "move": move(client, ann, playlist_id, entry_id, 0, version=1),
        "remove": remove(client, ann, playlist_id, entry_id, version=1),
        "delete": client.delete(f"{API}/{playlist_id}", headers=auth(ann, 1)),
    }
    for name, response in stale_writes.items():
        assert response.status_code == 412, name
        assert response.json()["code"] == "precondition_failed", name
    garbled = client.patch(
        f"{API}/{playlist_id}", headers={**auth(ann), "If-Match": "abc"}, json={"name": "x"}
    )
    assert garbled.status_code == 412
    current = get(client, f"{API}/{playlist_id}", ann)
    assert (current.json()["version"], current.json()["name"]) == (2, "Careful")
    assert len(current.json()["entries"]) == 1

    # The current ETag works, and "*" means "whatever the version".
    assert move(client, ann, playlist_id, entry_id, 0, version=2).headers["etag"] == '"v3"'
    star = client.patch(
        f"{API}/{playlist_id}", headers={**auth(ann), "If-Match": "*"}, json={"name": "Bold"}
    )
    assert star.status_code == 200
    assert client.delete(f"{API}/{playlist_id}", headers=auth(ann, 4)).status_code == 204


def _race(workers: int, work: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run ``work(i)`` in ``workers`` threads released at once."""
    barrier = threading.Barrier(workers)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results.append(work(i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


class GatedTable:
    """Holds each transaction until every racer has reached its write, so all of them
    have read the same version first: the lost-update window, every time."""

    def __init__(self, table: Table, racers: int) -> None:
        self._table = table
        self._gate = threading.Barrier(racers)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)

    def transact(self, ops: Sequence[WriteOp]) -> None:
        self._gate.wait(timeout=30)
        self._table.transact(ops)


def test_writers_holding_the_same_version_exactly_one_wins(
    client: TestClient,
    sign_up: SignUp,
    services: Services,
    make_track,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ann = sign_up("racer")
    track = make_track(ann, "Race")
    playlist_id = create(client, ann, "Contested")["playlistId"]
    owner = principal(services, ann)
    playlists = services.playlists

    monkeypatch.setattr(playlists, "table", GatedTable(services.table, 8))
    results, errors = _race(
        8, lambda _: playlists.add_entry(owner, playlist_id, track, expected_version=1)
    )
    assert len(results) == 1
    assert len(errors) == 7
    assert all(isinstance(e, PreconditionFailed) for e in errors), errors
    playlist = playlists.get(owner, playlist_id)
    assert (playlist["version"], playlist["entryCount"]) == (2, 1)
    assert playlist["entries"][0]["entryId"] == results[0]["entryId"]

    # A move and a removal of the same entry at the same version: one of them.
    entry_id = results[0]["entryId"]
    monkeypatch.setattr(playlists, "table", services.table)
    playlists.add_entry(owner, playlist_id, track)
    monkeypatch.setattr(playlists, "table", GatedTable(services.table, 2))
    results, errors = _race(
        2,
        lambda i: (
            playlists.move_entry(owner, playlist_id, entry_id, 1, expected_version=3)
            if i
            else playlists.remove_entry(owner, playlist_id, entry_id, expected_version=3)
        ),
    )
    assert (len(results), len(errors)) == (1, 1)
    assert isinstance(errors[0], PreconditionFailed)
    after = playlists.get(owner, playlist_id)
    assert after["version"] == 4
    assert after["entryCount"] == (2 if "position" in results[0] else 1)


def test_writers_without_if_match_all_land(
    client: TestClient, sign_up: SignUp, services: Services, make_track
) -> None:
    ann = sign_up("crowd")
    track = make_track(ann, "Crowd")
    playlist_id = create(client, ann, "Everyone adds")["playlistId"]
    owner = principal(services, ann)

    results, errors = _race(8, lambda _: services.playlists.add_entry(owner, playlist_id, track))
    assert errors == []
    assert sorted(r["version"] for r in results) == list(range(2, 10))
    playlist = services.playlists.get(owner, playlist_id)
    assert playlist["entryCount"] == 8
    assert {e["entryId"] for e in playlist["entries"]} == {r["entryId"] for r in results}


# --- who may see and change what ----------------------------------------------------------------


def test_visibility_matrix_and_non_owner_writes(
    client: TestClient, sign_up: SignUp, services: Services, make_track
) -> None:
    owner, friend, stranger = sign_up("olive"), sign_up("fred"), sign_up("sid")
    services.friends.befriend(
        principal(services, owner).user_id, principal(services, friend).user_id
    )
    private = create(client, owner, "Private")["playlistId"]
    friends_only = create(client, owner, "Friends", visibility="friends")["playlistId"]
    public = create(client, owner, "Public", visibility="public")["playlistId"]
    expectations = {
        "owner": (owner, {private, friends_only, public}),
        "friend": (friend, {friends_only, public}),
        "stranger": (stranger, {public}),
        "anonymous": (None, {public}),
    }
    for who, (tokens, visible) in expectations.items():
        for playlist_id in (private, friends_only, public):
            code = get(client, f"{API}/{playlist_id}", tokens).status_code
            assert code == (200 if playlist_id in visible else 404), (who, playlist_id)
        listed = get(client, f"{API}?owner=olive", tokens).json()["items"]
        assert {p["playlistId"] for p in listed} == visible, who
    assert [p["playlistId"] for p in get(client, API).json()["items"]] == [public]
    assert get(client, f"{API}?owner=me").status_code == 404
    assert get(client, f"{API}?owner=nobody-here", owner).status_code == 404

    # Only the owner writes: 403 to those who can see the playlist, 404 to the others.
    track = make_track(stranger, "Stranger's", "public")
    assert (
        client.patch(f"{API}/{public}", headers=auth(stranger), json={"name": "mine"}).status_code
        == 403
    )
    assert (
        client.patch(f"{API}/{private}", headers=auth(stranger), json={"name": "mine"}).status_code
        == 404
    )
    assert add(client, friend, friends_only, track).status_code == 403
    assert add(client, stranger, private, track).status_code == 404
    assert client.delete(f"{API}/{public}", headers=auth(friend)).status_code == 403
    assert client.delete(f"{API}/{public}").status_code == 401
    assert add(client, owner, public, track).status_code == 201  # a public track: fine
    entry_id = entries(client, public, owner)[0]["entryId"]
    assert remove(client, stranger, public, entry_id).status_code == 403
    assert move(client, friend, public, entry_id, 0).status_code == 403
    assert len(entries(client, public, None)) == 1  # public: readable without signing in

    # A track the caller may not see cannot be added, even to their own playlist.
    hidden = make_track(stranger, "Hidden")
    assert add(client, owner, public, hidden).status_code == 404


def test_tracks_that_went_away_show_as_unavailable(
    client: TestClient, sign_up: SignUp, services: Services, make_track
) -> None:
    ann, bob = sign_up("annie"), sign_up("bobo")
    anns = make_track(ann, "Ann's", "public")
    bobs = make_track(bob, "Bob's", "public")
    playlist_id = create(client, bob, "Both", visibility="public")["playlistId"]
    for track in (anns, bobs, anns):
        assert add(client, bob, playlist_id, track).status_code == 201
    assert track_ids(client, playlist_id, None) == [anns, bobs, anns]

    # Ann hides her track: unavailable to everyone but Ann; the playlist still reads.
    client.patch(f"/api/v1/tracks/{anns}", headers=auth(ann), json={"visibility": "private"})
    for tokens in (bob, None):
        listed = entries(client, playlist_id, tokens)
        assert [e["unavailable"] for e in listed] == [True, False, True]
        assert listed[0] == {
            "entryId": listed[0]["entryId"],
            "position": 0,
            "track": None,
            "unavailable": True,
        }
    assert track_ids(client, playlist_id, ann) == [anns, bobs, anns]

    # A taken-down track is unavailable even to its owner.
    services.table.update(*track_key(bobs), set={"takenDown": True})
    assert track_ids(client, playlist_id, bob) == [None, None, None]

    # A deleted track is unavailable too; the entries stay until the owner removes them.
    assert client.delete(f"/api/v1/tracks/{anns}", headers=auth(ann)).status_code == 204
    body = get(client, f"{API}/{playlist_id}", ann).json()
    assert body["entryCount"] == 3
    assert [e["unavailable"] for e in body["entries"]] == [True, True, True]
    assert add(client, bob, playlist_id, anns).status_code == 404


def test_share_read_ignores_playlist_visibility_but_not_track_visibility(
    client: TestClient, sign_up: SignUp, services: Services, make_track
) -> None:
    ann, bob = sign_up("sharer"), sign_up("buddy")
    services.friends.befriend(principal(services, ann).user_id, principal(services, bob).user_id)
    own_private = make_track(ann, "Ann private")
    bobs_public = make_track(bob, "Bob public", "public")
    bobs_friends = make_track(bob, "Bob friends", "friends")
    playlist_id = create(client, ann, "Secret mix")["playlistId"]
    for track in (own_private, bobs_public, bobs_friends):
        assert add(client, ann, playlist_id, track).status_code == 201
    assert get(client, f"{API}/{playlist_id}").status_code == 404

    shared = services.playlists.get_for_share(playlist_id)
    assert shared["name"] == "Secret mix"
    assert [e["track"] and e["track"]["trackId"] for e in shared["entries"]] == [
        own_private,
        bobs_public,
        None,  # Bob's friends-only track is not Ann's to share
    ]
    assert all(e["track"] is None or e["track"]["likedByMe"] is False for e in shared["entries"])


# --- cursors and size ------------------------------------------------------------------------


def test_entry_pages_follow_the_list_even_when_it_changes(
    client: TestClient, sign_up: SignUp, make_track
) -> None:
    ann = sign_up("pager")
    track = make_track(ann, "Paged")
    playlist_id = create(client, ann, "Pages")["playlistId"]
    ids = [add(client, ann, playlist_id, track).json()["entryId"] for _ in range(5)]

    first = get(client, f"{API}/{playlist_id}?limit=2", ann).json()
    assert [e["entryId"] for e in first["entries"]] == ids[:2]
    # The last entry shown is removed before the next page: nothing is skipped.
    assert remove(client, ann, playlist_id, ids[1]).status_code == 204
    second = get(client, f"{API}/{playlist_id}?limit=2&cursor={first['nextCursor']}", ann).json()
    assert [e["entryId"] for e in second["entries"]] == ids[2:4]
    assert [e["position"] for e in second["entries"]] == [1, 2]
    last = get(client, f"{API}/{playlist_id}?limit=2&cursor={second['nextCursor']}", ann).json()
    assert ([e["entryId"] for e in last["entries"]], last["nextCursor"]) == (ids[4:], None)

    assert get(client, f"{API}/{playlist_id}?cursor=bogus", ann).status_code == 400
    assert get(client, f"{API}/{playlist_id}?limit=0", ann).status_code == 422
    assert get(client, f"{API}/{playlist_id}?limit=1001", ann).status_code == 422


def test_five_thousand_entries(
    client: TestClient, sign_up: SignUp, services: Services, make_track
) -> None:
    ann = sign_up("marathon")
    tracks = [make_track(ann, "Long A"), make_track(ann, "Long B")]
    playlist_id = create(client, ann, "Marathon")["playlistId"]
    owner = principal(services, ann)
    for _ in range(MAX_ENTRIES // 1000 - 1):
        services.playlists.add_entries(owner, playlist_id, tracks * 500)
    services.playlists.add_entries(owner, playlist_id, (tracks * 500)[:999])
    assert add(client, ann, playlist_id, tracks[0]).status_code == 201  # the 5,000th
    full = add(client, ann, playlist_id, tracks[1])
    assert full.status_code == 422
    assert "5,000" in full.json()["detail"]
    with pytest.raises(ValidationFailed):
        services.playlists.add_entries(owner, playlist_id, tracks)

    stored = services.table.get(*entries_key(playlist_id))
    assert stored is not None
    assert len(stored["entries"]) == MAX_ENTRIES
    assert item_size(stored) < 250_000  # well under DynamoDB's 400 KB

    first = get(client, f"{API}/{playlist_id}", ann)
    assert first.status_code == 200
    assert (len(first.json()["entries"]), first.json()["entryCount"]) == (200, MAX_ENTRIES)
    seen: list[dict[str, Any]] = []
    url: str | None = f"{API}/{playlist_id}?limit=1000"
    while url:
        page = get(client, url, ann).json()
        seen += page["entries"]
        url = page["nextCursor"] and f"{API}/{playlist_id}?limit=1000&cursor={page['nextCursor']}"
    assert [e["position"] for e in seen] == list(range(MAX_ENTRIES))
    assert len({e["entryId"] for e in seen}) == MAX_ENTRIES
    assert not any(e["unavailable"] for e in seen)
    assert [e["track"]["trackId"] for e in seen[:4]] == tracks * 2

    last = seen[-1]["entryId"]
    assert move(client, ann, playlist_id, last, 0).status_code == 200
    assert remove(client, ann, playlist_id, seen[0]["entryId"]).status_code == 204
    head = get(client, f"{API}/{playlist_id}?limit=2", ann).json()
    assert [e["entryId"] for e in head["entries"]] == [last, seen[1]["entryId"]]
    assert head["entryCount"] == MAX_ENTRIES - 1
