"""The search index on the Table port: every ``table`` test runs on SQLite and DynamoDB.

The index is built from ordinary Table calls, so the same behaviour on both adapters is
the point. moto copies the whole table for every transaction, so corpora here stay
small; the 2,000-item test at the end runs on SQLite only (it counts calls at the port,
which does not depend on the adapter).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from soundshelf.adapters.sqlite_table import SqliteTable
from soundshelf.core.text import normalize, tokens
from soundshelf.ports.table import Table, TransactionFailed
from soundshelf.search import KINDS, SearchHit, SearchIndex
from soundshelf.search import index as search_index
from soundshelf.search.index import MAX_CANDIDATES

OWNER, FRIEND, STRANGER = "01OWNER", "01FRIEND", "01STRANGER"

# --- helpers -------------------------------------------------------------------------------


class CountingTable:
    """A Table that counts the calls made through it and remembers query limits."""

    def __init__(self, inner: Table) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()
        self.query_limits: list[int] = []

    def reset(self) -> None:
        self.calls.clear()
        self.query_limits.clear()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            if name == "query":
                self.query_limits.append(kwargs.get("limit", 50))
            return method(*args, **kwargs)

        return counted


def put(index: SearchIndex, item_id: str, title: str, **fields: Any) -> None:
    values: dict[str, Any] = {
        "kind": "track",
        "owner_id": OWNER,
        "visibility": "public",
        **fields,
    }
    index.put(item_id=item_id, title=title, **values)


def ids(
    index: SearchIndex, q: str, viewer: str | None = STRANGER, kind: str = "track", **kw: Any
) -> list[str]:
    hits = index.search(q=q, viewer_id=viewer, types={kind}, **kw)[kind]
    return [hit.item_id for hit in hits]


def friends_with(*users: str) -> Any:
    """A ``friends_among`` for a viewer whose friends are ``users``; it records each call."""

    def friends_among(owner_ids: set[str]) -> list[str]:
        friends_among.calls.append(set(owner_ids))  # type: ignore[attr-defined]
        return [o for o in owner_ids if o in users]

    friends_among.calls = []  # type: ignore[attr-defined]
    return friends_among


def many_words(stem: str) -> str:
    """30 words of 12 letters ("alpha00alpha"…): ~130 prefixes, more than a transaction
    holds once deletes and puts of a change are counted."""
    return " ".join(f"{stem}{i:02d}{stem}" for i in range(30))


def entries(table: Table, scope: str, prefix: str, kind: str = "track") -> list[dict[str, Any]]:
    """The index entries of one prefix in one scope (``all`` or ``own:{owner}``)."""
    return table.query(f"SEARCH#{scope}#{kind}#{prefix[:2]}", begins_with=f"{prefix}#").items


@pytest.fixture
def index(table: Table) -> SearchIndex:
    return SearchIndex(table)


# --- text ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Beyoncé", "beyonce"),
        ("BEYONCÉ", "beyonce"),
        ("AC/DC", "ac dc"),
        ("Sigur Rós", "sigur ros"),
        ("Bjørk", "bjork"),
        ("Straße", "strasse"),
        ("Don't  Stop—Me_Now!", "dont stop me now"),
        ("ﬁre²", "fire2"),
        ("🎵 ; DROP TABLE --", "drop table"),
        ("", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_tokens_are_unique_in_order_and_bounded() -> None:
    assert tokens("Night night NIGHT drive 5 a") == ["night", "drive", "5", "a"]
    assert len(tokens(" ".join(f"w{i}" for i in range(100)))) == 30
    assert tokens("x" * 100) == ["x" * 40]


# --- matching ------------------------------------------------------------------------------


def test_prefix_of_a_word_finds_the_item(index: SearchIndex) -> None:
    put(index, "01A", "The Beatles")
    put(index, "01B", "Beach House")

    assert ids(index, "beat") == ["01A"]
    assert ids(index, "BEATLES") == ["01A"]
    assert sorted(ids(index, "bea")) == ["01A", "01B"]
    assert ids(index, "eatles") == []  # inside a word is not a prefix
    assert ids(index, "beatlesque") == []


def test_case_and_accents_do_not_matter(index: SearchIndex) -> None:
    put(index, "01A", "Beyoncé")
    put(index, "01B", "AC/DC")

    assert ids(index, "beyonce") == ["01A"]
    assert ids(index, "BEYONCÉ") == ["01A"]
    assert ids(index, "Beyonc") == ["01A"]
    assert ids(index, "dc") == ["01B"]
    assert ids(index, "ac dc") == ["01B"]


def test_every_query_word_must_match(index: SearchIndex) -> None:
    put(index, "01A", "Night Drive Home")
    put(index, "01B", "Night Moves")
    put(index, "01C", "Drive")

    assert ids(index, "night drive") == ["01A"]
    assert ids(index, "drive night") == ["01A"]
    assert ids(index, "nig dri") == ["01A"]
    assert ids(index, "night d") == ["01A"]  # a one-letter word still narrows
    assert sorted(ids(index, "night")) == ["01A", "01B"]
    assert ids(index, "night drive away") == []


def test_words_longer_than_a_prefix_entry_still_match_whole(index: SearchIndex) -> None:
    put(index, "01A", "Extraordinary")
    put(index, "01B", "Extraordinarily Loud")

    assert ids(index, "extraordinary") == ["01A"]
    assert ids(index, "extraordinarily") == ["01B"]
    assert ids(index, "extraordinar") == ["01B", "01A"]  # equals: the newest first
    assert ids(index, "extraordinarily lou") == ["01B"]
    assert ids(index, "extraordinaire") == []


def test_text_words_are_found_too(index: SearchIndex) -> None:
    put(index, "01A", "Yesterday", text="The Beatles, Help!, 1965")

    assert ids(index, "beatles yesterday") == ["01A"]
    assert ids(index, "1965") == ["01A"]


# --- ranking -------------------------------------------------------------------------------


def test_exact_word_beats_prefix_even_when_less_popular(index: SearchIndex) -> None:
    put(index, "01A", "Beatles Forever", rank=1_000)
    put(index, "01B", "Beat It", rank=1)

    hits = index.search(q="beat", viewer_id=None, types={"track"})["track"]

    assert [h.item_id for h in hits] == ["01B", "01A"]
    assert hits[0].score > hits[1].score


def test_title_beats_text_even_when_less_popular(index: SearchIndex) -> None:
    put(index, "01A", "Sunrise", text="ocean", rank=1_000)
    put(index, "01B", "Ocean Eyes", rank=1)

    assert ids(index, "ocean") == ["01B", "01A"]
    assert ids(index, "oce") == ["01B", "01A"]


def test_exact_text_word_beats_title_prefix(index: SearchIndex) -> None:
    put(index, "01A", "Oceanic", rank=1_000)
    put(index, "01B", "Sunrise", text="ocean", rank=1)

    assert ids(index, "ocean") == ["01B", "01A"]


def test_rank_then_newest_break_ties(index: SearchIndex) -> None:
    put(index, "01A", "Rain", rank=5)
    put(index, "01B", "Rain", rank=50)
    put(index, "01C", "Rain", rank=5)

    hits = index.search(q="rain", viewer_id=None, types={"track"})["track"]

    assert [h.item_id for h in hits] == ["01B", "01C", "01A"]
    assert [h.rank for h in hits] == [50, 5, 5]


# --- visibility ----------------------------------------------------------------------------


def test_private_item_is_found_by_its_owner_only(index: SearchIndex) -> None:
    put(index, "01A", "Secret Demo", visibility="private")

    assert ids(index, "secret", viewer=OWNER) == ["01A"]
    assert ids(index, "secret", viewer=STRANGER) == []
    assert ids(index, "secret", viewer=None) == []


def test_public_item_is_found_by_anyone(index: SearchIndex) -> None:
    put(index, "01A", "Open Air")

    assert ids(index, "open", viewer=None) == ["01A"]
    assert ids(index, "open", viewer=STRANGER) == ["01A"]
    assert ids(index, "open", viewer=OWNER) == ["01A"]  # not twice


def test_making_an_item_private_hides_it_from_others(index: SearchIndex) -> None:
    put(index, "01A", "Open Air")
    put(index, "01A", "Open Air", visibility="private")

    assert ids(index, "open", viewer=None) == []
    assert ids(index, "open", viewer=STRANGER) == []
    assert ids(index, "open", viewer=OWNER) == ["01A"]

    put(index, "01A", "Open Air", visibility="public")
    assert ids(index, "open", viewer=None) == ["01A"]


def test_taken_down_item_is_hidden_from_all_but_its_owner(index: SearchIndex) -> None:
    put(index, "01A", "Stolen Song", taken_down=True)
    put(index, "01B", "Stolen Song Friends", visibility="friends", taken_down=True)

    assert ids(index, "stolen", viewer=None) == []
    assert ids(index, "stolen", viewer=STRANGER) == []
    assert ids(index, "stolen", viewer=FRIEND, friends_among=friends_with(OWNER)) == []
    assert sorted(ids(index, "stolen", viewer=OWNER)) == ["01A", "01B"]


def test_friends_items_are_found_by_friends_only(index: SearchIndex) -> None:
    put(index, "01A", "Family Trip", visibility="friends")
    put(index, "01B", "Family Diary", visibility="private")
    put(index, "01C", "Family Album")
    stranger = friends_with(FRIEND)  # the stranger's friends do not include the owner

    assert ids(index, "family", viewer=STRANGER, friends_among=stranger) == ["01C"]
    assert stranger.calls == [{OWNER}]
    assert ids(index, "family", viewer=STRANGER) == ["01C"]
    assert ids(index, "family", viewer=None, friends_among=friends_with(OWNER)) == ["01C"]
    friend = friends_with(OWNER)
    assert sorted(ids(index, "family", viewer=FRIEND, friends_among=friend)) == ["01A", "01C"]
    assert sorted(ids(index, "fam trip", viewer=FRIEND, friends_among=friend)) == ["01A"]
    assert sorted(ids(index, "family", viewer=OWNER)) == ["01A", "01B", "01C"]


def test_strangers_friends_only_items_do_not_crowd_out_public_ones(table: Table) -> None:
    counting = CountingTable(table)
    index = SearchIndex(counting)  # type: ignore[arg-type]
    for n in range(30):  # the most popular "echo" items are friends-only
        put(index, f"01F{n:02d}", "Echo", visibility="friends", rank=1_000 + n)
    for n in range(5):
        put(index, f"01P{n}", "Echo", rank=n)
    counting.reset()
    stranger = friends_with()

    found = ids(index, "echo", viewer=STRANGER, friends_among=stranger, limit_per_type=3)

    assert found == ["01P4", "01P3", "01P2"]
    assert stranger.calls == [{OWNER}]  # asked once about the one owner met
    # Others' scope: the first 3, then pages twice as large until 3 are visible (30
    # friends-only entries, then public ones); the viewer's own scope: 3.
    assert counting.query_limits == [3, 6, 12, 24, 3]


# --- changes -------------------------------------------------------------------------------


def test_removed_item_is_found_by_nobody(index: SearchIndex, table: Table) -> None:
    put(index, "01A", "Gone Tomorrow")
    put(index, "01B", "Gone Today")

    index.remove(kind="track", item_id="01A")
    index.remove(kind="track", item_id="01A")  # again: nothing to do
    index.remove(kind="track", item_id="01NEVER")

    assert ids(index, "gone", viewer=None) == ["01B"]
    assert ids(index, "gone", viewer=OWNER) == ["01B"]
    assert entries(table, "all", "tomorrow") == entries(table, "all", "tom") == []
    assert len(entries(table, "all", "go")) == 1


def test_reindexing_drops_words_that_are_gone(index: SearchIndex) -> None:
    put(index, "01A", "Old Name", text="first edition")
    put(index, "01A", "New Name", text="second edition")

    for viewer in (None, OWNER):
        assert ids(index, "old", viewer=viewer) == []
        assert ids(index, "first", viewer=viewer) == []
        assert ids(index, "new name", viewer=viewer) == ["01A"]
        assert ids(index, "second", viewer=viewer) == ["01A"]


def test_reput_of_the_same_item_is_idempotent(table: Table) -> None:
    counting = CountingTable(table)
    index = SearchIndex(counting)  # type: ignore[arg-type]
    put(index, "01A", "Same Old Song", rank=3)
    counting.reset()

    put(index, "01A", "Same Old Song", rank=3)

    assert counting.calls == {"get": 1}  # read the manifest, write nothing
    assert ids(index, "same") == ["01A"]


def test_rank_change_moves_the_item(index: SearchIndex) -> None:
    put(index, "01A", "Echo", rank=10)
    put(index, "01B", "Echo", rank=20)
    put(index, "01A", "Echo", rank=30)

    hits = index.search(q="echo", viewer_id=None, types={"track"})["track"]
    assert [(h.item_id, h.rank) for h in hits] == [("01A", 30), ("01B", 20)]


def test_item_with_many_words_is_reindexed_across_transactions(
    index: SearchIndex, table: Table
) -> None:
    put(index, "01A", many_words("alpha"), visibility="private")
    assert len(entries(table, f"own:{OWNER}", "alpha0")) == 1  # one entry per prefix
    put(index, "01A", many_words("omega"))

    assert ids(index, "alpha", viewer=OWNER) == []
    assert ids(index, "omega29", viewer=None) == ["01A"]
    assert [len(entries(table, s, w)) for s in ("all", f"own:{OWNER}") for w in ("al", "om")] == [
        0,
        1,
        0,
        0,
    ]
    index.remove(kind="track", item_id="01A")
    assert ids(index, "omega", viewer=OWNER) == []
    assert entries(table, "all", "om") == []


class FailingTable(CountingTable):
    """Fails the ``fail_at``-th transaction, like a process killed halfway through."""

    def __init__(self, inner: Table, fail_at: int) -> None:
        super().__init__(inner)
        self.fail_at = fail_at

    def transact(self, ops: Any) -> None:
        self.calls["transact"] += 1
        if self.calls["transact"] == self.fail_at:
            raise RuntimeError("interrupted")
        self.inner.transact(ops)


@pytest.mark.parametrize("fail_at", [2, 3])  # after the manifest; after one chunk too
def test_an_interrupted_reindex_is_cleaned_up_by_the_next_put(table: Table, fail_at: int) -> None:
    put(SearchIndex(table), "01A", many_words("alpha"))
    failing = FailingTable(table, fail_at=fail_at)
    with pytest.raises(RuntimeError, match="interrupted"):
        put(SearchIndex(failing), "01A", many_words("omega"))  # type: ignore[arg-type]

    index = SearchIndex(table)
    put(index, "01A", "Delta Final")

    for viewer in (None, OWNER):
        assert ids(index, "alpha", viewer=viewer) == []
        assert ids(index, "omega", viewer=viewer) == []
        assert ids(index, "delta final", viewer=viewer) == ["01A"]
    for scope in ("all", f"own:{OWNER}"):
        for word in ("al", "om"):
            assert entries(table, scope, word) == []


def track(item_id: str, title: str, **fields: Any) -> dict[str, Any]:
    """``put``'s arguments, for ``put_many``."""
    base = {"kind": "track", "owner_id": OWNER, "visibility": "public"}
    return {**base, "item_id": item_id, "title": title, **fields}


