"""What people do with the web app, end to end in a real browser against a real server:
an account, an upload, playback that survives navigation and reloads, the albums
dashboard, and user text that never turns into markup."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from tests import mediagen
from tests.e2e.conftest import (
    audio,
    screenshot,
    sign_in,
    wait_for,
    wait_for_first_render,
)
from tests.support import code_from_outbox
from tests.system.conftest import Server

pytestmark = pytest.mark.e2e

HOSTILE_TITLE = "<img src=x onerror=alert(1)>"
SECONDS = 12.0


def sign_up(page: Page, server: Server, username: str) -> None:
    email = f"{username}@example.com"
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Confirm your email")).to_be_visible()
    # A wrong code gets the API's message next to the field.
    page.get_by_label("Confirmation code").fill("000000")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".field-error")).to_be_visible()
    expect(page.get_by_label("Confirmation code")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Confirmation code").fill(code_from_outbox(server.data_dir, email))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name=f"Hello, {username}")).to_be_visible()


def upload(page: Page, song: Path) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Upload").click()
    page.locator("#upload-input").set_input_files(song)
    row = page.locator(".upload-item", has_text=song.name)
    expect(row.get_by_role("progressbar")).to_be_visible()
    expect(row.get_by_role("status")).to_have_text("Ready", timeout=30_000)
    size = str(song.stat().st_size)
    expect(row.get_by_role("progressbar")).to_have_attribute("max", size)
    assert row.get_by_role("progressbar").evaluate("bar => bar.value") == int(size)
    expect(row.locator(".upload-detail")).to_contain_text("/s")  # bytes and speed shown


def test_sign_up_upload_play_navigate_seek_edit_and_resume(
    page: Page, server: Server, tmp_path: Path
) -> None:
    username = f"e2e{time.time_ns() % 10**9}"
    song = mediagen.make_audio(
        tmp_path / "e2e-song.mp3", "mp3", SECONDS, tags={"title": "E2E Song", "artist": "Bot"}
    )
    sign_up(page, server, username)
    screenshot(page, "signed-in-home")
    upload(page, song)
    screenshot(page, "upload")

    # Play from the upload list.
    page.get_by_role("button", name=f"Play {song.name}").click()
    wait_for(page, "document.querySelector('ss-player audio').currentTime > 0.3")
    expect(page.locator(".now-title")).to_have_text("E2E Song")

    # The page never reloads: a marker on window survives navigation, and so does playback.
    page.evaluate("window.e2eMarker = 'still here'")
    page.get_by_role("navigation").get_by_role("link", name="My tracks").click()
    row = page.locator(".track-row", has_text="E2E Song")
    expect(row).to_be_visible()
    assert page.evaluate("window.e2eMarker") == "still here"
    before = audio(page, "currentTime")
    wait_for(page, f"document.querySelector('ss-player audio').currentTime > {before} + 0.3")
    assert audio(page, "paused") is False

    # Seek by clicking the middle of the waveform, then with the keyboard.
    wave = page.get_by_role("slider", name="Seek")
    wave.click()  # Playwright clicks the centre
    middle = SECONDS / 2
    wait_for(
        page, f"Math.abs(document.querySelector('ss-player audio').currentTime - {middle}) < 1"
    )
    wave.press("Home")
    wait_for(page, "document.querySelector('ss-player audio').currentTime < 1")
    wave.press("ArrowRight")
    wait_for(page, "Math.abs(document.querySelector('ss-player audio').currentTime - 5) < 1")
    expect(wave).to_have_attribute("aria-valuemax", str(round(SECONDS)))
    assert int(wave.get_attribute("aria-valuenow")) in range(4, 8)
    screenshot(page, "library-playing")

    # Pause, then rename the track to markup: it must show as text, nowhere as HTML.
    page.locator("ss-player").get_by_role("button", name="Pause").click()
    paused_at = audio(page, "currentTime")
    row.get_by_role("link", name="Edit E2E Song").click()
    page.get_by_label("Title").fill(HOSTILE_TITLE)
    page.get_by_role("button", name="Save").click()
    hostile_row = page.locator(".track-row", has_text=HOSTILE_TITLE)
    expect(hostile_row.locator(".track-title")).to_have_text(HOSTILE_TITLE)
    # The player shows the edit at once, without a reload.
    expect(page.locator(".now-title")).to_have_text(HOSTILE_TITLE)
    assert hostile_row.locator("img").count() == 0  # the song has no cover art either
    assert page.locator("img[src='x']").count() == 0

    # A reload keeps the session (refresh token) and the player's queue and position.
    page.reload()
    wait_for_first_render(page)
    assert page.evaluate("window.e2eMarker") is None  # this one really was a reload
    expect(page.locator(".whoami")).to_have_text(username)
    expect(page.locator(".now-title")).to_have_text(HOSTILE_TITLE)  # fresh details, as text
    wait_for(
        page, f"Math.abs(document.querySelector('ss-player audio').currentTime - {paused_at}) < 0.5"
    )
    assert audio(page, "paused") is True  # no autoplay after a reload
    assert page.locator("ss-player img[src='x']").count() == 0


def test_albums_dashboard(page: Page) -> None:
    page.goto("/albums")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()  # private page
    sign_in(page, "nova", "not the password")
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password")
    sign_in(page, "nova")
    expect(page.get_by_role("heading", name="Albums")).to_be_visible()
    rows = page.locator("table.albums tbody tr")
    expect(rows.first).to_be_visible()

    # Add: an empty title gets the API's validation message next to the field, in plain words.
    page.get_by_role("button", name="Add album").click()
    dialog = page.get_by_role("dialog", name="Add album")
    dialog.get_by_label("Artist").fill("Nova")
    dialog.get_by_role("button", name="Save").click()
    title = dialog.get_by_label("Title")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_be_focused()
    expect(dialog.locator(".field-error").first).to_have_text("This is required.")  # plain words
    screenshot(page, "album-validation")
    title.fill("E2E Album")
    dialog.get_by_label("Rank").fill("0")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(rows.first).to_contain_text("E2E Album")  # rank 0 sorts first
    screenshot(page, "albums")

    # The same title and artist again: a conflict, shown on the title.
    page.get_by_role("button", name="Add album").click()
    dialog.get_by_label("Title").fill("E2E Album")
    dialog.get_by_label("Artist").fill("Nova")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_label("Title")).to_have_attribute("aria-invalid", "true")
    dialog.get_by_role("button", name="Cancel").click()

    # Sort by rank, both ways.
    rank = page.get_by_role("columnheader", name="Rank")
    rank.get_by_role("button").click()
    expect(rank).to_have_attribute("aria-sort", "descending")
    expect(rows.last).to_contain_text("E2E Album")
    rank.get_by_role("button").click()
    expect(rank).to_have_attribute("aria-sort", "ascending")

    # Edit, then delete after confirming.
    page.get_by_role("button", name="Edit E2E Album").click()
    edit = page.get_by_role("dialog", name="Edit album")
    expect(edit.get_by_label("Title")).to_have_value("E2E Album")
    edit.get_by_label("Title").fill("E2E Album (Deluxe)")
    edit.get_by_role("button", name="Save").click()
    expect(rows.first).to_contain_text("E2E Album (Deluxe)")
    page.get_by_role("button", name="Delete E2E Album (Deluxe)").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator("table.albums")).not_to_contain_text("E2E Album")

    # The artist page and settings, for the screenshots (and that they render at all).
    page.goto("/artists/nova")
    expect(page.get_by_role("heading", name="Nova", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Play the album Golden Rivers")).to_be_visible()
    screenshot(page, "artist")
    page.get_by_role("navigation").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="API keys")).to_be_visible()
    screenshot(page, "settings")


def test_forgot_and_reset_password_then_sign_out(page: Page, server: Server) -> None:
    username = f"reset{time.time_ns() % 10**9}"
    email = f"{username}@example.com"
    api = f"{server.url}/api/v1/auth"
    body = {"username": username, "email": email, "password": "the first passphrase"}
    assert httpx.post(f"{api}/signup", json=body).status_code == 201
    code = code_from_outbox(server.data_dir, email)
    assert httpx.post(f"{api}/confirm", json={"username": username, "code": code}).is_success

    page.goto("/signin")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Username or email").fill(username)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("Code").fill(code_from_outbox(server.data_dir, email))
    page.get_by_label("New password").fill("short")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_label("New password")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("New password").fill("the second passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    sign_in(page, email, "the second passphrase")  # by email this time
    expect(page.get_by_role("heading", name=f"Hello, {username}")).to_be_visible()
    assert page.evaluate("localStorage.getItem('soundshelf.refreshToken')")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()
    assert page.evaluate("localStorage.getItem('soundshelf.refreshToken')") is None


def test_queue_add_reorder_clear_without_an_account(page: Page) -> None:
    page.goto("/")
    rows = page.locator(".track-row")
    expect(rows.nth(1)).to_be_visible()
    first, second = (rows.nth(i).locator(".track-title").inner_text() for i in (0, 1))
    page.get_by_role("button", name=f"Add {first} to the queue").first.click()
    page.get_by_role("button", name=f"Add {second} to the queue").first.click()
    player = page.locator("ss-player")
    expect(player.locator(".now-title")).to_have_text(first)  # shown, not playing
    assert audio(page, "paused") is True

    player.get_by_role("button", name="Queue", exact=True).click()
    queue = page.get_by_role("region", name=re.compile(r"^Queue"))
    items = queue.locator(".queue-title")
    expect(items).to_have_text([first, second])
    queue.get_by_role("button", name=f"Move “{first}” down").click()
    expect(items).to_have_text([second, first])
    expect(queue.get_by_role("button", name=f"Move “{first}” up")).to_be_focused()
    # The current track moved down to last place: "previous" now plays the other one.
    player.get_by_role("button", name="Previous track").click()
    expect(player.locator(".now-title")).to_have_text(second)
    wait_for(page, "document.querySelector('ss-player audio').currentTime > 0.2")
    player.get_by_role("button", name="Queue", exact=True).click()  # closed by that click
    queue.get_by_role("button", name="Clear queue").click()
    expect(player).to_be_hidden()


def test_search_from_the_header_finds_artists_playlists_and_tracks(page: Page) -> None:
    page.goto("/")
    box = page.get_by_role("searchbox", name="Search music")
    box.fill("KITE")  # case does not matter
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=KITE$"))
    expect(page.get_by_role("heading", name="Results for “KITE”")).to_be_visible()
    artists = page.locator("section", has=page.get_by_role("heading", name="Artists"))
    expect(artists.get_by_role("link")).to_have_text(["Kite Theory"])
    # The artist's tracks are found by the artist name in their text.
    expect(page.locator(".track-row").first).to_be_visible()
    artists.get_by_role("link", name="Kite Theory").click()
    expect(page).to_have_url(re.compile(r"/artists/kite$"))

    box.fill("demo mi")  # every word a prefix
    box.press("Enter")
    playlists = page.locator("section", has=page.get_by_role("heading", name="Playlists"))
    playlists.get_by_role("link", name="Demo mix").click()
    expect(page).to_have_url(re.compile(r"/playlists/\w+$"))

    box.fill("zzqx")
    box.press("Enter")
    expect(page.get_by_text("Nothing found.")).to_be_visible()


def test_a_page_that_loads_slowly_does_not_take_the_focus_from_the_search_box(
    page: Page,
) -> None:
    """Regression (a flaky CI run): the playlist page finished loading while the user typed
    in the header's search box, moved the focus to its heading, and Enter went nowhere."""
    held: list[Route] = []
    page.route("**/views/playlist.js*", lambda route: held.append(route))  # answered later
    page.goto("/search?q=demo")
    playlists = page.locator("section", has=page.get_by_role("heading", name="Playlists"))
    playlists.get_by_role("link", name="Demo mix").click()  # its module is held back
    box = page.get_by_role("searchbox", name="Search music")
    box.fill("z")  # one letter: the results do not follow the box yet
    for _ in range(200):  # the module's request reaches the route (events flow meanwhile)
        if held:
            break
        page.wait_for_timeout(50)
    held[0].continue_()  # the playlist page now draws, while the box has the focus
    expect(page.get_by_role("heading", name="Demo mix")).to_be_visible()
    expect(box).to_be_focused()
    box.press_sequentially("zqx")
    box.press("Enter")
    expect(page.get_by_text("Nothing found.")).to_be_visible()


def test_results_follow_the_search_box_as_you_type(page: Page) -> None:
    page.goto("/")
    box = page.get_by_role("searchbox", name="Search music")
    box.press_sequentially("emb", delay=40)
    expect(page).to_have_url(re.compile(r"/search\?q=emb$"))
    artists = page.locator("section", has=page.get_by_role("heading", name="Artists"))
    expect(artists.get_by_role("link")).to_have_text(["Ember & Ash"])
    expect(box).to_be_focused()  # the results came without taking the focus away

    box.press_sequentially("er", delay=40)
    expect(page).to_have_url(re.compile(r"/search\?q=ember$"))
    expect(page.get_by_role("heading", name="Results for “ember”")).to_be_visible()
    expect(box).to_have_value("ember")
    # Pauses on the results page replaced the history entry: one Back leaves them.
    page.go_back()
    expect(page).to_have_url(re.compile(r"/$"))
