"""Sharing and the social side in a real browser: a photo shared by link and revoked, a
friendship that opens friends-only photos, and a playlist built, reordered (keyboard and
drag and drop) and shared with a password to a visitor who is not signed in."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests import mediagen
from tests.e2e.conftest import screenshot, sign_in, wait_for
from tests.support import code_from_outbox
from tests.system.conftest import Server

pytestmark = pytest.mark.e2e

PASSWORD = "a long enough passphrase"


def new_user(server: Server, prefix: str) -> str:
    username = f"{prefix}{time.time_ns() % 10**9}"
    email = f"{username}@example.com"
    api = f"{server.url}/api/v1/auth"
    body = {"username": username, "email": email, "password": PASSWORD}
    assert httpx.post(f"{api}/signup", json=body).status_code == 201
    code = code_from_outbox(server.data_dir, email)
    assert httpx.post(f"{api}/confirm", json={"username": username, "code": code}).is_success
    return username


def sign_in_as(page: Page, username: str) -> None:
    page.goto("/signin")
    sign_in(page, username, PASSWORD)
    expect(page.get_by_role("heading", name=f"Hello, {username}")).to_be_visible()


def go(page: Page, link: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=link, exact=True).click()


def upload(page: Page, *files: Path) -> None:
    go(page, "Upload")
    page.locator("#upload-input").set_input_files(list(files))
    for file in files:
        row = page.locator(".upload-item", has_text=file.name)
        expect(row.get_by_role("status")).to_have_text("Ready", timeout=30_000)


def eventually_visible(page: Page, url: str, target: Locator, tries: int = 20) -> None:
    """Reloads ``url`` until ``target`` shows (work done by the queue in the background)."""
    for _ in range(tries):
        page.goto(url)
        try:
            expect(target).to_be_visible(timeout=1_000)
            return
        except AssertionError:
            continue
    expect(target).to_be_visible()


def test_share_a_photo_by_link_then_revoke_it(
    page: Page, new_page: Callable[..., Page], server: Server, tmp_path: Path
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.emulate_media(reduced_motion="reduce")  # screenshots without the photos' fade-in
    username = new_user(server, "sharer")
    sign_in_as(page, username)
    photo = mediagen.make_jpeg(tmp_path / "harbour.jpg", (640, 480))
    notes = tmp_path / "notes.txt"
    notes.write_text("Bring the spare strings.\n")
    upload(page, photo, notes)

    # Files: size and type, a download under the file's own name.
    go(page, "Files")
    row = page.locator(".file-row", has_text="notes.txt")
    expect(row).to_contain_text("text/plain")
    expect(row).to_contain_text("25 B")
    with page.expect_download() as download:
        row.get_by_role("button", name="Download notes.txt").click()
    assert download.value.suggested_filename == "notes.txt"
    screenshot(page, "files")

    # The gallery: a tile with its BlurHash canvas under the thumbnail.
    go(page, "Photos")
    tile = page.locator(".photo-tile").first
    expect(tile.locator("canvas.placeholder")).to_have_count(1)
    expect(tile.locator(".photo-frame.loaded")).to_be_visible()
    screenshot(page, "photos")
    tile.click()
    expect(page.locator(".lightbox .photo-frame.loaded")).to_be_visible()
    screenshot(page, "lightbox")

    # Share it for an hour and copy the link.
    page.locator(".lightbox").get_by_role("button", name="Share").click()
    share = page.get_by_role("dialog", name=re.compile("^Share"))
    share.get_by_label("The link works for").select_option(label="1 hour")
    share.get_by_label("Note for whoever opens it (optional)").fill("From our trip")
    share.get_by_role("button", name="Create link").click()
    link = share.get_by_label("Share link")
    expect(link).to_have_value(re.compile(r"/s/[\w-]{20,}$"))
    share.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("Link copied")).to_be_visible()
    url = page.evaluate("navigator.clipboard.readText()")
    assert url == link.input_value()
    screenshot(page, "share-dialog")

    # Someone signed out opens it: the photo, and no call that needs an account.
    visitor = new_page()
    api_calls: list[str] = []
    visitor.on("request", lambda r: api_calls.append(r.url) if "/api/" in r.url else None)
    visitor.emulate_media(reduced_motion="reduce")
    visitor.goto(url)
    expect(visitor.get_by_text(f"Shared by {username}")).to_be_visible()
    expect(visitor.locator(".share-note")).to_have_text("From our trip")
    expect(visitor.locator(".shared-photo .photo-frame.loaded")).to_be_visible()
    expect(visitor.get_by_role("link", name="Sign in")).to_be_visible()
    assert api_calls
    assert all("/api/v1/public/shares/" in call for call in api_calls), api_calls
    screenshot(visitor, "shared-photo")

    # Revoked from the dialog's list: the visitor's next load says so.
    share.get_by_role("button", name=re.compile("^Revoke the link")).click()
    confirm = page.get_by_role("dialog", name="Revoke", exact=True)
    confirm.get_by_role("button", name="Revoke").click()
    expect(share.get_by_text("None yet.")).to_be_visible()
    visitor.reload()
    expect(visitor.get_by_text("This link has expired or was revoked.")).to_be_visible()


def test_friends_request_accept_and_friends_only_photos(
    page: Page, new_page: Callable[..., Page], server: Server, tmp_path: Path
) -> None:
    alice, bob = new_user(server, "alice"), new_user(server, "bob")
    sign_in_as(page, alice)
    upload(page, mediagen.make_jpeg(tmp_path / "picnic.jpg", (480, 320)))
    go(page, "Photos")
    page.locator(".photo-tile").first.click()
    lightbox = page.locator(".lightbox")
    lightbox.get_by_text("Edit details").click()
    lightbox.get_by_label("Caption").fill("Picnic by the lake")
    lightbox.get_by_label("Who can see it").select_option("friends")
    lightbox.get_by_role("button", name="Save").click()
    expect(lightbox.get_by_role("heading", name="Picnic by the lake")).to_be_visible()
    expect(lightbox).to_contain_text("friends see it")
    page.keyboard.press("Escape")
    expect(lightbox).to_have_count(0)

    visitor = new_page(reduced_motion="reduce")
    sign_in_as(visitor, bob)
    go(visitor, "Friends")
    visitor.get_by_label("Username").fill(alice)
    visitor.get_by_role("button", name="Send request").click()
    expect(visitor.get_by_role("button", name=f"Cancel the request to {alice}")).to_be_visible()

    # Alice's bell counts it after her next navigation; the notification leads to Friends.
    go(page, "Home")
    expect(page.locator(".bell-count")).to_have_text("1")
    page.get_by_role("link", name="Notifications: 1 unread").click()
    expect(page.get_by_role("link", name=f"{bob} wants to be your friend")).to_be_visible()
    screenshot(page, "notifications")
    page.get_by_role("link", name=f"{bob} wants to be your friend").click()
    expect(page.locator(".bell-count")).to_be_hidden()  # read by opening it
    screenshot(page, "friends")
    page.get_by_role("button", name=f"Accept the request from {bob}").click()
    expect(page.get_by_role("button", name=f"Unfriend {bob}")).to_be_visible()

    # Bob hears of it, and sees Alice's friends-only photo among his friends' photos.
    go(visitor, "Home")
    expect(visitor.locator(".bell-count")).to_have_text("1")
    eventually_visible(
        visitor,
        "/photos?owner=friends",
        visitor.get_by_role("button", name=f"Open Picnic by the lake, by {alice}"),
    )
    expect(visitor.locator(".photo-tile .photo-frame.loaded")).to_be_visible()
    screenshot(visitor, "friends-photos")


def test_playlist_add_reorder_and_share_with_a_password(
    page: Page, new_page: Callable[..., Page], server: Server
) -> None:
    username = new_user(server, "mixer")
    sign_in_as(page, username)
    go(page, "Playlists")
    page.get_by_role("button", name="New playlist").click()
    page.get_by_role("dialog", name="New playlist").get_by_label("Name").fill("Road trip")
    page.get_by_role("dialog", name="New playlist").get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="Road trip")).to_be_visible()
    playlist_path = page.evaluate("location.pathname")

    # Two tracks, each from the ⋯ menu of its row.
    go(page, "Home")
    rows = page.locator("section", has_text="Recently added").locator(".track-row")
    expect(rows.nth(1)).to_be_visible()
    first, second = (rows.nth(i).locator(".track-title").inner_text() for i in (0, 1))
    for i, title in enumerate((first, second)):
        rows.nth(i).get_by_role("button", name=re.compile("^More actions")).click()
        page.get_by_role("menuitem", name="Add to playlist…").click()
        choose = page.get_by_role("dialog", name=re.compile("to a playlist"))
        expect(choose.get_by_role("button", name="Road trip")).to_be_visible()
        if i == 0:
            screenshot(page, "add-to-playlist")
        choose.get_by_role("button", name="Road trip").click()
        expect(page.get_by_text(f"Added “{title}” to “Road trip”")).to_be_visible()
    go(page, "Playlists")
    expect(page.get_by_text("2 tracks", exact=True)).to_be_visible()
    screenshot(page, "playlists")

    # Reorder with the keyboard buttons, then by dragging; each order survives a reload.
    page.get_by_role("link", name="Road trip").first.click()
    titles = page.locator(".entry .track-title")
    expect(titles).to_have_text([first, second])
    page.get_by_role("button", name=f"Move “{first}” down").click()
    expect(titles).to_have_text([second, first])
    expect(page.get_by_role("button", name=f"Move “{first}” up")).to_be_focused()
    page.reload()
    expect(titles).to_have_text([second, first])
    page.locator(".entry").nth(1).drag_to(page.locator(".entry").nth(0))
    expect(titles).to_have_text([first, second])
    page.reload()
    expect(titles).to_have_text([first, second])
    screenshot(page, "playlist")

    # A change made elsewhere meanwhile: the next move is refused (412) and reloaded.
    token = httpx.post(
        f"{server.url}/api/v1/auth/login", json={"username": username, "password": PASSWORD}
    ).json()["accessToken"]
    api = f"{server.url}/api/v1{playlist_path}"
    headers = {"Authorization": f"Bearer {token}"}
    entry = httpx.get(api, headers=headers).json()["entries"][0]["entryId"]
    moved = httpx.post(f"{api}/entries/{entry}/move", json={"position": 1}, headers=headers)
    assert moved.status_code == 200
    page.get_by_role("button", name=f"Move “{first}” down").click()
    expect(page.get_by_text("changed somewhere else")).to_be_visible()
    expect(titles).to_have_text([second, first])

    # Shared with a password, it plays for a visitor without an account.
    page.get_by_role("button", name="Share", exact=True).click()
    share = page.get_by_role("dialog", name=re.compile("^Share"))
    share.get_by_label("Password (optional)").fill("open sesame")
    # The dialog says what a link without downloads gives: listening, no file.
    expect(share.get_by_label("Allow downloads")).to_have_accessible_description(
        re.compile("can only listen: they hear a streamed copy .*, never your original file")
    )
    share.get_by_label("Allow downloads").check()
    share.get_by_role("button", name="Create link").click()
    url = share.get_by_label("Share link").input_value()
    visitor = new_page()
    api_calls: list[str] = []
    visitor.on("request", lambda r: api_calls.append(r.url) if "/api/" in r.url else None)
    visitor.goto(url)
    visitor.get_by_label("Password").fill("wrong guess")
    visitor.get_by_role("button", name="Open").click()
    expect(visitor.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    visitor.get_by_label("Password").fill("open sesame")
    visitor.get_by_role("button", name="Open").click()
    expect(visitor.get_by_role("heading", name="Road trip")).to_be_visible()
    expect(visitor.get_by_role("link", name=f"Download {first}")).to_be_visible()
    visitor.get_by_role("button", name="Play all").click()
    expect(visitor.locator(".now-title")).to_have_text(second)
    wait_for(visitor, "document.querySelector('ss-player audio').currentTime > 0.3")
    assert all("/api/v1/public/shares/" in call for call in api_calls), api_calls
    screenshot(visitor, "shared-playlist")


def test_an_app_password_from_settings_signs_a_music_app_in_until_revoked(
    page: Page, server: Server
) -> None:
    username = new_user(server, "subsonic")
    sign_in_as(page, username)
    go(page, "Settings")
    section = page.get_by_role("region", name="App passwords")
    expect(section.locator("code")).to_have_text(server.url)  # what the app is given

    section.get_by_label("App password name").fill("My phone")
    section.get_by_role("button", name="Create app password").click()
    secret = section.get_by_label("New API key “My phone”").input_value()
    expect(section.locator(".key-name")).to_have_text("My phone")

    def ping() -> dict:
        params = {"u": username, "p": secret, "v": "1.16.1", "c": "e2e", "f": "json"}
        return httpx.get(f"{server.url}/rest/ping.view", params=params).json()

    assert ping()["subsonic-response"]["status"] == "ok"
    section.get_by_role("button", name="Revoke My phone").click()
    page.get_by_role("dialog", name="Revoke", exact=True).get_by_role(
        "button", name="Revoke"
    ).click()
    expect(section).to_contain_text("You have no app passwords.")
    answer = ping()["subsonic-response"]
    assert (answer["status"], answer["error"]["code"]) == ("failed", 40)
