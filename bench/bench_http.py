"""Catalog endpoints over HTTP on a real ``soundshelf serve``, at 100,000 and 1,000,000 tracks.

A synthetic catalog (``catalog_fixture.py``) is written into a temporary data dir; the
server (its default HTTP processes, one per core; no processing workers) runs on it, and
``wrk`` (2 threads, 32 connections, 10 s after a 2 s warm-up, on loopback, on the same 2
cores as the server) measures, signed in with a bearer token:

- ``GET /api/health``: a bare FastAPI endpoint of the same app (same middleware, no auth,
  no database): the ceiling the others are compared with;
- ``GET /api/v1/tracks``: the public feed, first page of 50;
- ``GET /api/v1/albums?sort=rank``: the caller's albums by rank, first page of 50;
- ``GET /api/v1/search?q=…``: a 3–5-letter prefix per request, picked from 200 drawn as
  often as their words appear in titles, all five kinds.

Then the same data dir grows to 1,000,000 tracks and the catalog endpoints run again.
Search entries are written for the first 100,000 tracks only (indexing runs at ~400
tracks/s and ~9 KB per track, so 1M would add ~40 minutes and ~9 GB); a one-word search
reads the first 20 entries per kind and scope whatever the size, so its 1M row shows the
effect of the larger file, not of a larger index.

Needs ``wrk`` (``scripts/ensure-bench-tools.sh``); without it, prints a section saying so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalog_fixture import Catalog, GrowStats

from soundshelf.config import Settings
from tests.system.conftest import Server, start_server, stop_server

SMALL, LARGE = 100_000, 1_000_000
THREADS, CONNECTIONS = 2, 32
DURATION, WARMUP = 10, 2  # seconds
P99_GOAL_MS = 25.0
HTTP_PROCESSES = Settings().http_processes  # what `soundshelf serve` runs by default
CEILING_GOAL = 0.5
GROWTH_GOAL = 1.5

CEILING = "GET /api/health (ceiling)"
TRACKS = "GET /tracks"
ALBUMS = "GET /albums?sort=rank"
SEARCH = "GET /search?q="
PATHS = {
    CEILING: "/api/health",
    TRACKS: "/api/v1/tracks",
    ALBUMS: "/api/v1/albums?sort=rank",
    SEARCH: "/api/v1/search?q=",
}

# --- wrk ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    bytes_per_second: float
    requests: int
    errors: int  # socket errors plus non-2xx/3xx answers

    @property
    def ok(self) -> bool:
        return self.errors == 0 and self.requests > 0


def missing_tools(*names: str) -> list[str]:
    return [n for n in names if shutil.which(n) is None and not Path(f"/usr/sbin/{n}").exists()]


def missing_section(title: str, missing: list[str]) -> str:
    return (
        f"## {title}\n\nNot measured: {', '.join(missing)} missing and could not be installed "
        "(`scripts/ensure-bench-tools.sh` installs them with apt-get).\n"
    )


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}
_SIZES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> WrkResult:
    def find(pattern: str) -> re.Match[str] | None:
        return re.search(pattern, output, re.MULTILINE)

    rps = find(r"^Requests/sec:\s+([\d.]+)")
    p50 = find(r"^\s+50%\s+(\S+)")
    p99 = find(r"^\s+99%\s+(\S+)")
    if not (rps and p50 and p99):
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    transfer = find(r"^Transfer/sec:\s+([\d.]+)(\w+)")
    total = find(r"^\s+(\d+) requests in")
    errors = 0
    if sockets := find(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"):
        errors += sum(int(n) for n in sockets.groups())
    if bad := find(r"Non-2xx or 3xx responses: (\d+)"):
        errors += int(bad.group(1))
    return WrkResult(
        requests_per_second=float(rps.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        bytes_per_second=float(transfer.group(1)) * _SIZES[transfer.group(2)] if transfer else 0,
        requests=int(total.group(1)) if total else 0,
        errors=errors,
    )


def wrk(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
    duration: int = DURATION,
    warmup: int = WARMUP,
) -> WrkResult:
    """``wrk --latency`` on ``url`` after an unmeasured warm-up run of ``warmup`` seconds."""
    args = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", "--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    if script is not None:
        args += ["-s", str(script)]
    if warmup:
        subprocess.run([*args, f"-d{warmup}s", url], capture_output=True, check=True, timeout=60)
    done = subprocess.run(
        [*args, f"-d{duration}s", url], capture_output=True, text=True, check=True, timeout=120
    )
    return parse_wrk(done.stdout)


# --- the catalog endpoints ----------------------------------------------------------------


def search_script(path: Path, queries: list[str]) -> Path:
    """A wrk script asking a random one of ``queries`` per request (the -H headers stay)."""
    listed = ", ".join(f'"{q}"' for q in queries)
    path.write_text(
        f"local queries = {{{listed}}}\n"
        "request = function()\n"
        "  local q = queries[math.random(#queries)]\n"
        f'  return wrk.format(nil, "{PATHS[SEARCH]}" .. q)\n'
        "end\n"
    )
    return path


def login(server: Server, catalog: Catalog) -> dict[str, str]:
    response = httpx.post(
        f"{server.url}/api/v1/auth/login",
        json={"username": catalog.username, "password": catalog.password},
        timeout=30,
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['accessToken']}"}


def check_answers(server: Server, headers: dict[str, str], query: str) -> dict[str, int]:
    """What one request of each kind returns (so the numbers are about full pages)."""
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        tracks = client.get(PATHS[TRACKS]).raise_for_status().json()["items"]
        albums = client.get(PATHS[ALBUMS]).raise_for_status().json()["items"]
        found = client.get(PATHS[SEARCH] + query).raise_for_status().json()
    return {
        "tracks": len(tracks),
        "albums": len(albums),
        "search": sum(len(v) for v in found.values()),
    }


def measure(catalog: Catalog, tmp: Path, names: list[str]) -> tuple[dict[str, WrkResult], dict]:
    server = start_server(catalog.data_dir, workers=0, http_processes=HTTP_PROCESSES)
    try:
        headers = login(server, catalog)
        counts = check_answers(server, headers, catalog.queries[0])
        script = search_script(tmp / "search.lua", catalog.queries)
        results = {}
        for name in names:
            results[name] = wrk(
                server.url + (PATHS[name] if name != SEARCH else "/"),
                headers=None if name == CEILING else headers,
                script=script if name == SEARCH else None,
            )
    finally:
        stop_server(server)
    return results, counts


# --- report --------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "yes" if ok else "**no**"


def report(
    small: dict[str, WrkResult],
    large: dict[str, WrkResult],
    grown: tuple[GrowStats, GrowStats],
    counts: dict[str, int],
    sizes: tuple[float, float],
) -> None:
    print("## HTTP: catalog endpoints at 100k and 1M tracks (real server, wrk)\n")
    first, second = grown
    print(
        f"`soundshelf serve` ({HTTP_PROCESSES} HTTP processes, its default here: one per core; "
        "no processing workers) on a synthetic "
        f"catalog written by `bench/catalog_fixture.py`: {SMALL:,} tracks "
        f"({sizes[0] / 1e9:.1f} GB SQLite, written in {first.seconds:.0f} s, search entries "
        f"for them in {first.search_seconds:.0f} s), then grown to {LARGE:,} "
        f"({sizes[1] / 1e9:.1f} GB, {second.seconds:.0f} s more; search entries still for "
        f"the first {SMALL:,} only). `wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION}s` per "
        f"row after a {WARMUP} s warm-up, on loopback, sharing the machine's cores with the "
        "server; signed in with a bearer token except the ceiling. Pages as served: "
        f"{counts['tracks']} tracks, {counts['albums']} albums, {counts['search']} search "
        "results for the first query. Goals: ≥ 50% of the ceiling's requests/s, "
        "p99 ≤ 25 ms, and at 1M a p50 ≤ 1.5× the 100k one. The catalog reads run on each "
        "process's event loop (docs/architecture.md); wrk takes part of the same two cores, "
        "so figures swing between runs on a busy machine. The ceiling is an `async def` "
        "endpoint, as every read is: FastAPI runs a plain `def` one in its threadpool, which "
        "halves it (this ceiling was such an endpoint before 2026-11-23: 6,067 req/s).\n"
    )
    ceiling = small[CEILING].requests_per_second
    print(
        "| endpoint (100k tracks) | req/s | % of ceiling | p50 (ms) | p99 (ms) "
        "| ≥ 50% of ceiling | p99 ≤ 25 ms |"
    )
    print("|---|---:|---:|---:|---:|---|---|")
    for name, result in small.items():
        share = result.requests_per_second / ceiling
        share_met, p99_met = (
            ("–", "–")
            if name == CEILING
            else (
                verdict(share >= CEILING_GOAL and result.ok),
                verdict(result.p99_ms <= P99_GOAL_MS and result.ok),
            )
        )
        errors = f" ({result.errors} errors)" if result.errors else ""
        print(
            f"| `{name}`{errors} | {result.requests_per_second:,.0f} | {100 * share:.0f}% | "
            f"{result.p50_ms:.2f} | {result.p99_ms:.2f} | {share_met} | {p99_met} |"
        )
    print()
    print(
        "| endpoint | p50 at 100k (ms) | p50 at 1M (ms) | 1M / 100k | req/s at 1M "
        "| p99 at 1M (ms) | goal met |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, result in large.items():
        before = small[name]
        ratio = result.p50_ms / before.p50_ms
        errors = f" ({result.errors} errors)" if result.errors else ""
        note = " (index of 100k)" if name == SEARCH else ""
        print(
            f"| `{name}`{note}{errors} | {before.p50_ms:.2f} | {result.p50_ms:.2f} | "
            f"{ratio:.2f}× | {result.requests_per_second:,.0f} | {result.p99_ms:.2f} | "
            f"{verdict(ratio <= GROWTH_GOAL and result.ok)} |"
        )


def main() -> None:
    title = "HTTP: catalog endpoints at 100k and 1M tracks (real server, wrk)"
    if missing := missing_tools("wrk"):
        print(missing_section(title, missing))
        return
    tmp = Path(tempfile.mkdtemp(prefix="soundshelf-bench-http-"))
    try:
        catalog = Catalog(tmp / "data")
        db = catalog.data_dir / "soundshelf.db"
        try:
            first = catalog.grow(SMALL, search=True)
        finally:
            catalog.close()  # the server gets the file to itself
        size_small = db.stat().st_size
        small, counts = measure(catalog, tmp, [CEILING, TRACKS, ALBUMS, SEARCH])
        print(f"measured at {SMALL:,}", file=sys.stderr, flush=True)
        try:
            second = catalog.grow(LARGE, search=False)
        finally:
            catalog.close()
        size_large = db.stat().st_size
        large, _ = measure(catalog, tmp, [TRACKS, ALBUMS, SEARCH])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(small, large, (first, second), counts, (size_small, size_large))


if __name__ == "__main__":
    main()