def test_put_many_packs_items_into_few_transactions(table: Table) -> None:
    counting = CountingTable(table)
    index = SearchIndex(counting)  # type: ignore[arg-type]

    index.put_many(track(f"01{n}", f"Bulk Song {n}", rank=n) for n in range(10))

    assert counting.calls == {"batch_get": 1, "transact": 1}
    assert ids(index, "bulk song", viewer=None) == [f"01{n}" for n in range(9, -1, -1)]


def test_put_many_ends_like_successive_puts(index: SearchIndex) -> None:
    put(index, "01A", "Old Title")
    put(index, "01B", "Stays Put")
    put(index, "01BIG", many_words("alpha"))

    index.put_many(
        [
            track("01A", "New Title"),
            track("01B", "Stays Put"),
            track("01C", "Hidden Title", visibility="private"),
            track("01BIG", many_words("omega")),  # too many writes for one transaction
            track("01D", "First Draft"),
            track("01D", "Final Title"),
        ]
    )

    assert ids(index, "old", viewer=OWNER) == []
    assert sorted(ids(index, "title", viewer=None)) == ["01A", "01D"]
    assert sorted(ids(index, "title", viewer=OWNER)) == ["01A", "01C", "01D"]
    assert ids(index, "stays", viewer=None) == ["01B"]
    assert ids(index, "draft", viewer=OWNER) == []
    assert ids(index, "alpha", viewer=OWNER) == []
    assert ids(index, "omega07", viewer=None) == ["01BIG"]


