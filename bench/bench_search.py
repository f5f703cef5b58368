"""Latency of ``SearchIndex.search`` on 100,000 tracks in a SQLite ``Table``.

Run with ``python bench/bench_search.py``; prints a Markdown section to stdout. Titles
are 1–4 words drawn (Zipf-like: a few words are very common) from 20,000 synthetic
syllable words; the other text is an artist name and an album title. 2,000 owners, 85%
of tracks public, 10% private, 5% friends-only. Tracks are indexed with
``SearchIndex.put_many``, which packs several tracks into one transaction. Searches run
as a random signed-in user, so each one reads what others may find and the viewer's own
items; strangers' friends-only tracks among the first entries are skipped.
"""

from __future__ import annotations

import itertools
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soundshelf.adapters.sqlite_table import SqliteTable
from soundshelf.ports.table import Page
from soundshelf.search import KINDS, SearchIndex

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalog_fixture import VOCABULARY, make_words  # the HTTP benchmark's vocabulary

TRACKS = 100_000
OWNERS = 2_000
ARTISTS = 5_000
FILL_BATCH = 1_000  # tracks per put_many call
SEARCHES = 1_000  # timed searches per row, after a short warm-up
WARMUP = 50


@dataclass(frozen=True)
class Corpus:
    words: list[str]
    weights: list[float]
    titles: list[str]


def make_corpus(rng: random.Random) -> Corpus:
    words = make_words(rng)
    weights = list(itertools.accumulate(1 / (n + 1) for n in range(len(words))))  # Zipf
    titles = [
        " ".join(rng.choices(words, cum_weights=weights, k=rng.randint(1, 4))).title()
        for _ in range(TRACKS)
    ]
    return Corpus(words, weights, titles)


def visibility(n: int) -> str:
    return "private" if n % 20 in (0, 1) else "friends" if n % 20 == 2 else "public"


def fill(index: SearchIndex, corpus: Corpus, rng: random.Random) -> float:
    """Index every track with ``put_many`` (several tracks per transaction); returns the
    seconds taken."""
    artists = [" ".join(rng.sample(corpus.words, 2)).title() for _ in range(ARTISTS)]
    started = time.perf_counter()
    for first in range(0, TRACKS, FILL_BATCH):
        index.put_many(
            track(n, corpus, artists, rng) for n in range(first, min(TRACKS, first + FILL_BATCH))
        )
    return time.perf_counter() - started


def track(n: int, corpus: Corpus, artists: list[str], rng: random.Random) -> dict[str, Any]:
    artist = n % ARTISTS
    album = " ".join(rng.choices(corpus.words, cum_weights=corpus.weights, k=2))
    return {
        "kind": "track",
        "item_id": f"01TRACK{n:08d}",
        "owner_id": f"01USER{artist % OWNERS:05d}",
        "visibility": visibility(n),
        "title": corpus.titles[n],
        "text": f"{artists[artist]} {album}",
        "rank": int(rng.paretovariate(1.2) * 10),
    }


@dataclass(frozen=True)
class Query:
    text: str
    source: str | None = None  # a public track the query was made from: it should be found


def prefix_query(corpus: Corpus, rng: random.Random) -> Query:
    """A 3–5-letter prefix of a word, picked as often as the word appears in titles."""
    word = rng.choices(corpus.words, cum_weights=corpus.weights)[0]
    return Query(word[: rng.randint(3, 5)])


def two_word_query(corpus: Corpus, rng: random.Random) -> Query:
    """Two words of a real title, the second one half typed (as in a search box)."""
    while True:
        n = rng.randrange(TRACKS)
        words = corpus.titles[n].lower().split()
        if len(words) >= 2:
            first, second = rng.sample(words, 2)
            source = f"01TRACK{n:08d}" if visibility(n) == "public" else None
            return Query(f"{first} {second[: max(3, len(second) // 2)]}", source)


@dataclass(frozen=True)
class Row:
    name: str
    timings_ms: list[float]
    hits: list[int]
    queries: float
    sources_found: list[bool]

    def markdown(self) -> str:
        ordered = sorted(self.timings_ms)
        p50 = ordered[len(ordered) // 2]
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        mean_hits = statistics.fmean(self.hits)
        found = self.sources_found
        recall = f"{100 * sum(found) / len(found):.0f}%" if found else "–"
        return (
            f"| {self.name} | {len(ordered):,} | {p50:.2f} | {p99:.2f} | "
            f"{statistics.fmean(ordered):.2f} | {mean_hits:.1f} | {self.queries:.2f} | "
            f"{recall} |"
        )


class CountingTable(SqliteTable):
    """A SqliteTable that counts queries: the index's only calls while searching."""

    queries = 0

    def query(self, pk: str, **kwargs: Any) -> Page:
        self.queries += 1
        return super().query(pk, **kwargs)


def measure(
    name: str,
    index: SearchIndex,
    table: CountingTable,
    make_query: Callable[[], Query],
    types: set[str],
) -> Row:
    rng_viewers = random.Random(name)

    def search(query: Query) -> list[str]:
        viewer = f"01USER{rng_viewers.randrange(OWNERS):05d}"
        found = index.search(q=query.text, viewer_id=viewer, types=types)
        return [hit.item_id for hits in found.values() for hit in hits]

    for _ in range(WARMUP):
        search(make_query())
    timings, hits, sources_found = [], [], []
    queries_before = table.queries
    for _ in range(SEARCHES):
        query = make_query()  # made outside the timed part
        started = time.perf_counter_ns()
        ids = search(query)
        timings.append((time.perf_counter_ns() - started) / 1e6)
        hits.append(len(ids))
        if query.source is not None:
            sources_found.append(query.source in ids)
    return Row(name, timings, hits, (table.queries - queries_before) / SEARCHES, sources_found)


def main() -> None:
    rng = random.Random(7)
    corpus = make_corpus(rng)
    with tempfile.TemporaryDirectory() as tmp, CountingTable(Path(tmp) / "search.db") as table:
        index = SearchIndex(table)
        fill_seconds = fill(index, corpus, rng)
        size_mb = (Path(tmp) / "search.db").stat().st_size / 1e6
        rows = [
            measure(
                "prefix, 3–5 letters", index, table, lambda: prefix_query(corpus, rng), {"track"}
            ),
            measure("two words", index, table, lambda: two_word_query(corpus, rng), {"track"}),
            measure(
                "prefix, all five types",
                index,
                table,
                lambda: prefix_query(corpus, rng),
                set(KINDS),
            ),
        ]
    print("## Search (SQLite, 100k tracks)\n")
    print(
        f"Indexed {TRACKS:,} tracks (titles of 1–4 of {VOCABULARY:,} synthetic words, "
        f"Zipf-weighted, plus artist and album words) in {fill_seconds:.1f} s "
        f"({TRACKS / fill_seconds:,.0f} tracks/s with put_many; database "
        f"{size_mb:,.0f} MB). Each search is as a random signed-in user, limit 20 per type; "
        f"Python {sys.version.split()[0]}, one thread, WAL. Latencies in milliseconds. "
        "*Source found*: two-word queries are made from a public track's title (the second "
        "word half typed); the share of them that list that track in their top 20.\n"
    )
    print(
        "| query | searches | p50 (ms) | p99 (ms) | mean (ms) | mean hits "
        "| Table queries per search | source found |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(row.markdown(), flush=True)


if __name__ == "__main__":
    main()
