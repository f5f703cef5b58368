"""Administrators and private items: nobody's private track, photo, album or playlist
reaches an administrator, except the item of an open report, through the moderation
route, with an entry in the audit log (docs/security.md, "HTTP surface")."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from soundshelf.bootstrap import Services
from tests.http.helpers import bearer, get, run_worker
from tests.http.moderation_support import make_admin, make_photo, report, resolve


def _befriend(client: TestClient, asker: dict, friend: dict) -> None:
    asked = client.post(
        "/api/v1/friends/requests", headers=bearer(asker), json={"username": friend["username"]}
    ).json()
    accepted = client.post(
        f"/api/v1/friends/requests/{asked['requestId']}/accept", headers=bearer(friend)
    )
    assert accepted.status_code == 200, accepted.text


def _private_items(client, services, make_track, olga, tmp_path: Path) -> dict[str, str]:
    track = make_track(olga, "Diary", "private")
    album = client.post(
        "/api/v1/albums",
        headers=bearer(olga),
        json={"title": "Drafts", "artist": "Olga", "visibility": "private"},
    ).json()["albumId"]
    playlist = client.post(
        "/api/v1/playlists", headers=bearer(olga), json={"name": "Mine", "visibility": "private"}
    ).json()["playlistId"]
    photo = make_photo(client, services, olga, tmp_path / "me.jpg", "private")
    return {
        f"/api/v1/tracks/{track}": "track",
        f"/api/v1/tracks/{track}/stream?quality=original": "stream",
        f"/api/v1/tracks/{track}/waveform": "waveform",
        f"/api/v1/albums/{album}": "album",
        f"/api/v1/playlists/{playlist}": "playlist",
        f"/api/v1/photos/{photo}": "photo",
    }


def test_an_administrator_gets_404_on_private_items(
    client: TestClient, services: Services, sign_up: Callable, make_track, tmp_path: Path
) -> None:
    olga = sign_up("olga")
    root = make_admin(client, services, sign_up("root"))
    pages = _private_items(client, services, make_track, olga, tmp_path)

    for path, kind in pages.items():
        assert get(client, path, olga).status_code in (200, 302), kind  # the owner's own
        assert get(client, path, root).status_code == 404, kind
    for listing in ("tracks", "albums", "playlists", "photos"):
        items = get(client, f"/api/v1/{listing}?owner=olga", root).json()["items"]
        assert items == [], listing
    found = get(client, "/api/v1/search?q=Diary", root).json()
    assert found["tracks"] == []


def test_a_reported_item_reaches_an_administrator_only_while_reported_and_audited(
    client: TestClient, services: Services, sign_up: Callable, make_track
) -> None:
    olga, fan = sign_up("olga"), sign_up("fan")
    root = make_admin(client, services, sign_up("root"))
    _befriend(client, fan, olga)
    track = make_track(olga, "Bootleg", "friends")
    reported = report(client, fan, "track", track, reason="copyright")
    assert reported.status_code == 201, reported.text
    report_id = reported.json()["reportId"]
    # Made private after the report: still not for administrators' general browsing.
    client.patch(f"/api/v1/tracks/{track}", headers=bearer(olga), json={"visibility": "private"})
    assert get(client, f"/api/v1/tracks/{track}", root).status_code == 404

    opened = get(client, f"/api/v1/admin/reports/{report_id}/item", root)

    assert opened.status_code == 200, opened.text
    body = opened.json()
    assert (body["targetType"], body["targetId"]) == ("track", track)
    assert body["item"]["title"] == "Bootleg"
    # It can be judged by ear, from its listening copy (never the original file), which
    # the first look asked for.
    assert body["item"]["streamUrl"] is None
    assert run_worker(services) == 1
    again = get(client, f"/api/v1/admin/reports/{report_id}/item", root).json()
    assert client.get(again["item"]["streamUrl"]).status_code == 200
    entries = get(client, "/api/v1/admin/audit", root).json()["items"]
    (looked, _) = [e for e in entries if e["action"] == "admin.reported_item_viewed"]
    assert looked["actorName"] == "root"
    assert (looked["targetType"], looked["targetId"]) == ("track", track)
    assert looked["details"] == {"reportId": report_id}

    assert resolve(client, root, report_id, "dismiss").status_code == 200
    assert get(client, f"/api/v1/admin/reports/{report_id}/item", root).status_code == 404
    assert get(client, f"/api/v1/tracks/{track}", root).status_code == 404


def test_a_reported_share_link_shows_the_administrator_what_it_shares(
    client: TestClient, services: Services, sign_up: Callable, make_track
) -> None:
    olga, visitor = sign_up("olga"), sign_up("visitor")
    root = make_admin(client, services, sign_up("root"))
    track = make_track(olga, "Secret demo", "private")
    link = client.post(
        "/api/v1/shares", headers=bearer(olga), json={"targetType": "track", "targetId": track}
    ).json()
    report_id = report(client, visitor, "share", link["token"]).json()["reportId"]

    body = get(client, f"/api/v1/admin/reports/{report_id}/item", root).json()

    assert body["targetType"] == "share"
    assert body["item"]["shared"]["title"] == "Secret demo"
    assert get(client, f"/api/v1/tracks/{track}", root).status_code == 404


def test_only_administrators_open_reported_items(client: TestClient, sign_up: Callable) -> None:
    someone = sign_up("someone")
    assert get(client, "/api/v1/admin/reports/01HX/item", someone).status_code == 403
    assert get(client, "/api/v1/admin/reports/01HX/item").status_code == 401