class ConflictOnceTable(CountingTable):
    """The first transaction is cancelled, as when another writer got there first."""

    def transact(self, ops: Any) -> None:
        self.calls["transact"] += 1
        if self.calls["transact"] == 1:
            raise TransactionFailed([(0, "item changed")])
        self.inner.transact(ops)


def test_put_many_redoes_items_one_by_one_after_a_conflict(table: Table) -> None:
    index = SearchIndex(ConflictOnceTable(table))  # type: ignore[arg-type]

    index.put_many([track("01A", "Retry Me"), track("01B", "Retry You")])

    assert sorted(ids(index, "retry", viewer=None)) == ["01A", "01B"]


def test_put_many_checks_every_item_before_writing(index: SearchIndex) -> None:
    with pytest.raises(ValueError, match="visibility"):
        index.put_many([track("01A", "Fine"), track("01B", "Bad", visibility="everyone")])

    assert ids(index, "fine", viewer=OWNER) == []


# --- the request -------------------------------------------------------------------------------


def test_types_choose_the_kinds_searched(index: SearchIndex) -> None:
    put(index, "01T", "Blue Monday", kind="track")
    put(index, "01L", "Blue Lines", kind="album")
    put(index, "01P", "Blue Sky", kind="photo")

    only_albums = index.search(q="blue", viewer_id=None, types={"album"})
    two = index.search(q="blue", viewer_id=None, types={"track", "photo"})
    every = index.search(q="blue", viewer_id=None, types=set(KINDS))

    assert only_albums == {"album": [SearchHit("album", "01L", 4.0, 0.0)]}
    assert {k: [h.item_id for h in v] for k, v in two.items()} == {
        "track": ["01T"],
        "photo": ["01P"],
    }
    assert {k: len(v) for k, v in every.items()} == {
        "track": 1,
        "album": 1,
        "photo": 1,
        "artist": 0,
        "playlist": 0,
    }
    with pytest.raises(ValueError, match="kind"):
        index.search(q="blue", viewer_id=None, types={"video"})


