"""Uploading an album (issue 17.2): a folder of tagged tracks, chosen in the upload view,
becomes one album on the dashboard with its tracks in disc and track order."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests import mediagen
from tests.e2e.conftest import screenshot
from tests.e2e.test_journeys import sign_up
from tests.system.conftest import Server

pytestmark = pytest.mark.e2e

PASSWORD = "a long enough passphrase"  # the one test_journeys.sign_up chooses
# (file name, title, disc, track): names in another order than the album's.
TRACKS = [
    ("a.mp3", "Last Light", 2, 1),
    ("b.mp3", "First Light", 1, 1),
    ("c.mp3", "Noon", 1, 2),
]


def test_a_folder_of_tagged_tracks_becomes_an_album_in_order(
    page: Page, server: Server, tmp_path: Path
) -> None:
    folder = tmp_path / "Daylight"
    folder.mkdir()
    for name, title, disc, number in TRACKS:
        tags = {"title": title, "artist": "Sol", "album": "Daylight", "album_artist": "Sol"}
        mediagen.make_audio(
            folder / name, "mp3", 1.0, tags={**tags, "disc_number": disc, "track_number": number}
        )
    (folder / ".DS_Store").write_bytes(b"\0" * 16)  # hidden: left out
    username = f"alb{time.time_ns() % 10**9}"
    sign_up(page, server, username)

    page.get_by_role("navigation").get_by_role("link", name="Upload").click()
    page.locator("#upload-folder").set_input_files(folder)
    rows = page.locator(".upload-item")
    expect(rows).to_have_count(len(TRACKS))
    for row in rows.all():
        expect(row.get_by_role("status")).to_have_text("Ready", timeout=30_000)
    screenshot(page, "upload-album")

    page.get_by_role("navigation").get_by_role("link", name="Albums").click()
    expect(page.locator("tr", has_text="Daylight")).to_contain_text("Sol")

    api = f"{server.url}/api/v1"
    token = httpx.post(
        f"{api}/auth/login", json={"username": username, "password": PASSWORD}
    ).json()["accessToken"]
    with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token}"}) as client:
        (album,) = client.get("/albums?owner=me").json()["items"]
        tracks = client.get(f"/albums/{album['albumId']}").json()["tracks"]
    assert [t["title"] for t in tracks] == ["First Light", "Noon", "Last Light"]
