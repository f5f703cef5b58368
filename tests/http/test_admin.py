"""Administration on the embedded backend: the admin guard on every route, user
management (search, roles, disabling, deletion with every item, blob and index entry),
platform statistics, the audit log and personal data exports."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from soundshelf.bootstrap import Services
from soundshelf.config import Settings
from soundshelf.moderation import deletion
from tests import mediagen
from tests.http.conftest import PASSWORD
from tests.http.helpers import bearer, get, run_worker, upload
from tests.http.moderation_support import (
    make_admin,
    make_photo,
    report,
    table_items,
    user_id,
)
from tests.support import FakeClock, code_from_outbox

SignUp = Callable[..., dict[str, str]]
Tokens = dict[str, str]
ADMIN = "/api/v1/admin"


def login(client: TestClient, username: str) -> Tokens:
    """A fresh session (after the clock moved past the access token's life)."""
    answer = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return answer.json()


def patch_user(client: TestClient, admin: Tokens, target: str, **body: Any) -> httpx.Response:
    return client.patch(f"{ADMIN}/users/{target}", headers=bearer(admin), json=body)


# --- the guard ---------------------------------------------------------------------------------


def admin_operations(client: TestClient) -> list[tuple[str, str]]:
    """(method, path) of every admin route the OpenAPI document describes, with dummy
    values in the path parameters."""
    spec = client.get("/api/openapi.json").json()
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", "dummy", path))
        for path, methods in spec["paths"].items()
        if path.startswith(ADMIN)
        for method in methods
    ]


def test_every_admin_route_is_for_admins_only(
    client: TestClient, services: Services, sign_up: SignUp
) -> None:
    listener = sign_up("lisa")
    root = make_admin(client, services, sign_up("root"))
    operations = admin_operations(client)
    assert len(operations) >= 11  # reports, takedowns, users, stats, audit
    for method, path in operations:
        body = {"json": {}} if method in {"POST", "PUT", "PATCH"} else {}
        as_listener = client.request(method, path, headers=bearer(listener), **body)
        assert as_listener.status_code == 403, (method, path, as_listener.text)
        assert as_listener.json()["code"] == "forbidden"
        assert client.request(method, path, **body).status_code == 401, (method, path)
    # ...and the guard lets admins through.
    assert get(client, f"{ADMIN}/stats", root).status_code == 200


# --- finding and changing users --------------------------------------------------------------


def test_admins_find_users_by_username_prefix_with_their_usage(
    client: TestClient, services: Services, sign_up: SignUp, make_track, clock: FakeClock
) -> None:
    root = make_admin(client, services, sign_up("root"))
    users = {}
    for name in ("beatrix", "bernard", "carla"):
        clock.advance(1)  # sign-up order is listing order
        users[name] = sign_up(name)
    make_track(users["beatrix"], "Song")

    found = get(client, f"{ADMIN}/users?q=BE", root).json()
    assert [u["username"] for u in found["items"]] == ["beatrix", "bernard"]
    first = found["items"][0]
    assert first["trackCount"] == 1
    assert first["storageBytes"] > 0
    assert (first["photoCount"], first["fileCount"]) == (0, 0)
    assert first["email"] == "beatrix@example.com"
    assert first["roles"] == ["listener"]
    assert get(client, f"{ADMIN}/users?q=zz", root).json()["items"] == []

    page = get(client, f"{ADMIN}/users?limit=2", root).json()
    assert [u["username"] for u in page["items"]] == ["carla", "bernard"]  # newest first
    rest = get(client, f"{ADMIN}/users?limit=2&cursor={page['nextCursor']}", root).json()
    assert [u["username"] for u in rest["items"]] == ["beatrix", "root"]
    one = get(client, f"{ADMIN}/users/{first['userId']}", root).json()
    assert one["username"] == "beatrix"
    assert get(client, f"{ADMIN}/users/nobody", root).status_code == 404


