"""The player as a listener uses it (issue 17.6): the playing track marked in the lists,
shuffle and repeat, the queue panel (drag to reorder), keyboard shortcuts and their help,
the Media Session, and all of it (queue, order, modes, position) back after a reload.
Played without an account, from the public demo tracks on the home page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import MOBILE, audio, screenshot, wait_for, wait_for_first_render

pytestmark = pytest.mark.e2e

QUEUE_IDS = "[...document.querySelector('ss-player').queue].map((t) => t.trackId)"
INDEX = "document.querySelector('ss-player').index"


def play_recent(page: Page, at: int = 0) -> list[str]:
    """Plays the home page's "Recently added" from row ``at``; returns the list's ids."""
    page.goto("/")
    rows = page.get_by_role("region", name="Recently added").locator(".track-row")
    expect(rows.nth(5)).to_be_visible()
    ids = rows.evaluate_all("rows => rows.map((row) => row.dataset.trackId)")
    title = rows.nth(at).locator(".track-title").inner_text()
    rows.nth(at).get_by_role("button", name=f"Play {title}").click()
    wait_for(page, "document.querySelector('ss-player audio').currentTime > 0.2")
    return ids


def to_the_end(page: Page) -> None:
    """Jumps to half a second before the end of the playing track."""
    wait_for(page, "Number.isFinite(document.querySelector('ss-player audio').duration)")
    page.evaluate(
        "(a => { a.currentTime = a.duration - 0.5; })(document.querySelector('ss-player audio'))"
    )


def test_the_playing_track_is_marked_in_the_list(page: Page) -> None:
    ids = play_recent(page, at=1)
    playing = page.locator(".track-row[aria-current=true]")
    expect(playing).to_have_count(1)
    expect(playing).to_have_attribute("data-track-id", ids[1])
    page.locator("ss-player").get_by_role("button", name="Next track").click()
    expect(playing).to_have_attribute("data-track-id", ids[2])
    # A list drawn later marks it too: search results for its title.
    title = playing.locator(".track-title").inner_text()
    box = page.get_by_role("searchbox", name="Search music")
    box.fill(title)
    box.press("Enter")
    results = page.locator("main .track-row")
    expect(results.first).to_be_visible()
    expect(page.locator("main .track-row[aria-current=true]")).to_have_attribute(
        "data-track-id", ids[2]
    )
    expect(page.locator("main .track-row[aria-current=true]")).to_have_count(1)
    screenshot(page, "player-now-playing")


def test_shuffle_and_repeat_then_reload(page: Page) -> None:
    ids = play_recent(page)
    player = page.locator("ss-player")
    shuffle = player.get_by_role("button", name="Shuffle")
    shuffle.click()
    expect(shuffle).to_have_attribute("aria-pressed", "true")
    shuffled = page.evaluate(QUEUE_IDS)
    assert shuffled[0] == ids[0]  # the playing track stays where it is: first
    assert sorted(shuffled) == sorted(ids)
    assert shuffled != ids  # 1 chance in (n-1)! of a false alarm
    shuffle.click()
    expect(shuffle).to_have_attribute("aria-pressed", "false")
    assert page.evaluate(QUEUE_IDS) == ids  # back in the list's order

    repeat = player.get_by_role("button", name="Repeat: off")
    repeat.click()
    expect(player.get_by_role("button", name="Repeat: all")).to_have_attribute(
        "aria-pressed", "true"
    )
    # Repeat all: after the last track comes the first.
    player.get_by_role("button", name="Queue", exact=True).click()
    queue = page.get_by_role("region", name=re.compile(r"^Queue"))
    queue.locator(".queue-track").last.click()
    wait_for(page, f"{INDEX} === {len(ids) - 1}")
    to_the_end(page)
    wait_for(page, f"{INDEX} === 0 && !document.querySelector('ss-player audio').paused")

    # Repeat one: the same track again from the start.
    player.get_by_role("button", name="Repeat: all").click()
    expect(player.get_by_role("button", name="Repeat: this track")).to_be_visible()
    wait_for(page, "document.querySelector('ss-player audio').currentTime > 0.2")
    to_the_end(page)
    wait_for(page, "document.querySelector('ss-player audio').currentTime < 2")
    wait_for(page, f"{INDEX} === 0 && !document.querySelector('ss-player audio').paused")

    # Shuffled again, paused: a reload brings back the order, the modes and the position.
    player.get_by_role("button", name="Shuffle").click()
    order = page.evaluate(QUEUE_IDS)
    player.get_by_role("button", name="Pause").click()
    page.evaluate("(a => { a.currentTime = 7; })(document.querySelector('ss-player audio'))")
    wait_for(page, "Math.abs(document.querySelector('ss-player audio').currentTime - 7) < 0.5")
    page.reload()
    wait_for_first_render(page)
    assert page.evaluate(QUEUE_IDS) == order
    expect(player.get_by_role("button", name="Shuffle")).to_have_attribute("aria-pressed", "true")
    expect(player.get_by_role("button", name="Repeat: this track")).to_be_visible()
    wait_for(page, "Math.abs(document.querySelector('ss-player audio').currentTime - 7) < 0.5")
    assert audio(page, "paused") is True
    player.get_by_role("button", name="Shuffle").click()  # off: the list's order again
    assert page.evaluate(QUEUE_IDS) == ids


def test_keyboard_shortcuts_and_their_help(page: Page) -> None:
    ids = play_recent(page)
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("Space")
    wait_for(page, "document.querySelector('ss-player audio').paused")
    at = audio(page, "currentTime")
    page.keyboard.press("ArrowRight")
    wait_for(
        page, f"Math.abs(document.querySelector('ss-player audio').currentTime - {at} - 5) < 0.5"
    )
    page.keyboard.press("ArrowLeft")
    wait_for(page, f"Math.abs(document.querySelector('ss-player audio').currentTime - {at}) < 0.5")
    page.keyboard.press("Space")
    wait_for(page, "!document.querySelector('ss-player audio').paused")
    page.keyboard.press("Shift+ArrowRight")
    wait_for(page, f"{INDEX} === 1")
    expect(page.locator(".track-row[aria-current=true]")).to_have_attribute("data-track-id", ids[1])
    page.keyboard.press("Shift+ArrowLeft")  # at the start of a track: the one before
    wait_for(page, f"{INDEX} === 0")

    # Typing in a field is typing: a space there goes into the field, not to the player.
    box = page.get_by_role("searchbox", name="Search music")
    box.fill("dawn")
    box.press("Space")
    box.press("ArrowLeft")
    box.press("Shift+ArrowLeft")
    expect(box).to_have_value("dawn ")
    assert audio(page, "paused") is False
    assert page.evaluate(INDEX) == 0

    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("?")
    help_ = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_).to_contain_text("Play or pause")
    expect(help_).to_contain_text("Previous or next track")
    screenshot(page, "shortcuts-help")
    page.keyboard.press("Escape")
    expect(help_).to_have_count(0)


def test_queue_panel_drag_remove_and_media_session(page: Page) -> None:
    play_recent(page)
    player = page.locator("ss-player")
    player.get_by_role("button", name="Queue", exact=True).click()
    queue = page.get_by_role("region", name=re.compile(r"^Queue"))
    titles = queue.locator(".queue-title")
    expect(titles.nth(2)).to_be_visible()  # the panel fills its rows as it opens
    before = titles.all_inner_texts()
    # Drag the third row onto the first: it goes first, and the playing one follows it.
    queue.locator(".queue-item").nth(2).drag_to(queue.locator(".queue-item").nth(0))
    expect(titles.nth(0)).to_have_text(before[2])
    expect(titles.nth(1)).to_have_text(before[0])
    assert page.evaluate(INDEX) == 1
    expect(queue.locator(".queue-item[aria-current=true] .queue-title")).to_have_text(before[0])
    queue.get_by_role("button", name=f"Remove “{before[2]}”").click()
    expect(titles).to_have_count(len(before) - 1)
    expect(titles.nth(0)).to_have_text(before[0])
    screenshot(page, "queue-panel")

    # The lock screen and headset buttons know what plays.
    metadata = page.evaluate(
        "(m => ({title: m.title, artist: m.artist, artwork: m.artwork.length}))"
        "(navigator.mediaSession.metadata)"
    )
    assert metadata["title"] == before[0]
    assert metadata["artist"]
    cover = player.locator(".cover img")
    assert metadata["artwork"] == (1 if cover.count() else 0)
    assert page.evaluate("navigator.mediaSession.playbackState") == "playing"


def test_on_a_phone_the_player_shows_the_title_and_thumb_sized_controls(page: Page) -> None:
    play_recent(page)
    page.set_viewport_size(MOBILE)
    bar = page.locator("ss-player .player-bar")
    title = bar.locator(".now-title")
    expect(title).to_be_visible()
    # The whole title fits (it was cut to a letter or two beside six controls).
    assert title.evaluate("el => el.scrollWidth <= el.clientWidth"), title.inner_text()
    for button in bar.locator(".transport button, .extras button").all():
        box = button.bounding_box()
        assert box is not None
        label = button.get_attribute("aria-label")
        assert min(box["width"], box["height"]) >= 44, (label, box)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "player-phone")
