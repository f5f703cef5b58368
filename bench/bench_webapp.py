"""The web app's first load: bytes of HTML + JS + CSS fetched before the first view is
drawn (budget 150 KB uncompressed) and the time to that first render, in Debian's
chromium against a real `soundshelf serve` with the demo catalog."""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_first_load import BUDGET_BYTES, measure
from tests.system.conftest import start_server, stop_server

RUNS = 5


def main() -> None:
    if not CHROMIUM.exists():
        print("## Web app first load\n\nNot measured: Debian chromium is not installed.")
        return
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp) / "data", demo=True)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                runs = []
                for _ in range(RUNS + 1):  # the first run warms the server up
                    context = browser.new_context(base_url=server.url)  # empty cache
                    files, figures = measure(context.new_page())
                    runs.append((files, figures))
                    context.close()
                browser.close()
        finally:
            stop_server(server)
    files = runs[-1][0]
    render = [f["renderMs"] for _, f in runs[1:]]
    paint = [f["paintMs"] for _, f in runs[1:]]
    total = sum(files.values())
    print("## Web app first load\n")
    print(
        f"Landing page in headless chromium, fresh browser context each time (empty cache), "
        f"median of {RUNS} after one warm-up.\n"
    )
    print("| measurement | result | budget |")
    print("|---|---|---|")
    print(
        f"| HTML + JS + CSS before first render | {total / 1000:.1f} KB in {len(files)} files "
        f"| ≤ {BUDGET_BYTES / 1000:.0f} KB |"
    )
    print(f"| time to first render (router's first view) | {statistics.median(render):.0f} ms | |")
    print(f"| first contentful paint | {statistics.median(paint):.0f} ms | |")


if __name__ == "__main__":
    main()
