"""Browsing in a real browser: the albums grid and its sorts, the artists grid, genre
pages and album pages, each reached by links; the album owner's tracklist editor.
Screenshots of each new screen (desktop and phone) go to a folder under pytest's tmp dir."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, MOBILE, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browse-screens")
    print(f"\nbrowse screenshots: {folder}")
    return folder


def snap(page: Page, folder: Path, name: str) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=folder / f"{name}-1280x800.png")
    page.set_viewport_size(MOBILE)
    page.wait_for_timeout(150)
    wide = page.evaluate("document.documentElement.scrollWidth > innerWidth")
    page.screenshot(path=folder / f"{name}-390x844.png")
    page.set_viewport_size(DESKTOP)
    assert not wide, f"{name} scrolls sideways at 390 px"


def test_album_artist_and_genre_pages_by_links(page: Page, shots: Path) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Browse").click()
    expect(page.get_by_role("heading", name="Browse")).to_be_visible()
    grid = page.get_by_role("list", name="Albums")
    expect(grid.locator(".tile").first).to_be_visible()
    snap(page, shots, "browse-albums")
    page.get_by_label("Sort").select_option("alpha")
    expect(page).to_have_url("/browse?sort=alpha")
    titles = grid.locator(".tile-title").all_text_contents()
    assert titles == sorted(titles, key=str.casefold)

    # Genres, a genre's page, and from one of its tracks the album it is on.
    page.get_by_role("navigation", name="Browse").get_by_role("link", name="Genres").click()
    expect(page.locator(".genre-chip").first).to_be_visible()
    snap(page, shots, "genres")
    page.get_by_role("link", name="Synthwave", exact=True).click()
    expect(page.get_by_role("heading", name="Synthwave")).to_be_visible()
    albums = page.get_by_role("list", name="Synthwave albums")
    expect(albums.locator(".tile").first).to_be_visible()
    expect(page.locator(".track-row").first).to_be_visible()
    snap(page, shots, "genre")
    page.locator(".track-row .track-album", has_text="Golden Rivers").first.click()

    # The album's page lists its tracks with durations and the total time.
    expect(page.get_by_role("heading", name="Golden Rivers")).to_be_visible()
    rows = page.locator(".track-row")
    expect(rows.first).to_be_visible()
    expect(page.locator(".album-meta")).to_contain_text("tracks")
    expect(rows.first.locator(".duration")).to_have_text(re.compile(r"\d+:\d\d"))
    expect(page.get_by_role("button", name="Shuffle")).to_be_visible()
    snap(page, shots, "album")

    # Its genre link leads back to the genre; its artist link to the artist.
    page.locator(".album-meta").get_by_role("link", name="Synthwave").click()
    expect(page.get_by_role("heading", name="Synthwave")).to_be_visible()
    page.go_back()
    page.locator(".album-meta .album-artist").click()
    expect(page.get_by_role("heading", name="Nova", exact=True)).to_be_visible()
    snap(page, shots, "artist")

    page.goto("/browse")
    page.get_by_role("navigation", name="Browse").get_by_role("link", name="Artists").click()
    artists = page.get_by_role("list", name="Artists")
    expect(artists.locator(".tile").first).to_be_visible()
    snap(page, shots, "browse-artists")
    artists.get_by_role("link", name="Nova").click()
    expect(page.get_by_role("heading", name="Nova", exact=True)).to_be_visible()
    page.locator(".album-list").get_by_role("link", name="Golden Rivers").click()
    expect(page.get_by_role("heading", name="Golden Rivers")).to_be_visible()


def test_the_owner_reorders_the_tracklist(page: Page, shots: Path) -> None:
    page.goto("/signin")
    sign_in(page, "nova")
    expect(page.get_by_role("heading", name="Hello, Nova")).to_be_visible()
    page.goto("/artists/nova")
    page.locator(".album-list").get_by_role("link", name="Golden Rivers").click()
    editor = page.locator(".album-editor")
    expect(editor).to_be_visible()
    first = page.locator(".track-row .track-title").first.text_content()
    second = page.locator(".track-row .track-title").nth(1).text_content()
    editor.get_by_role("button", name=f"Move {first} down").click()
    expect(page.locator(".track-row .track-title").first).to_have_text(second or "")
    expect(page.locator(".track-row .track-title").nth(1)).to_have_text(first or "")
    snap(page, shots, "album-editor")
    editor.get_by_role("button", name=f"Move {first} up").click()
    expect(page.locator(".track-row .track-title").first).to_have_text(first or "")