def test_limit_per_type_keeps_the_best(index: SearchIndex) -> None:
    for n in range(6):
        put(index, f"01{n}", "Waves", rank=n)

    assert ids(index, "waves", limit_per_type=3) == ["015", "014", "013"]
    with pytest.raises(ValueError, match="limit_per_type"):
        ids(index, "waves", limit_per_type=0)


@pytest.mark.parametrize(
    "q",
    [
        "",
        "   ",
        "a",
        "é",
        "%",
        "*",
        "#",
        "\x00",
        "🎵🎶",
        "'; DROP TABLE items; --",
        '" OR 1=1 --',
        "SEARCH#pub#track#wa",
        "w" * 10_000,
        "waves " * 5_000,
    ],
)
def test_odd_queries_return_nothing_without_error(index: SearchIndex, q: str) -> None:
    put(index, "01A", "Waves")  # a word the long query repeats: cut, it must not crash

    result = index.search(q=q, viewer_id=None, types={"track", "album"})

    assert set(result) == {"track", "album"}
    found = result["track"]
    assert found == [] or (q.startswith("waves ") and [h.item_id for h in found] == ["01A"])
    assert ids(index, "waves") == ["01A"]  # the table is intact


def test_bad_items_are_refused(index: SearchIndex) -> None:
    with pytest.raises(ValueError, match="kind"):
        put(index, "01A", "x", kind="video")
    with pytest.raises(ValueError, match="visibility"):
        put(index, "01A", "x", visibility="secret")
    with pytest.raises(ValueError, match="item_id"):
        put(index, "01#A", "x")
    with pytest.raises(ValueError, match="rank"):
        put(index, "01A", "x", rank=float("nan"))


