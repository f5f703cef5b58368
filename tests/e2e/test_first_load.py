"""The landing page's weight and speed: HTML + JS + CSS fetched before the first view is
drawn must stay within 150 KB (uncompressed); both figures are printed."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import screenshot, wait_for_first_render
from tests.system.conftest import Server

pytestmark = pytest.mark.e2e

BUDGET_BYTES = 150_000

# Everything the page fetched up to the router's first render, from the Resource Timing
# entries (decodedBodySize = uncompressed bytes).
FIRST_LOAD = """() => {
  const rendered = performance.getEntriesByName("soundshelf:first-render")[0].startTime;
  const navigation = performance.getEntriesByType("navigation")[0];
  const code = performance.getEntriesByType("resource").filter(
    (r) => r.responseEnd <= rendered && /\\.(js|css|html)$/.test(new URL(r.name).pathname),
  );
  const files = [navigation, ...code].map((r) => [new URL(r.name).pathname, r.decodedBodySize]);
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  return { files, renderMs: rendered, paintMs: paint ? paint.startTime : null };
}"""


def measure(page: Page) -> tuple[dict[str, int], dict[str, float]]:
    page.goto("/")
    wait_for_first_render(page)
    page.get_by_role("heading", name="Recently added").wait_for()
    figures = page.evaluate(FIRST_LOAD)
    return dict(figures["files"]), figures


def test_first_load_stays_within_budget(
    page: Page, browser: Browser, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    # Once against the freshly started server, once more in a new context (empty browser
    # cache again) now that the server has warmed up.
    files, cold = measure(page)
    context = browser.new_context(base_url=server.url)
    try:
        _, warm = measure(context.new_page())
    finally:
        context.close()
    total = sum(files.values())
    with capsys.disabled():
        print(
            f"\nfirst load: {total / 1000:.1f} KB of HTML+JS+CSS in {len(files)} files "
            f"(budget {BUDGET_BYTES / 1000:.0f} KB); first render at {warm['renderMs']:.0f} ms "
            f"(first contentful paint {warm['paintMs']:.0f} ms; on the cold server "
            f"{cold['renderMs']:.0f} ms)"
        )
    assert all(size > 0 for size in files.values()), files  # sizes were really measured
    assert {"/", "/css/app.css", "/js/app.js", "/js/player.js", "/js/views/home.js"} <= set(files)
    assert total <= BUDGET_BYTES, files
    screenshot(page, "home")
