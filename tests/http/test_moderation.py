"""Reports, the moderation queue and takedowns on the embedded backend: who may report
what, one open report per person and item, the queue grouped by item, resolutions that
close every open report, and takedowns that hide an item from every list, search, playlist,
share link and stream for everyone but its owner and admins, until restored."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from soundshelf.bootstrap import Services
from soundshelf.config import Settings
from soundshelf.moderation import reports as reports_module
from tests import mediagen
from tests.http.helpers import bearer, get, run_worker, status, upload
from tests.http.moderation_support import (
    make_admin,
    make_photo,
    report,
    resolve,
    table_items,
    user_id,
)
from tests.support import FakeClock

SignUp = Callable[..., dict[str, str]]
Tokens = dict[str, str]
ADMIN = "/api/v1/admin"


def queue(client: TestClient, admin: Tokens, query: str = "") -> dict[str, Any]:
    response = get(client, f"{ADMIN}/reports{query}", admin)
    assert response.status_code == 200, response.text
    return response.json()


def notifications(client: TestClient, tokens: Tokens) -> list[dict[str, Any]]:
    return get(client, "/api/v1/notifications", tokens).json()["items"]


def take_down(
    client: TestClient, admin: Tokens, target_type: str, target_id: str, reason: str = "offensive"
) -> httpx.Response:
    return client.post(
        f"{ADMIN}/takedowns/{target_type}/{target_id}",
        headers=bearer(admin),
        json={"reason": reason, "note": "Against the rules"},
    )


def restore(client: TestClient, admin: Tokens, target_type: str, target_id: str):
    return client.post(
        f"{ADMIN}/takedowns/{target_type}/{target_id}/restore", headers=bearer(admin)
    )


def open_reports(client: TestClient, admin: Tokens) -> int:
    return get(client, f"{ADMIN}/stats", admin).json()["openReports"]


# --- reporting -------------------------------------------------------------------------------


def test_reports_need_a_visible_target_and_one_open_report_per_person(
    client: TestClient, services: Services, sign_up: SignUp, make_track, tmp_path: Path
) -> None:
    olga, rita = sign_up("olga"), sign_up("rita")
    root = make_admin(client, services, sign_up("root"))
    private = make_track(olga, "Hidden")
    public = make_track(olga, "Loud", "public")
    assert report(client, rita, "track", private).status_code == 404  # cannot see it
    assert report(client, rita, "track", "no-such-track").status_code == 404
    assert report(client, olga, "track", public).status_code == 422  # your own
    assert report(client, rita, "track", public, reason="boring").status_code == 422
    assert report(client, rita, "banana", public).status_code == 422
    assert client.post("/api/v1/reports", json={}).status_code == 401
    answer = upload(client, olga, mediagen.make_random(tmp_path / "f.bin", 3000), "text/plain")
    run_worker(services)
    file_id = get(client, f"/api/v1/uploads/{answer['uploadId']}", olga).json()["resultId"]
    assert report(client, rita, "file", file_id).status_code == 404  # files are private

    first = report(client, rita, "track", public, "copyright", details="That is my song")
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["status"], body["reason"], body["targetId"]) == ("open", "copyright", public)
    second = report(client, rita, "track", public, "spam")
    assert second.status_code == 409
    assert open_reports(client, root) == 1

    resolved = resolve(client, root, body["reportId"], "dismiss")
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["resolved"] == 1
    assert open_reports(client, root) == 0
    assert report(client, rita, "track", public, "spam").status_code == 201  # may report again


def test_the_queue_groups_reports_by_item_newest_first(
    client: TestClient, services: Services, sign_up: SignUp, make_track, clock: FakeClock
) -> None:
    olga, rita, sam = sign_up("olga"), sign_up("rita"), sign_up("sam")
    root = make_admin(client, services, sign_up("root"))
    alpha = make_track(olga, "Alpha", "public")
    beta = make_track(olga, "Beta", "public")
    for who, track, reason in (
        (rita, alpha, "spam"),
        (rita, beta, "offensive"),
        (sam, alpha, "copyright"),
    ):
        clock.advance(10)
        assert report(client, who, "track", track, reason).status_code == 201

    groups = queue(client, root, "?status=open")["items"]
    assert [g["targetId"] for g in groups] == [alpha, beta]  # alpha was reported last
    top = groups[0]
    assert (top["openCount"], top["totalCount"]) == (2, 2)
    assert top["reasons"] == {"copyright": 1, "offensive": 0, "illegal": 0, "spam": 1, "other": 0}
    assert top["target"] == {
        "title": "Alpha",
        "owner": "olga",
        "ownerId": user_id(client, olga),
        "visibility": "public",
        "takenDown": False,
    }
    clock.advance(10)
    report(client, sam, "track", beta, "offensive")
    first = queue(client, root, "?limit=1")
    assert [g["targetId"] for g in first["items"]] == [beta]
    rest = queue(client, root, f"?limit=1&cursor={first['nextCursor']}")
    assert [g["targetId"] for g in rest["items"]] == [alpha]

    detail = get(client, f"{ADMIN}/reports/{top['reportId']}", root).json()
    assert sorted(r["reporter"] for r in detail["reports"]) == ["rita", "sam"]
    assert {r["reason"] for r in detail["reports"]} == {"spam", "copyright"}

    assert resolve(client, root, top["reportId"], "dismiss", note="Fine").status_code == 200
    assert [g["targetId"] for g in queue(client, root)["items"]] == [beta]
    (done,) = queue(client, root, "?status=resolved")["items"]
    assert done["targetId"] == alpha
    assert done["resolution"]["action"] == "dismiss"
    assert done["resolution"]["reports"] == 2
    closed = get(client, f"{ADMIN}/reports/{top['reportId']}", root).json()["reports"]
    assert {r["status"] for r in closed} == {"dismissed"}
    again = resolve(client, root, top["reportId"], "dismiss")
    assert again.status_code == 409
    assert open_reports(client, root) == 2
    assert get(client, f"{ADMIN}/reports/nope", root).status_code == 404
    assert get(client, f"{ADMIN}/reports?status=maybe", root).status_code == 422


def test_resolving_closes_every_open_report_of_the_item_even_through_the_queue(
    client: TestClient,
    services: Services,
    sign_up: SignUp,
    make_track,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reports_module, "CLOSE_BATCH", 1)
    monkeypatch.setattr(reports_module, "INLINE_CLOSE_BATCHES", 1)
    olga = sign_up("olga")
    reporters = [sign_up(name) for name in ("rita", "sam", "tom")]
    root = make_admin(client, services, sign_up("root"))
    track = make_track(olga, "Contested", "public")
    ids = [report(client, who, "track", track).json()["reportId"] for who in reporters]

    resolved = resolve(client, root, ids[0], "dismiss")  # any report of the item will do
    assert resolved.json()["resolved"] == 3
    assert open_reports(client, root) == 0
    statuses = [
        r["status"] for r in get(client, f"{ADMIN}/reports/{ids[0]}", root).json()["reports"]
    ]
    assert statuses.count("open") == 2  # one closed in the request, the rest queued
    run_worker(services)
    statuses = [
        r["status"] for r in get(client, f"{ADMIN}/reports/{ids[0]}", root).json()["reports"]
    ]
    assert statuses == ["dismissed"] * 3
    for who in reporters:  # their locks are gone
        assert report(client, who, "track", track).status_code == 201
    assert open_reports(client, root) == 3


# --- takedowns ---------------------------------------------------------------------------------


def _where_others_see_it(
    client: TestClient, fan: Tokens, track: str, album: str, playlist: str, link: str
) -> dict[str, bool]:
    """Every place a public track shows up for someone who is not its owner."""

    def ids(response: httpx.Response, key: str = "items") -> list[str]:
        return [t["trackId"] for t in response.json()[key]]

    stream = client.get(
        f"/api/v1/tracks/{track}/stream", headers=bearer(fan), follow_redirects=False
    )
    entry = get(client, f"/api/v1/playlists/{playlist}", fan).json()["entries"][0]
    found = get(client, "/api/v1/search?q=forbidden", fan).json()["tracks"]
    return {
        "track page": get(client, f"/api/v1/tracks/{track}", fan).status_code == 200,
        "stream": stream.status_code == 302,
        "public feed": track in ids(get(client, "/api/v1/tracks")),
        "owner's list": track in ids(get(client, "/api/v1/tracks?owner=arty", fan)),
        "artist page": track in ids(get(client, "/api/v1/artists/arty"), "tracks"),
        "album": track in ids(get(client, f"/api/v1/albums/{album}", fan), "tracks"),
        "likes": track in ids(get(client, "/api/v1/me/likes", fan)),
        "search": [t["trackId"] for t in found] == [track],
        "playlist": not entry["unavailable"],
        "share link": get(client, f"/api/v1/public/shares/{link}").status_code == 200,
    }


def test_a_takedown_hides_a_track_everywhere_until_restored(
    client: TestClient, services: Services, sign_up: SignUp, make_track
) -> None:
    arty, fan = sign_up("arty"), sign_up("fan")
    root = make_admin(client, services, sign_up("root"))
    client.put("/api/v1/me/artist", headers=bearer(arty), json={"name": "Arty"})
    track = make_track(arty, "Forbidden Song", "public")
    album = client.post(
        "/api/v1/albums",
        headers=bearer(arty),
        json={"title": "Album", "artist": "Arty", "visibility": "public"},
    ).json()["albumId"]
    client.patch(f"/api/v1/tracks/{track}", headers=bearer(arty), json={"albumId": album})
    playlist = client.post(
        "/api/v1/playlists", headers=bearer(fan), json={"name": "Mix", "visibility": "public"}
    ).json()["playlistId"]
    client.post(
        f"/api/v1/playlists/{playlist}/entries", headers=bearer(fan), json={"trackId": track}
    )
    client.put(f"/api/v1/tracks/{track}/like", headers=bearer(fan))
    link = client.post(
        "/api/v1/shares", headers=bearer(arty), json={"targetType": "track", "targetId": track}
    ).json()["token"]
    everywhere = _where_others_see_it(client, fan, track, album, playlist, link)
    assert all(everywhere.values()), everywhere

    reported = report(client, fan, "track", track, "copyright").json()
    taken = resolve(client, root, reported["reportId"], "takedown", note="Licensed elsewhere")
    assert taken.status_code == 200, taken.text
    assert taken.json()["target"]["takenDown"] is True
    nowhere = _where_others_see_it(client, fan, track, album, playlist, link)
    assert not any(nowhere.values()), nowhere
    assert get(client, f"/api/v1/tracks/{track}").status_code == 404  # anonymous too
    assert report(client, fan, "track", track).status_code == 404

    # The owner still has it, marked; the owner knows why, not who. Its reports are
    # resolved, so administrators no longer see it either.
    mine = get(client, f"/api/v1/tracks/{track}", arty).json()
    assert mine["status"] == "taken_down"
    assert track in [
        t["trackId"] for t in get(client, "/api/v1/tracks?owner=me", arty).json()["items"]
    ]
    assert get(client, f"/api/v1/tracks/{track}", root).status_code == 404
    (told,) = [n for n in notifications(client, arty) if n["kind"] == "takedown"]
    assert told["data"] == {
        "targetType": "track",
        "targetId": track,
        "title": "Forbidden Song",
        "reason": "copyright",
        "note": "Licensed elsewhere",
    }
    assert "fan" not in json.dumps(notifications(client, arty))

    restored = restore(client, root, "track", track)
    assert restored.status_code == 200
    assert restored.json()["takenDown"] is False
    back = _where_others_see_it(client, fan, track, album, playlist, link)
    assert all(back.values()), back
    assert get(client, f"/api/v1/tracks/{track}", arty).json()["status"] == "ready"
    assert "restored" in [n["kind"] for n in notifications(client, arty)]


def test_albums_playlists_and_photos_leave_every_list_when_taken_down(
    client: TestClient, services: Services, sign_up: SignUp, tmp_path: Path
) -> None:
    olga, viewer = sign_up("olga"), sign_up("viewer")
    root = make_admin(client, services, sign_up("root"))
    album = client.post(
        "/api/v1/albums",
        headers=bearer(olga),
        json={"title": "Cover Art", "artist": "Olga", "visibility": "public"},
    ).json()["albumId"]
    playlist = client.post(
        "/api/v1/playlists", headers=bearer(olga), json={"name": "Loud", "visibility": "public"}
    ).json()["playlistId"]
    photo = make_photo(client, services, olga, tmp_path / "p.jpg", "public")

    def seen() -> dict[str, bool]:
        albums = get(client, "/api/v1/albums?owner=olga", viewer).json()["items"]
        playlists = get(client, "/api/v1/playlists").json()["items"]
        photos = get(client, "/api/v1/photos?owner=olga", viewer).json()["items"]
        return {
            "album page": get(client, f"/api/v1/albums/{album}", viewer).status_code == 200,
            "album list": [a["albumId"] for a in albums] == [album],
            "playlist page": get(client, f"/api/v1/playlists/{playlist}").status_code == 200,
            "public playlists": [p["playlistId"] for p in playlists] == [playlist],
            "photo page": get(client, f"/api/v1/photos/{photo}", viewer).status_code == 200,
            "gallery": [p["photoId"] for p in photos] == [photo],
        }

    assert all(seen().values())
    for target_type, target_id in (("album", album), ("playlist", playlist), ("photo", photo)):
        answer = take_down(client, root, target_type, target_id)
        assert answer.status_code == 200, answer.text
        assert take_down(client, root, target_type, target_id).json()["takenDown"] is True
    assert not any(seen().values()), seen()
    assert get(client, f"/api/v1/albums/{album}", olga).status_code == 200
    assert get(client, f"/api/v1/playlists/{playlist}", olga).status_code == 200
    assert get(client, f"/api/v1/photos/{photo}", olga).json()["status"] == "taken_down"
    kinds = [n["kind"] for n in notifications(client, olga)]
    assert kinds.count("takedown") == 3  # taking down twice tells once
    for target_type, target_id in (("album", album), ("playlist", playlist), ("photo", photo)):
        assert restore(client, root, target_type, target_id).status_code == 200
    assert all(seen().values())
    assert take_down(client, root, "track", "nothing").status_code == 404
    assert take_down(client, root, "planet", "x").status_code == 422


def test_owners_see_their_taken_down_albums_playlists_photos_and_files_marked(
    client: TestClient, services: Services, sign_up: SignUp, tmp_path: Path
) -> None:
    olga, viewer = sign_up("olga"), sign_up("viewer")
    root = make_admin(client, services, sign_up("root"))
    public = {"visibility": "public"}
    album = client.post(
        "/api/v1/albums", headers=bearer(olga), json={"title": "Loud", "artist": "Olga", **public}
    ).json()["albumId"]
    playlist = client.post(
        "/api/v1/playlists", headers=bearer(olga), json={"name": "Loud", **public}
    ).json()["playlistId"]
    photo = make_photo(client, services, olga, tmp_path / "p.jpg", "public")
    notes = tmp_path / "notes.txt"
    notes.write_text("setlist: intro, verse, chorus\n")
    uploaded = upload(client, olga, notes, "text/plain")
    run_worker(services)
    file = status(client, olga, uploaded["uploadId"])["resultId"]
    pages = {
        "album": f"/api/v1/albums/{album}",
        "playlist": f"/api/v1/playlists/{playlist}",
        "photo": f"/api/v1/photos/{photo}",
        "file": f"/api/v1/files/{file}",
    }
    lists = {
        "album": ("/api/v1/albums?owner=me", "albumId", album),
        "playlist": ("/api/v1/playlists?owner=me", "playlistId", playlist),
        "photo": ("/api/v1/photos?owner=me", "photoId", photo),
        "file": ("/api/v1/files", "fileId", file),
    }

    def owner_sees() -> dict[str, tuple[str, str]]:
        """kind -> (status on the item's page, status in the owner's list)."""
        seen = {}
        for kind, path in pages.items():
            page = get(client, path, olga)
            assert page.status_code == 200, (kind, page.text)
            url, key, item_id = lists[kind]
            (listed,) = [i for i in get(client, url, olga).json()["items"] if i[key] == item_id]
            seen[kind] = (page.json()["status"], listed["status"])
        return seen

    assert set(owner_sees().values()) == {("ready", "ready")}
    for kind in pages:
        assert take_down(client, root, kind, lists[kind][2]).status_code == 200

    assert set(owner_sees().values()) == {("taken_down", "taken_down")}
    for kind, path in pages.items():
        assert get(client, path, viewer).status_code == 404, kind
        assert get(client, path).status_code == (401 if kind == "file" else 404), kind
    assert get(client, pages["album"], root).status_code == 404  # administrators too
    assert get(client, "/api/v1/albums?owner=olga", viewer).json()["items"] == []

    for kind in pages:
        assert restore(client, root, kind, lists[kind][2]).status_code == 200
    assert set(owner_sees().values()) == {("ready", "ready")}
    assert get(client, pages["album"], viewer).json()["status"] == "ready"


def test_an_artist_takedown_hides_the_artist_page(
    client: TestClient, services: Services, sign_up: SignUp
) -> None:
    arty, fan = sign_up("arty"), sign_up("fan")
    root = make_admin(client, services, sign_up("root"))
    client.put("/api/v1/me/artist", headers=bearer(arty), json={"name": "Impostor"})
    reported = report(client, fan, "artist", "arty", "other", details="Not the real band")
    assert reported.status_code == 201, reported.text
    assert reported.json()["targetId"] == user_id(client, arty)
    resolve(client, root, reported.json()["reportId"], "takedown")
    assert get(client, "/api/v1/artists/arty").status_code == 404
    assert client.put("/api/v1/artists/arty/follow", headers=bearer(fan)).status_code == 404
    assert get(client, "/api/v1/search?q=impostor", fan).json()["artists"] == []
    # Turning the artist role off and on again does not bring the page back.
    client.delete("/api/v1/me/artist", headers=bearer(arty))
    client.put("/api/v1/me/artist", headers=bearer(arty), json={"name": "Impostor"})
    assert get(client, "/api/v1/artists/arty").status_code == 404
    users = get(client, f"{ADMIN}/users?q=arty", root).json()["items"]
    assert users[0]["artistTakenDown"] is True

    restore(client, root, "artist", user_id(client, arty))
    assert get(client, "/api/v1/artists/arty").status_code == 200
    assert [a["name"] for a in get(client, "/api/v1/search?q=impostor", fan).json()["artists"]]


def test_a_reported_share_link_is_found_by_its_token_and_killed_by_a_takedown(
    client: TestClient, services: Services, settings: Settings, sign_up: SignUp, make_track
) -> None:
    owner, holder = sign_up("owner"), sign_up("holder")
    root = make_admin(client, services, sign_up("root"))
    track = make_track(owner, "Spam Link")
    link = client.post(
        "/api/v1/shares", headers=bearer(owner), json={"targetType": "track", "targetId": track}
    ).json()
    reported = report(client, holder, "share", link["token"], "spam")
    assert reported.status_code == 201, reported.text
    assert reported.json()["targetId"] == link["shareId"]
    assert link["token"] not in json.dumps(table_items(settings.data_dir))  # never stored
    assert report(client, holder, "share", "x" * 22).status_code == 404

    resolve(client, root, reported.json()["reportId"], "takedown")
    assert get(client, f"/api/v1/public/shares/{link['token']}").status_code == 404
    restore(client, root, "share", link["shareId"])
    assert get(client, f"/api/v1/public/shares/{link['token']}").status_code == 200