# --- cost ----------------------------------------------------------------------------------


def test_a_search_is_one_query_per_kind_and_scope(table: Table) -> None:
    counting = CountingTable(table)
    index = SearchIndex(counting)  # type: ignore[arg-type]
    for n in range(8):
        put(index, f"01{n}", f"Moon {n}", kind="track" if n % 2 else "album")
    counting.reset()

    index.search(q="moon", viewer_id=None, types=set(KINDS))
    assert counting.calls == {"query": 5}

    counting.reset()
    index.search(q="moon 3", viewer_id=OWNER, types=set(KINDS), friends_among=friends_with())
    assert counting.calls == {"query": 10}  # the other users' scope and the viewer's own


def test_a_rare_word_rescues_a_common_one(table: Table, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the longest word has more entries than one read takes, the next word is
    tried, and a word whose entries all fit gives the exact answer."""
    monkeypatch.setattr(search_index, "MAX_CANDIDATES", 3)
    counting = CountingTable(table)
    index = SearchIndex(counting)  # type: ignore[arg-type]
    for n in range(5):
        put(index, f"01{n}", f"Lovesong {n}", rank=100 + n)
    put(index, "01GEM", "Lovesong Gem", rank=1)
    counting.reset()

    assert ids(index, "lovesong gem", viewer=None) == ["01GEM"]
    assert counting.calls == {"query": 2}
    assert ids(index, "lovesong", viewer=None) == ["014", "013", "012"]  # the best 3 only


def test_search_cost_stays_bounded_on_a_large_corpus(tmp_path: Path) -> None:
    """2,000 tracks share the word "love": a search reads a bounded number of entries and
    still returns the most popular exact matches first."""
    with SqliteTable(tmp_path / "search.db") as sqlite:
        counting = CountingTable(sqlite)
        index = SearchIndex(counting)  # type: ignore[arg-type]
        for n in range(2_000):
            rank = (n * 7_919) % 2_000  # every rank once, in a scrambled order
            title = f"Love {'Song' if n % 3 else 'Lovers'} {n}"
            owner = OWNER if n % 10 == 0 else f"01USER{n % 50}"
            put(index, f"01{n:05d}", title, rank=rank, owner_id=owner, text="lovely")
        counting.reset()

        hits = index.search(q="love", viewer_id=OWNER, types={"track"})["track"]
        two_words = index.search(q="love song", viewer_id=None, types={"track"})["track"]

        # "love" alone: 2 scopes, the first 20 entries of each (stored in ranking order);
        # "love song": both words have more than one read's worth.
        assert counting.calls == {"query": 4}
        assert counting.query_limits == [20, 20, MAX_CANDIDATES, MAX_CANDIDATES]
        assert [h.rank for h in hits] == list(range(1_999, 1_979, -1))
        assert len(two_words) == 20
        assert all(h.score == 8.0 for h in two_words)  # "love" and "song": exact title