def test_roles_granted_and_revoked_take_effect_on_the_next_request(
    client: TestClient, services: Services, sign_up: SignUp
) -> None:
    root = make_admin(client, services, sign_up("root"))
    ann = sign_up("ann")
    ann_id = user_id(client, ann)
    assert get(client, f"{ADMIN}/stats", ann).status_code == 403
    granted = patch_user(client, root, ann_id, roles=["artist", "admin"])
    assert granted.status_code == 200, granted.text
    assert granted.json()["roles"] == ["listener", "artist", "admin"]
    assert get(client, f"{ADMIN}/stats", ann).status_code == 200
    assert get(client, "/api/v1/me", ann).json()["roles"] == ["listener", "artist", "admin"]
    revoked = patch_user(client, root, ann_id, roles=["listener"])
    assert revoked.json()["roles"] == ["listener"]
    assert get(client, f"{ADMIN}/stats", ann).status_code == 403
    assert patch_user(client, root, ann_id, roles=["wizard"]).status_code == 422
    assert patch_user(client, root, "nobody", roles=[]).status_code == 404


def test_the_last_admin_cannot_demote_or_disable_themselves(
    client: TestClient, services: Services, sign_up: SignUp
) -> None:
    root = make_admin(client, services, sign_up("root"))
    root_id = user_id(client, root)
    alone = patch_user(client, root, root_id, roles=[])
    assert alone.status_code == 409
    assert alone.json()["code"] == "last_admin"
    assert patch_user(client, root, root_id, disabled=True).status_code == 409
    assert get(client, f"{ADMIN}/stats", root).status_code == 200  # still an admin

    ann = sign_up("ann")
    ann_id = user_id(client, ann)
    patch_user(client, root, ann_id, roles=["admin"])
    patch_user(client, root, ann_id, disabled=True)  # a disabled admin does not count
    assert patch_user(client, root, root_id, roles=[]).status_code == 409
    patch_user(client, root, ann_id, disabled=False)
    stepped_down = patch_user(client, root, root_id, roles=[])
    assert stepped_down.status_code == 200, stepped_down.text
    assert get(client, f"{ADMIN}/stats", root).status_code == 403
    # Now Ann is the last one.
    assert patch_user(client, ann, ann_id, roles=["artist"]).json()["code"] == "last_admin"


def test_disabling_stops_tokens_api_keys_and_share_links_at_once(
    client: TestClient, services: Services, sign_up: SignUp, make_track, clock: FakeClock
) -> None:
    root = make_admin(client, services, sign_up("root"))
    mo = sign_up("moe")
    mo_id = user_id(client, mo)
    track = make_track(mo, "Tune")
    key = client.post("/api/v1/me/api-keys", headers=bearer(mo), json={"name": "cli"})
    api_key = {"X-Api-Key": key.json()["key"]}
    link = client.post(
        "/api/v1/shares", headers=bearer(mo), json={"targetType": "track", "targetId": track}
    ).json()["token"]
    shared = f"/api/v1/public/shares/{link}"
    assert get(client, "/api/v1/me", mo).status_code == 200
    assert client.get("/api/v1/me", headers=api_key).status_code == 200
    assert client.get(shared).status_code == 200

    clock.advance(1)
    disabled = patch_user(client, root, mo_id, disabled=True)
    assert disabled.json()["disabled"] is True
    refused = get(client, "/api/v1/me", mo)
    assert refused.status_code == 403
    assert refused.json()["code"] == "user_disabled"
    assert client.get("/api/v1/me", headers=api_key).status_code == 403
    assert client.get(shared).status_code == 404
    credentials = {"username": "moe", "password": PASSWORD}
    assert client.post("/api/v1/auth/login", json=credentials).status_code == 403
    refreshed = client.post("/api/v1/auth/refresh", json={"refreshToken": mo["refreshToken"]})
    assert refreshed.status_code in (401, 403)

    patch_user(client, root, mo_id, disabled=False)
    assert client.get("/api/v1/me", headers=api_key).status_code == 200
    assert client.get(shared).status_code == 200
    assert get(client, "/api/v1/me", mo).status_code == 401  # that session ended for good
    fresh = client.post("/api/v1/auth/login", json=credentials)
    assert get(client, "/api/v1/me", fresh.json()).status_code == 200


