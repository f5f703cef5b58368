"""Runs every ``bench/bench_*.py`` and rewrites ``docs/benchmarks.md`` with their Markdown
sections, the machine and the date (``make bench``). ``run_all.py bench_x bench_y`` runs
only those and keeps the other sections as they were."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "benchmarks.md"


def machine() -> str:
    cpu = "unknown CPU"
    for line in (
        Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []
    ):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = ""
    if Path("/proc/meminfo").exists():
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024**2:.0f} GiB RAM"
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}"
    )


def previous_sections() -> dict[str, str]:
    """The sections of the current docs/benchmarks.md, by script name."""
    if not OUT.exists():
        return {}
    parts = OUT.read_text().split("<!-- section: ")[1:]
    return {part.split(" -->", 1)[0]: part.split(" -->\n", 1)[1].rstrip() + "\n" for part in parts}


def today() -> str:
    return f"{datetime.now(UTC):%Y-%m-%d}"


def main() -> int:
    only = set(sys.argv[1:])
    sections = previous_sections() if only else {}
    for script in sorted((ROOT / "bench").glob("bench_*.py")):
        if only and script.stem not in only:
            continue
        print(f"running {script.name}…", file=sys.stderr, flush=True)
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, check=False
        )
        took = time.monotonic() - started
        if result.returncode != 0:
            text = (
                f"## {script.stem}\n\nFailed (exit {result.returncode}):\n\n"
                f"```\n{result.stderr[-2000:]}\n```\n"
            )
        else:
            text = result.stdout.strip() + f"\n\n_{script.name}: {took:.0f} s, {today()}_\n"
        sections[script.stem] = text
    header = (
        "# Benchmarks\n\n"
        f"Last run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench` on {machine()}.\n"
        "Every figure below comes from a script in `bench/`; rerun `make bench` to refresh.\n"
    )
    body = "\n".join(f"<!-- section: {n} -->\n{text}" for n, text in sorted(sections.items()))
    OUT.write_text(header + "\n" + body)
    print(f"wrote {OUT.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
