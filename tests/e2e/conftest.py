"""Browser tests: a real ``soundshelf serve --demo`` driven through Debian's chromium.

One server and one browser serve the whole session (starting them is most of the cost);
every test gets a fresh browser context, so storage and sessions never leak between
tests. A test fails if the page logs a script error or a CSP violation, or opens a
native dialog (the app has none, so one would mean injected script ran).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.system.conftest import Server, start_server, stop_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
DEMO_PASSWORD = "soundshelf-demo"
PLAYER_AUDIO = "document.querySelector('ss-player audio')"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("e2e") / "data", demo=True)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            stop_server(running)


# Package scope: Playwright's sync API keeps an event loop running in this thread until
# it stops, which would break later tests that start their own loop (Mangum's).
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"no browser: Debian's chromium is not at {CHROMIUM} (run `make browser`)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser: Browser, server: Server) -> Iterator[Callable[..., Page]]:
    """Opens a page in a fresh browser context (a second person, or a visitor who is
    signed out); ``options`` go to ``new_context``. Every page is watched the same way."""
    contexts: list[BrowserContext] = []
    problems: list[str] = []
    dialogs: list[str] = []

    def open_page(**options: Any) -> Page:
        context = browser.new_context(viewport=DESKTOP, base_url=server.url, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on(
            "console",
            lambda message: (
                problems.append(f"console: {message.text}")
                # API error answers (shown to the user) log "Failed to load resource".
                if message.type == "error"
                and not message.text.startswith("Failed to load resource")
                else None
            ),
        )
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not dialogs, f"a native dialog opened: {dialogs}"
    assert not problems, "\n".join(problems)


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


# --- helpers used by the tests ----------------------------------------------------------


def wait_for(page: Page, condition: str, timeout: float = 15_000) -> None:
    """Waits until the JavaScript ``condition`` is true. (A bare expression would be
    compiled with eval, which the app's CSP rightly refuses; a function is not.)"""
    page.wait_for_function(f"() => {condition}", timeout=timeout)


def wait_for_first_render(page: Page) -> None:
    wait_for(page, "performance.getEntriesByName('soundshelf:first-render').length > 0")


def audio(page: Page, prop: str) -> float | bool:
    return page.evaluate(f"{PLAYER_AUDIO}.{prop}")


def sign_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def screenshot(page: Page, name: str) -> None:
    """``var/screenshots/{name}-desktop.png`` and ``-mobile.png`` of what is on screen."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}-desktop.png")
    page.set_viewport_size(MOBILE)
    page.wait_for_timeout(150)  # layout and the waveform canvas follow the new size
    page.screenshot(path=SCREENSHOTS / f"{name}-mobile.png")
    page.set_viewport_size(DESKTOP)