# --- deleting an account ------------------------------------------------------------------------


def _mentions(items: list[dict[str, Any]], needle: str) -> list[dict[str, Any]]:
    """Items that mention ``needle`` anywhere, except the audit log (kept by design)."""
    return [i for i in items if needle in json.dumps(i) and i["PK"] != "AUDIT"]


def _build_a_life(
    client: TestClient,
    services: Services,
    tmp_path: Path,
    make_track,
    me: Tokens,
    otto: Tokens,
) -> dict[str, Any]:
    """Everything an active account leaves around: items, edges both ways, counters on
    other people's items, requests, notifications, feeds, reports, shares, keys, an export.
    (Thea gets a friend request that stays pending.)"""
    client.put("/api/v1/me/artist", headers=bearer(me), json={"name": "Doomed Band"})
    client.put("/api/v1/me/artist", headers=bearer(otto), json={"name": "Otto"})
    song = make_track(me, "Farewell Anthem", "public")
    theirs = make_track(otto, "Otto Tune", "public")
    album = client.post(
        "/api/v1/albums",
        headers=bearer(me),
        json={"title": "Last Album", "artist": "Doomed Band", "visibility": "public"},
    ).json()["albumId"]
    client.patch(f"/api/v1/tracks/{song}", headers=bearer(me), json={"albumId": album})
    mine = client.post("/api/v1/playlists", headers=bearer(me), json={"name": "Mine"}).json()
    client.post(
        f"/api/v1/playlists/{mine['playlistId']}/entries",
        headers=bearer(me),
        json={"trackId": song},
    )
    ottos = client.post(
        "/api/v1/playlists", headers=bearer(otto), json={"name": "Otto's", "visibility": "public"}
    ).json()
    client.post(
        f"/api/v1/playlists/{ottos['playlistId']}/entries",
        headers=bearer(otto),
        json={"trackId": song},
    )
    for who, track in ((me, theirs), (otto, song)):
        assert client.put(f"/api/v1/tracks/{track}/like", headers=bearer(who)).status_code == 204
        client.post(f"/api/v1/tracks/{track}/plays", headers=bearer(who))
    client.post(f"/api/v1/tracks/{song}/plays", headers=bearer(me))
    client.put("/api/v1/artists/otto/follow", headers=bearer(me))
    client.put("/api/v1/artists/doomed/follow", headers=bearer(otto))
    asked = client.post(
        "/api/v1/friends/requests", headers=bearer(otto), json={"username": "doomed"}
    ).json()
    client.post(f"/api/v1/friends/requests/{asked['requestId']}/accept", headers=bearer(me))
    client.post("/api/v1/friends/requests", headers=bearer(me), json={"username": "thea"})
    photo = make_photo(client, services, me, tmp_path / "doomed.jpg", "friends")
    upload(client, me, mediagen.make_random(tmp_path / "notes.bin", 5000), "application/x-bin")
    client.post(
        "/api/v1/shares", headers=bearer(me), json={"targetType": "track", "targetId": song}
    )
    client.post("/api/v1/me/api-keys", headers=bearer(me), json={"name": "cli"})
    assert report(client, otto, "track", song).status_code == 201
    assert report(client, me, "track", theirs).status_code == 201
    client.post("/api/v1/me/export", headers=bearer(me))
    run_worker(services)
    return {"song": song, "theirs": theirs, "photo": photo, "ottos": ottos["playlistId"]}


