"""Share links: only owners create, list and revoke them; a link opens exactly its target,
without an account, until it expires or is revoked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from soundshelf.bootstrap import Services
from tests import mediagen
from tests.http.helpers import an_admin, bearer, from_source, run_worker, status, upload
from tests.support import FakeClock

SignUp = Callable[..., dict[str, str]]


def share(
    client: TestClient, tokens: dict[str, str], target_type: str, target_id: str, **extra: Any
) -> httpx.Response:
    return client.post(
        "/api/v1/shares",
        headers=bearer(tokens),
        json={"targetType": target_type, "targetId": target_id, **extra},
    )


def open_link(client: TestClient, token: str, password: str | None = None) -> httpx.Response:
    headers = {"X-Share-Password": password} if password is not None else {}
    return client.get(f"/api/v1/public/shares/{token}", headers=headers)


def test_a_track_link_plays_without_an_account(
    client: TestClient,
    services: Services,
    sign_up: SignUp,
    make_track,
) -> None:
    owner = sign_up("sharer")
    private = make_track(owner, "Secret Demo")
    other = make_track(owner, "Other Private")
    created = share(client, owner, "track", private)
    assert created.status_code == 201, created.text
    run_worker(services)  # its listening copy: the link allows no download
    body = created.json()
    assert body["url"].endswith(f"/s/{body['token']}")
    assert len(body["token"]) >= 22  # 128 random bits, base64url
    opened = open_link(client, body["token"])
    assert opened.status_code == 200
    shared = opened.json()
    assert shared["targetType"] == "track"
    assert shared["track"]["title"] == "Secret Demo"
    assert "email" not in opened.text
    assert "downloadUrl" not in shared["track"]
    assert "filename" not in shared["track"]
    audio = client.get(shared["track"]["streamUrl"], headers={"Range": "bytes=0-9"})
    assert audio.status_code == 206
    assert len(shared["track"]["waveform"]) == 1000
    # The link opens exactly its target: nothing else of the owner's, and no writes.
    assert client.get(f"/api/v1/tracks/{other}").status_code == 404
    assert client.get(f"/api/v1/tracks/{private}").status_code == 404
    assert client.patch(f"/api/v1/tracks/{private}", json={"title": "x"}).status_code == 401
    assert client.delete(f"/api/v1/tracks/{private}").status_code == 401


def test_only_the_owner_shares_lists_and_revokes(
    client: TestClient,
    sign_up: SignUp,
    make_track,
) -> None:
    owner, other = sign_up("own"), sign_up("notown")
    public = make_track(owner, "Public", "public")
    assert share(client, other, "track", public).status_code == 404
    link = share(client, owner, "track", public).json()
    assert [
        s["shareId"] for s in client.get("/api/v1/shares", headers=bearer(owner)).json()["items"]
    ] == [link["shareId"]]
    assert client.get("/api/v1/shares", headers=bearer(other)).json()["items"] == []
    assert (
        client.delete(f"/api/v1/shares/{link['shareId']}", headers=bearer(other)).status_code == 404
    )
    assert open_link(client, link["token"]).status_code == 200
    assert (
        client.delete(f"/api/v1/shares/{link['shareId']}", headers=bearer(owner)).status_code == 204
    )
    assert open_link(client, link["token"]).status_code == 404  # dead at once
    assert "token" not in client.get("/api/v1/shares", headers=bearer(owner)).text


def test_links_expire(
    client: TestClient,
    sign_up: SignUp,
    make_track,
    clock: FakeClock,
) -> None:
    owner = sign_up("expirer")
    track_id = make_track(owner, "Short Lived")
    default = share(client, owner, "track", track_id).json()
    short = share(client, owner, "track", track_id, expiresInSeconds=120).json()
    too_long = share(client, owner, "track", track_id, expiresInSeconds=365 * 24 * 3600)
    assert too_long.status_code == 422
    clock.advance(121)
    assert open_link(client, short["token"]).status_code == 404
    assert open_link(client, default["token"]).status_code == 200
    clock.advance(24 * 3600)
    assert open_link(client, default["token"]).status_code == 404


def test_the_owner_edits_description_and_expiry(
    client: TestClient,
    sign_up: SignUp,
    make_track,
    clock: FakeClock,
) -> None:
    owner, other = sign_up("editor"), sign_up("meddler")
    track_id = make_track(owner, "Edited Link")
    link = share(client, owner, "track", track_id, description="For the band").json()
    assert link["description"] == "For the band"
    assert open_link(client, link["token"]).json()["description"] == "For the band"
    path = f"/api/v1/shares/{link['shareId']}"
    assert client.patch(path, headers=bearer(other), json={"description": "x"}).status_code == 404
    changed = client.patch(
        path, headers=bearer(owner), json={"description": "", "expiresInSeconds": 120}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["description"] == ""
    assert changed.json()["expiresAt"] < link["expiresAt"]
    assert client.get("/api/v1/shares", headers=bearer(owner)).json()["items"][0] == changed.json()
    clock.advance(121)
    assert open_link(client, link["token"]).status_code == 404
    stale = client.patch(path, headers=bearer(owner), json={"expiresInSeconds": 3600})
    assert stale.status_code == 404  # an expired link stays expired


def test_password_protected_link(
    client: TestClient,
    sign_up: SignUp,
    make_track,
) -> None:
    owner = sign_up("locker")
    link = share(client, owner, "track", make_track(owner, "Locked"), password="open sesame").json()
    missing = open_link(client, link["token"])
    assert missing.status_code == 401
    assert missing.json()["code"] == "share_password_required"
    assert open_link(client, link["token"], "open sesame").status_code == 200


def test_wrong_share_passwords_slow_down_only_the_guesser(
    client: TestClient, sign_up: SignUp, make_track, clock: FakeClock
) -> None:
    owner = sign_up("locker")
    link = share(client, owner, "track", make_track(owner, "Locked"), password="open sesame").json()
    guesser, visitor = from_source(client, "127.0.0.2"), from_source(client, "127.0.0.3")
    for _ in range(5):  # free tries
        wrong = open_link(guesser, link["token"], "guess")
        assert wrong.status_code == 401
        assert wrong.json()["code"] == "invalid_share_password"
    throttled = open_link(guesser, link["token"], "open sesame")
    assert throttled.status_code == 429
    assert throttled.headers["content-type"] == "application/problem+json"
    assert int(throttled.headers["retry-after"]) == 1  # then 2, 4, 8 ... up to 15 minutes
    # Everyone else still opens the link (it locked them out after 10 wrong tries).
    for _ in range(10):
        open_link(guesser, link["token"], "guess")
    assert open_link(visitor, link["token"], "open sesame").status_code == 200
    clock.advance(1)
    assert open_link(guesser, link["token"], "guess").status_code == 401
    assert open_link(guesser, link["token"], "open sesame").status_code == 429
    clock.advance(2)
    assert open_link(guesser, link["token"], "open sesame").status_code == 200


@pytest.mark.parametrize("token", ["x", "a" * 500, "../../etc", "%00"])
def test_garbage_tokens_are_404(client: TestClient, token: str) -> None:
    assert open_link(client, token).status_code == 404


def test_file_link_downloads_only_when_allowed(
    client: TestClient, sign_up: SignUp, services: Services, tmp_path: Path
) -> None:
    owner = sign_up("filer")
    doc = tmp_path / "Résumé 2024.txt"
    doc.write_text("hello")
    answer = upload(client, owner, doc, "text/plain")
    run_worker(services)
    file_id = status(client, owner, answer["uploadId"])["resultId"]
    view_only = open_link(client, share(client, owner, "file", file_id).json()["token"]).json()
    assert view_only["file"]["filename"] == "Résumé 2024.txt"
    assert "downloadUrl" not in view_only["file"]
    link = share(client, owner, "file", file_id, allowDownload=True).json()
    download = client.get(open_link(client, link["token"]).json()["file"]["downloadUrl"])
    assert download.status_code == 200
    assert download.content == b"hello"
    assert "filename*=UTF-8''R%C3%A9sum%C3%A9" in download.headers["content-disposition"]


def test_photo_link_never_gives_the_original(
    client: TestClient, sign_up: SignUp, services: Services, tmp_path: Path
) -> None:
    owner = sign_up("snapper")
    photo = mediagen.make_jpeg(tmp_path / "trip.jpg", gps=True)
    answer = upload(client, owner, photo, "image/jpeg")
    run_worker(services)
    photo_id = status(client, owner, answer["uploadId"])["resultId"]
    link = share(client, owner, "photo", photo_id, allowDownload=True).json()
    shared = open_link(client, link["token"]).json()["photo"]
    assert shared["urls"]["original"] is None
    large = client.get(shared["urls"]["large"])
    assert large.status_code == 200
    assert b"GPS" not in large.content


def test_album_and_playlist_links(
    client: TestClient,
    services: Services,
    sign_up: SignUp,
    make_track,
) -> None:
    owner, other = sign_up("curator"), sign_up("bystander")
    mine = make_track(owner, "Album Cut")
    theirs = make_track(other, "Their Private")
    album = client.post(
        "/api/v1/albums", headers=bearer(owner), json={"title": "Private LP", "artist": "Me"}
    ).json()
    client.patch(
        f"/api/v1/tracks/{mine}",
        headers=bearer(owner),
        json={"albumId": album["albumId"], "trackNumber": 1},
    )
    album_link = share(client, owner, "album", album["albumId"]).json()
    run_worker(services)  # its tracks' listening copies: the link allows no download
    shared_album = open_link(client, album_link["token"]).json()["album"]
    assert [t["title"] for t in shared_album["tracks"]] == ["Album Cut"]
    assert shared_album["tracks"][0]["streamUrl"]

    playlist = client.post(
        "/api/v1/playlists", headers=bearer(owner), json={"name": "Mix", "visibility": "private"}
    ).json()
    client.post(
        f"/api/v1/playlists/{playlist['playlistId']}/entries",
        headers=bearer(owner),
        json={"trackId": mine},
    )
    # A private track of someone else cannot even be added by the owner.
    assert (
        client.post(
            f"/api/v1/playlists/{playlist['playlistId']}/entries",
            headers=bearer(owner),
            json={"trackId": theirs},
        ).status_code
        == 404
    )
    link = share(client, owner, "playlist", playlist["playlistId"]).json()
    shared = open_link(client, link["token"]).json()["playlist"]
    assert [e["track"]["title"] for e in shared["entries"]] == ["Album Cut"]
    assert shared["entries"][0]["track"]["streamUrl"]


def test_a_disabled_owners_links_stop_working(
    client: TestClient,
    sign_up: SignUp,
    services: Services,
    make_track,
) -> None:
    owner = sign_up("goner")
    link = share(client, owner, "track", make_track(owner, "Bye")).json()
    user_id = client.get("/api/v1/me", headers=bearer(owner)).json()["userId"]
    services.user_admin.update(an_admin(services), user_id, roles=None, disabled=True)
    assert open_link(client, link["token"]).status_code == 404
