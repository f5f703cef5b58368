"""A link shared without downloads lets people listen and gives them no file: no
download URL in the share (track, album or playlist), a stream served inline under a
URL that is not the download's, and nothing through the API or Subsonic either."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from soundshelf.bootstrap import Services
from tests.http.helpers import bearer, run_worker


def _share(client: TestClient, owner: dict, kind: str, target: str, **extra) -> str:
    created = client.post(
        "/api/v1/shares",
        headers=bearer(owner),
        json={"targetType": kind, "targetId": target, **extra},
    )
    assert created.status_code == 201, created.text
    return created.json()["token"]


@pytest.mark.parametrize("fmt", ["mp3", "m4a"])  # originals that stream as they are
def test_a_track_shared_without_downloads_streams_but_is_not_downloadable(
    client: TestClient, services: Services, sign_up: Callable, make_track, fmt: str
) -> None:
    owner, visitor = sign_up("owner"), sign_up("visitor")
    track = make_track(owner, "Unreleased", "private", fmt=fmt)
    token = _share(client, owner, "track", track)
    # Its listening copy is made on demand: until the worker made it, nothing plays.
    before = client.get(f"/api/v1/public/shares/{token}").json()
    assert before["track"]["streamUrl"] is None
    assert run_worker(services) == 1

    shared = client.get(f"/api/v1/public/shares/{token}").json()

    assert shared["allowDownload"] is False
    assert "downloadUrl" not in shared["track"]
    download_url = services.tracks.download_url(services.tracks.load(track))
    assert shared["track"]["streamUrl"] != download_url
    streamed = client.get(shared["track"]["streamUrl"], headers={"Range": "bytes=0-99"})
    assert streamed.status_code == 206
    assert "attachment" not in streamed.headers.get("content-disposition", "")
    # What plays is an encoded copy, never the original file's bytes.
    whole = client.get(shared["track"]["streamUrl"])
    original_bytes = client.get(download_url).content
    assert whole.headers["content-type"] == "audio/mp4"
    assert whole.content != original_bytes
    assert len(whole.content) > 1000
    # Holding the link gives no way around it: the API and Subsonic refuse the original.
    original = client.get(
        f"/api/v1/tracks/{track}/stream?quality=original", headers=bearer(visitor)
    )
    assert original.status_code == 404
    key = client.post("/api/v1/me/api-keys", headers=bearer(visitor), json={"name": "k"})
    refused = client.get(
        "/rest/download",
        params={"apiKey": key.json()["key"], "id": f"tr-{track}", "f": "json"},
    ).json()["subsonic-response"]
    assert refused["status"] == "failed"
    assert refused["error"]["code"] == 70


def test_a_track_shared_with_downloads_carries_an_attachment_download(
    client: TestClient, sign_up: Callable, make_track
) -> None:
    owner = sign_up("owner")
    track = make_track(owner, "Free single", "private")
    token = _share(client, owner, "track", track, allowDownload=True)

    shared = client.get(f"/api/v1/public/shares/{token}").json()

    downloaded = client.get(shared["track"]["downloadUrl"])
    assert downloaded.status_code == 200
    assert downloaded.headers["content-disposition"].startswith("attachment")


def test_albums_and_playlists_shared_without_downloads_carry_no_download(
    client: TestClient, services: Services, sign_up: Callable, make_track
) -> None:
    owner = sign_up("owner")
    tracks = [make_track(owner, f"Song {n}", "private") for n in range(2)]
    album = client.post(
        "/api/v1/albums", headers=bearer(owner), json={"title": "Demo", "artist": "Owner"}
    ).json()["albumId"]
    playlist = client.post(
        "/api/v1/playlists", headers=bearer(owner), json={"name": "Mix", "visibility": "private"}
    ).json()["playlistId"]
    for track in tracks:
        added = client.patch(
            f"/api/v1/tracks/{track}", headers=bearer(owner), json={"albumId": album}
        )
        assert added.status_code == 200, added.text
        client.post(
            f"/api/v1/playlists/{playlist}/entries", headers=bearer(owner), json={"trackId": track}
        )

    album_token = _share(client, owner, "album", album)
    playlist_token = _share(client, owner, "playlist", playlist)
    assert run_worker(services) == 2  # one listening copy per track, though shared twice
    shown_album = client.get(f"/api/v1/public/shares/{album_token}")
    shown_playlist = client.get(f"/api/v1/public/shares/{playlist_token}")

    album_tracks = shown_album.json()["album"]["tracks"]
    playlist_tracks = [e["track"] for e in shown_playlist.json()["playlist"]["entries"]]
    assert len(album_tracks) == len(playlist_tracks) == 2
    for track in album_tracks + playlist_tracks:
        assert "downloadUrl" not in track
        assert track["streamUrl"]


def test_a_track_shared_before_copies_were_on_demand_gets_its_copy_from_a_view(
    client: TestClient, services: Services, sign_up: Callable, make_track, monkeypatch
) -> None:
    owner = sign_up("owner")
    track_id = make_track(owner, "Old upload", "private")
    with monkeypatch.context() as old_code:  # creating a link asked for no copy then
        old_code.setattr(services.shares, "_ask_for_listen_copies", lambda *_: None)
        token = _share(client, owner, "track", track_id)
    assert run_worker(services) == 0

    views = [client.get(f"/api/v1/public/shares/{token}").json()["track"] for _ in range(2)]

    assert [view["streamUrl"] for view in views] == [None, None]
    assert "downloadUrl" not in views[0]
    assert run_worker(services) == 1  # two views, one job
    played = client.get(client.get(f"/api/v1/public/shares/{token}").json()["track"]["streamUrl"])
    assert played.status_code == 200
    assert played.headers["content-type"] == "audio/mp4"