def test_deleting_an_account_removes_every_item_blob_and_index_entry(
    client: TestClient,
    services: Services,
    settings: Settings,
    sign_up: SignUp,
    make_track,
    clock: FakeClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(deletion, "PAGES_PER_RUN", 3)  # the job must re-queue itself
    root = make_admin(client, services, sign_up("root"))
    otto, thea = sign_up("otto"), sign_up("thea")
    doomed = sign_up("doomed")
    doomed_id = user_id(client, doomed)
    life = _build_a_life(client, services, tmp_path, make_track, doomed, otto)
    assert len(get(client, "/api/v1/friends/requests", thea).json()["incoming"]["items"]) == 1
    feed = get(client, "/api/v1/photos?owner=friends", otto).json()["items"]
    assert [p["photoId"] for p in feed] == [life["photo"]]  # a pointer in Otto's feed
    before = _mentions(table_items(settings.data_dir), doomed_id)
    assert len(before) > 40  # the check below could fail
    assert any(doomed_id in key for key in services.blobs.list(""))
    searched = get(client, "/api/v1/search?q=farewell", otto).json()["tracks"]
    assert [t["trackId"] for t in searched] == [life["song"]]

    clock.advance(1)
    answer = client.delete(f"{ADMIN}/users/{doomed_id}", headers=bearer(root))
    assert answer.status_code == 202, answer.text
    assert answer.json()["deleting"] is True
    assert get(client, "/api/v1/me", doomed).status_code == 403  # at once
    assert client.delete(f"{ADMIN}/users/{doomed_id}", headers=bearer(root)).status_code == 202
    run_worker(services)

    assert _mentions(table_items(settings.data_dir), doomed_id) == []
    assert [key for key in services.blobs.list("") if doomed_id in key] == []
    assert get(client, f"{ADMIN}/users/{doomed_id}", root).status_code == 404
    refresh = client.post("/api/v1/auth/refresh", json={"refreshToken": doomed["refreshToken"]})
    assert refresh.status_code == 401
    # Other people's things are intact and their counters right.
    theirs = get(client, f"/api/v1/tracks/{life['theirs']}", otto).json()
    assert theirs["likeCount"] == 0
    assert get(client, "/api/v1/artists/otto", otto).json()["followerCount"] == 0
    entries = get(client, f"/api/v1/playlists/{life['ottos']}", otto).json()["entries"]
    assert [e["unavailable"] for e in entries] == [True]
    assert get(client, "/api/v1/friends", otto).json()["items"] == []
    assert get(client, "/api/v1/friends/requests", thea).json()["incoming"]["items"] == []
    assert get(client, "/api/v1/photos?owner=friends", otto).json()["items"] == []
    assert get(client, "/api/v1/search?q=farewell", root).json()["tracks"] == []
    stats = get(client, f"{ADMIN}/stats", root).json()
    assert stats["users"]["total"] == 3
    assert stats["items"]["tracks"] == 1
    assert stats["openReports"] == 1  # the report doomed made stays, anonymously
    queue = get(client, f"{ADMIN}/reports", root).json()["items"]
    assert [g["targetId"] for g in queue] == [life["theirs"]]
    actions = [e["action"] for e in get(client, f"{ADMIN}/audit", root).json()["items"]]
    assert actions.count("account.deleted") == 1
    assert "account.deletion_requested" in actions

    # The username is held while old refresh tokens could still be presented.
    taken = client.post(
        "/api/v1/auth/signup",
        json={"username": "doomed", "email": "new@example.com", "password": PASSWORD},
    )
    assert taken.json()["code"] == "username_taken"
    clock.advance(deletion.USERNAME_HOLD + 1)
    run_worker(services)
    reborn = sign_up("doomed")  # same username and email, a new account
    assert user_id(client, reborn) != doomed_id


def test_admins_cannot_delete_themselves_and_unknown_users_are_404(
    client: TestClient, services: Services, sign_up: SignUp
) -> None:
    root = make_admin(client, services, sign_up("root"))
    assert (
        client.delete(f"{ADMIN}/users/{user_id(client, root)}", headers=bearer(root)).status_code
        == 409
    )
    assert client.delete(f"{ADMIN}/users/nobody", headers=bearer(root)).status_code == 404


# --- statistics ---------------------------------------------------------------------------------


def test_platform_stats_come_from_counters(
    client: TestClient, services: Services, sign_up: SignUp, make_track, clock: FakeClock
) -> None:
    root = make_admin(client, services, sign_up("root"))
    ann = sign_up("ann")
    track = make_track(ann, "Counted", "public")
    for who in (ann, root, root):
        client.post(f"/api/v1/tracks/{track}/plays", headers=bearer(who))
    assert report(client, root, "track", track).status_code == 201

    stats = get(client, f"{ADMIN}/stats", root).json()
    today = datetime.fromtimestamp(clock.now(), UTC).strftime("%Y-%m-%d")
    assert stats["users"]["total"] == 2
    assert len(stats["users"]["newPerDay"]) == 30
    assert stats["users"]["newPerDay"][-1] == {"date": today, "count": 2}
    assert stats["items"] == {"tracks": 1, "photos": 0, "files": 0}
    stored = services.tracks.load(track)
    expected = stored["size"] + stored["derivedBytes"]
    assert stats["storageBytes"]["tracks"] == expected == stats["storageBytes"]["total"]
    assert stats["playsPerDay"][-1] == {"date": today, "count": 3}
    assert stats["openReports"] == 1

    client.delete(f"/api/v1/tracks/{track}", headers=bearer(ann))
    clock.advance(86_400)
    later = get(client, f"{ADMIN}/stats", login(client, "root")).json()
    assert later["items"]["tracks"] == 0
    assert later["storageBytes"]["total"] == 0
    yesterday = (datetime.fromtimestamp(clock.now(), UTC) - timedelta(days=1)).strftime("%Y-%m-%d")
    assert later["users"]["newPerDay"][-2:] == [
        {"date": yesterday, "count": 2},
        {"date": later["users"]["newPerDay"][-1]["date"], "count": 0},
    ]
    assert later["playsPerDay"][-2]["count"] == 3


# --- the audit log -------------------------------------------------------------------------------


def test_security_and_admin_actions_are_audited_with_request_ids(
    client: TestClient,
    services: Services,
    settings: Settings,
    sign_up: SignUp,
    make_track,
) -> None:
    root = make_admin(client, services, sign_up("root"))
    ann = sign_up("ann")
    ann_id = user_id(client, ann)

    def as_(tokens: Tokens | None, request_id: str) -> dict[str, str]:
        return {**(bearer(tokens) if tokens else {}), "X-Request-Id": request_id}

    key = client.post("/api/v1/me/api-keys", headers=as_(ann, "r-key-new"), json={"name": "k"})
    client.delete(f"/api/v1/me/api-keys/{key.json()['keyId']}", headers=as_(ann, "r-key-del"))
    track = make_track(ann, "Shared")
    link = client.post(
        "/api/v1/shares",
        headers=as_(ann, "r-share-new"),
        json={"targetType": "track", "targetId": track},
    ).json()
    client.delete(f"/api/v1/shares/{link['shareId']}", headers=as_(ann, "r-share-del"))
    wrong = {"username": "ann", "password": "not the password"}
    answers = [
        client.post("/api/v1/auth/login", headers=as_(None, f"r-login-{n}"), json=wrong)
        for n in range(7)
    ]
    assert [a.status_code for a in answers] == [401] * 5 + [429] * 2
    client.post("/api/v1/auth/forgot-password", json={"username": "ann"})
    code = code_from_outbox(settings.data_dir, "ann@example.com")
    reset = client.post(
        "/api/v1/auth/reset-password",
        headers=as_(None, "r-reset"),
        json={"username": "ann", "code": code, "newPassword": "another fine password"},
    )
    assert reset.status_code == 204
    patch_user(client, root, ann_id, roles=["artist"])

    everything = get(client, f"{ADMIN}/audit?limit=200", root).json()["items"]
    by_action = {e["action"]: e for e in everything}
    expected = {
        "apikey.created": "r-key-new",
        "apikey.revoked": "r-key-del",
        "share.created": "r-share-new",
        "share.revoked": "r-share-del",
        "auth.login_throttled": "r-login-4",  # the failure that reached the limit
        "auth.password_reset": "r-reset",
    }
    for action, request_id in expected.items():
        assert by_action[action]["requestId"] == request_id, action
    assert [e["action"] for e in everything].count("auth.login_throttled") == 1
    assert by_action["apikey.created"]["actorName"] == "ann"
    assert by_action["share.created"]["details"] == {"targetType": "track", "targetId": track}
    assert by_action["auth.login_throttled"]["actorId"] is None
    assert by_action["auth.login_throttled"]["targetId"] == "ann"
    change = by_action["admin.user_updated"]
    assert (change["actorName"], change["targetId"]) == ("root", ann_id)
    assert change["details"]["after"]["roles"] == ["artist"]
    assert change["requestId"]
    assert everything == sorted(everything, key=lambda e: e["at"], reverse=True)

    # Paging gives the same entries; the actor filter only theirs.
    paged, cursor = [], None
    while True:
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        page = get(client, f"{ADMIN}/audit{query}", root).json()
        paged += page["items"]
        if not (cursor := page["nextCursor"]):
            break
    assert paged == everything
    anns = get(client, f"{ADMIN}/audit?actor={ann_id}", root).json()["items"]
    assert sorted(e["action"] for e in anns) == sorted(
        ["apikey.created", "apikey.revoked", "share.created", "share.revoked"]
    )


# --- data export ---------------------------------------------------------------------------------


def test_export_zips_metadata_and_originals_behind_a_signed_link(
    client: TestClient, services: Services, sign_up: SignUp, make_track, clock: FakeClock
) -> None:
    ann = sign_up("ann")
    track = make_track(ann, "Exported Song")
    assert get(client, "/api/v1/me/export", ann).status_code == 404
    assert client.post("/api/v1/me/export").status_code == 401
    started = client.post("/api/v1/me/export", headers=bearer(ann))
    assert started.status_code == 202
    assert started.json()["status"] == "pending"
    again = client.post("/api/v1/me/export", headers=bearer(ann)).json()
    assert again["exportId"] == started.json()["exportId"]  # one at a time
    assert get(client, "/api/v1/me/export", ann).json()["downloadUrl"] is None

    run_worker(services)
    ready = get(client, "/api/v1/me/export", ann).json()
    assert ready["status"] == "ready"
    download = client.get(ready["downloadUrl"])
    assert download.status_code == 200
    assert ready["size"] == len(download.content)
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    names = archive.namelist()
    assert {"README.txt", "profile.json", "tracks.json", "playlists.json"} <= set(names)
    profile = json.loads(archive.read("profile.json"))
    assert (profile["username"], profile["email"]) == ("ann", "ann@example.com")
    tracks = json.loads(archive.read("tracks.json"))
    assert [t["title"] for t in tracks] == ["Exported Song"]
    assert not any(k.startswith(("PK", "GSI")) or k == "originalKey" for k in tracks[0])
    stored = services.tracks.load(track)
    (original,) = [n for n in names if n.startswith(f"originals/tracks/{track}-")]
    assert archive.read(original) == services.blobs.read(stored["originalKey"])

    # Asked again soon: the same export; an hour later: a new one replacing it.
    assert (
        client.post("/api/v1/me/export", headers=bearer(ann)).json()["exportId"]
        == ready["exportId"]
    )
    clock.advance(3601)
    newer = client.post("/api/v1/me/export", headers=bearer(ann)).json()
    assert newer["exportId"] != ready["exportId"]
    user = user_id(client, ann)
    assert list(services.blobs.list(f"exports/{user}/")) == []  # the old zip went
    run_worker(services)
    clock.advance(7 * 86_400 + 1)
    expired = get(client, "/api/v1/me/export", login(client, "ann")).json()
    assert (expired["status"], expired["downloadUrl"]) == ("expired", None)
