"""Contract of the ``Table`` port: every test runs on SQLite and on DynamoDB (moto).

A service must not be able to tell the adapters apart, so anything asserted here holds
for both; the few SQLite-only tests at the end cover what moto cannot show (processes)
or gets wrong (typed equality).
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from soundshelf.adapters.dynamodb_table import DynamoDbTable
from soundshelf.adapters.sqlite_table import MMAP_BYTES, SqliteTable
from soundshelf.ports.table import (
    AttributeAbsent,
    AttributeEquals,
    Check,
    ConditionFailed,
    Delete,
    InvalidCursor,
    Item,
    ItemAbsent,
    ItemPresent,
    Page,
    Put,
    Table,
    TransactionFailed,
    Update,
    encode_cursor,
)

# --- helpers -------------------------------------------------------------------------------


def put_all(table: Table, items: Sequence[Item]) -> None:
    # One put each: moto copies the whole table for every transaction, so filling a
    # partition through transactions would make the DynamoDB runs crawl.
    for item in items:
        table.put(item)


def collect(table: Table, pk: str, **query: Any) -> tuple[list[Item], list[Page]]:
    """Follow cursors to the end; returns every item and every page."""
    pages: list[Page] = []
    cursor = None
    while len(pages) < 1_000:  # a broken cursor must not hang the suite
        page = table.query(pk, cursor=cursor, **query)
        pages.append(page)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    items = [item for page in pages for item in page.items]
    return items, pages


def sks(items: Sequence[Item]) -> list[str]:
    return [item["SK"] for item in items]


# --- single items --------------------------------------------------------------------------

ALL_TYPES: Item = {
    "PK": "TRACK#1",
    "SK": "META",
    "title": "Ünïcødé ♫ 🎵",
    "empty": "",
    "count": 42,
    "negative": -7,
    "big": 2**53 + 1,  # beyond float precision: must stay an exact int
    "ratio": 0.1,
    "tiny": 1.5e-7,
    "flag": True,
    "off": False,
    "nothing": None,
    "tags": ["a", 1, 2.5, False, None],
    "nested": {"k": {"deep": [1, {"x": "y"}], "n": 0.25}},
    "empty_list": [],
    "empty_map": {},
}


def test_put_get_round_trips_every_value_type(table: Table) -> None:
    table.put(ALL_TYPES)

    got = table.get("TRACK#1", "META")

    assert got == ALL_TYPES
    assert got is not None
    for name in ("count", "negative", "big"):
        assert type(got[name]) is int, name
    for name in ("ratio", "tiny"):
        assert type(got[name]) is float, name
    assert got["flag"] is True
    assert got["off"] is False
    assert [type(v) for v in got["tags"]] == [str, int, float, bool, type(None)]
    assert type(got["nested"]["k"]["n"]) is float
    assert table.get("TRACK#1", "OTHER") is None


def test_integral_float_keeps_its_value(table: Table) -> None:
    # DynamoDB has one number type: 2.0 may come back as 2. Equal values, either way.
    table.put({"PK": "A", "SK": "B", "gain": 2.0})

    assert table.get("A", "B") == {"PK": "A", "SK": "B", "gain": 2}


def test_put_replaces_the_whole_item(table: Table) -> None:
    table.put({"PK": "A", "SK": "B", "old": 1, "kept": "x"})
    table.put({"PK": "A", "SK": "B", "kept": "y"})

    assert table.get("A", "B") == {"PK": "A", "SK": "B", "kept": "y"}


def test_conditional_put_item_absent_keeps_the_original(table: Table) -> None:
    table.put({"PK": "USERNAME#ana", "SK": "USERNAME", "user": "u1"}, condition=ItemAbsent())

    with pytest.raises(ConditionFailed, match="must not exist"):
        table.put({"PK": "USERNAME#ana", "SK": "USERNAME", "user": "u2"}, condition=ItemAbsent())

    assert table.get("USERNAME#ana", "USERNAME") == {
        "PK": "USERNAME#ana",
        "SK": "USERNAME",
        "user": "u1",
    }


def test_attribute_equals_is_an_optimistic_version_check(table: Table) -> None:
    table.put({"PK": "PL#1", "SK": "META", "name": "Road trip", "version": 1})
    table.put(
        {"PK": "PL#1", "SK": "META", "name": "Road trip 2", "version": 2},
        condition=AttributeEquals("version", 1),
    )

    with pytest.raises(ConditionFailed, match="version must equal 1"):
        table.put(
            {"PK": "PL#1", "SK": "META", "name": "Lost edit", "version": 2},
            condition=AttributeEquals("version", 1),
        )
    with pytest.raises(ConditionFailed):  # a missing item never equals anything
        table.put({"PK": "PL#2", "SK": "META"}, condition=AttributeEquals("version", 1))

    assert table.get("PL#1", "META") == {
        "PK": "PL#1",
        "SK": "META",
        "name": "Road trip 2",
        "version": 2,
    }
    assert table.get("PL#2", "META") is None


def test_attribute_absent_allows_a_missing_item_but_not_a_present_attribute(
    table: Table,
) -> None:
    table.put({"PK": "A", "SK": "B", "n": 1}, condition=AttributeAbsent("deleted_at"))
    table.update("A", "B", set={"deleted_at": "2024-05-01"})

    with pytest.raises(ConditionFailed, match="deleted_at must be absent"):
        table.update("A", "B", add={"n": 1}, condition=AttributeAbsent("deleted_at"))

    assert table.get("A", "B") == {"PK": "A", "SK": "B", "n": 1, "deleted_at": "2024-05-01"}


def test_several_conditions_must_all_hold(table: Table) -> None:
    table.put({"PK": "A", "SK": "B", "owner": "u1", "version": 3})

    with pytest.raises(ConditionFailed, match="owner must equal 'u2' and version must equal 3"):
        table.delete(
            "A", "B", condition=[AttributeEquals("owner", "u2"), AttributeEquals("version", 3)]
        )
    table.delete(
        "A", "B", condition=[AttributeEquals("owner", "u1"), AttributeEquals("version", 3)]
    )

    assert table.get("A", "B") is None


def test_conditional_delete(table: Table) -> None:
    table.put({"PK": "A", "SK": "B", "version": 2})

    with pytest.raises(ConditionFailed):
        table.delete("A", "B", condition=AttributeEquals("version", 1))
    assert table.get("A", "B") is not None

    table.delete("A", "B", condition=AttributeEquals("version", 2))
    assert table.get("A", "B") is None

    table.delete("A", "B")  # deleting a missing item is fine...
    with pytest.raises(ConditionFailed, match="item must exist"):
        table.delete("A", "B", condition=ItemPresent())  # ...unless it must exist


def test_update_sets_adds_removes_and_returns_the_new_item(table: Table) -> None:
    table.put(
        {"PK": "T#1", "SK": "META", "title": "old", "plays": 10, "obsolete": "x", "version": 1}
    )

    new = table.update(
        "T#1",
        "META",
        set={"title": "new", "version": 2, "tags": ["a", "b"]},
        add={"plays": 5, "likes": 1, "score": 0.5},
        remove=["obsolete", "never_there"],
        condition=AttributeEquals("version", 1),
    )

    expected = {
        "PK": "T#1",
        "SK": "META",
        "title": "new",
        "version": 2,
        "tags": ["a", "b"],
        "plays": 15,
        "likes": 1,  # a missing attribute starts at 0
        "score": 0.5,
    }
    assert new == expected
    assert table.get("T#1", "META") == expected

    with pytest.raises(ConditionFailed):
        table.update("T#1", "META", set={"title": "stale"}, condition=AttributeEquals("version", 1))
    assert table.get("T#1", "META") == expected


def test_update_creates_a_missing_item_unless_a_condition_forbids(table: Table) -> None:
    assert table.update("C#1", "COUNT", add={"n": 2}) == {"PK": "C#1", "SK": "COUNT", "n": 2}
    assert table.update("C#1", "COUNT", add={"n": -1, "x": 0.5}) == {
        "PK": "C#1",
        "SK": "COUNT",
        "n": 1,
        "x": 0.5,
    }

    with pytest.raises(ConditionFailed):
        table.update("C#2", "COUNT", add={"n": 1}, condition=ItemPresent())
    assert table.get("C#2", "COUNT") is None


def test_invalid_updates_are_refused(table: Table) -> None:
    table.put({"PK": "A", "SK": "B", "name": "x"})

    with pytest.raises(ValueError, match="PK"):
        table.update("A", "B", set={"PK": "other"})
    with pytest.raises(ValueError, match="once"):
        table.update("A", "B", set={"n": 1}, remove=["n"])
    with pytest.raises(ValueError, match=r"not a number|incorrect data type"):
        table.update("A", "B", add={"name": 1})
    with pytest.raises(ValueError, match="GSI1PK must be a non-empty string"):
        table.update("A", "B", set={"GSI1PK": 5, "GSI1SK": "x"})
    with pytest.raises(ValueError, match="SK"):
        table.put({"PK": "A", "SK": ""})

    assert table.get("A", "B") == {"PK": "A", "SK": "B", "name": "x"}


def test_values_that_are_not_json_like_are_refused(table: Table) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the messages come from different libraries
        table.put({"PK": "A", "SK": "B", "gain": float("nan")})
    with pytest.raises(TypeError):
        table.put({"PK": "A", "SK": "B", "tags": {"a", "b"}})
    with pytest.raises(TypeError):
        table.update("A", "B", set={"raw": b"bytes"})

    assert table.get("A", "B") is None


# --- transactions --------------------------------------------------------------------------


def test_transaction_applies_every_kind_of_operation(table: Table) -> None:
    put_all(
        table,
        [
            {"PK": "T#1", "SK": "META", "likes": 4},
            {"PK": "OLD", "SK": "X", "version": 7},
            {"PK": "USER#1", "SK": "META"},
        ],
    )

    table.transact(
        [
            Put({"PK": "LIKE#U1", "SK": "T#1"}, condition=ItemAbsent()),
            Update("T#1", "META", add={"likes": 1}, condition=ItemPresent()),
            Delete("OLD", "X", condition=AttributeEquals("version", 7)),
            Check("USER#1", "META"),
        ]
    )

    assert table.get("LIKE#U1", "T#1") == {"PK": "LIKE#U1", "SK": "T#1"}
    assert table.get("T#1", "META") == {"PK": "T#1", "SK": "META", "likes": 5}
    assert table.get("OLD", "X") is None


def test_failed_transaction_writes_nothing_and_names_every_failed_operation(
    table: Table,
) -> None:
    put_all(
        table,
        [
            {"PK": "LIKE#U1", "SK": "T#1"},
            {"PK": "T#1", "SK": "META", "likes": 4},
            {"PK": "DOOMED", "SK": "X"},
        ],
    )

    with pytest.raises(TransactionFailed) as caught:
        table.transact(
            [
                Put({"PK": "NEW", "SK": "X"}, condition=ItemAbsent()),
                Update("T#1", "META", add={"likes": 1}),
                Put({"PK": "LIKE#U1", "SK": "T#1", "again": True}, condition=ItemAbsent()),
                Delete("DOOMED", "X"),
                Check("USER#404", "META", condition=ItemPresent()),
            ]
        )

    assert caught.value.failed == [(2, "item must not exist"), (4, "item must exist")]
    assert caught.value.failed_indexes == [2, 4]
    assert table.get("NEW", "X") is None
    assert table.get("T#1", "META") == {"PK": "T#1", "SK": "META", "likes": 4}
    assert table.get("LIKE#U1", "T#1") == {"PK": "LIKE#U1", "SK": "T#1"}
    assert table.get("DOOMED", "X") == {"PK": "DOOMED", "SK": "X"}


def test_transaction_of_more_than_100_operations_is_refused(table: Table) -> None:
    ops = [Put({"PK": "P", "SK": f"{i:03d}"}) for i in range(101)]

    with pytest.raises(ValueError, match="100"):
        table.transact(ops)

    assert table.query("P").items == []
    table.transact(ops[:100])  # exactly 100 is allowed
    assert len(table.query("P", limit=200).items) == 100


def test_transaction_touching_an_item_twice_is_refused(table: Table) -> None:
    with pytest.raises(ValueError, match="once"):
        table.transact([Put({"PK": "A", "SK": "B"}), Update("A", "B", add={"n": 1})])

    assert table.get("A", "B") is None


# --- queries -------------------------------------------------------------------------------


@pytest.fixture
def thousand(table: Table) -> Table:
    put_all(table, [{"PK": "FEED", "SK": f"S#{i:04d}", "i": i} for i in range(1_000)])
    table.put({"PK": "FEEDS", "SK": "S#0000"})  # a neighbour partition must not leak in
    return table


@pytest.mark.parametrize("forward", [True, False], ids=["forward", "reverse"])
def test_cursor_pagination_over_1000_items(thousand: Table, forward: bool) -> None:
    items, pages = collect(thousand, "FEED", limit=37, forward=forward)

    expected = [f"S#{i:04d}" for i in range(1_000)]
    assert sks(items) == (expected if forward else expected[::-1])
    assert all(item["PK"] == "FEED" for item in items)
    assert len(pages) == 28  # 27 full pages and the last one item
    assert [len(p.items) for p in pages] == [37] * 27 + [1]
    assert all(p.next_cursor is not None for p in pages[:-1])
    assert pages[-1].next_cursor is None


def test_last_full_page_has_no_cursor(thousand: Table) -> None:
    # 1000 = 25 x 40: the 25th page is full, and still says there is nothing more.
    _, pages = collect(thousand, "FEED", limit=40)

    assert [len(p.items) for p in pages] == [40] * 25
    assert pages[-1].next_cursor is None


SORT_KEYS = [
    "ALBUM#1",
    "TRACK",
    "TRACK#",
    "TRACK#001",
    "TRACK#002",
    "TRACK#003",
    "TRACK#004",
    "TRACK#005",
    "TRACK#é",
    "TRACK#\U0010ffff",
    "TRACK$",
    "TRACKS",
    "Z\U0010ffff",
    "Z\U0010ffffa",
    "[",
]


@pytest.fixture
def sorted_partition(table: Table) -> Table:
    put_all(table, [{"PK": "ARTIST#1", "SK": sk} for sk in SORT_KEYS])
    return table


def test_begins_with(sorted_partition: Table) -> None:
    tracks = [
        "TRACK#",
        "TRACK#001",
        "TRACK#002",
        "TRACK#003",
        "TRACK#004",
        "TRACK#005",
        "TRACK#é",
        "TRACK#\U0010ffff",
    ]

    assert sks(sorted_partition.query("ARTIST#1", begins_with="TRACK#").items) == tracks
    reverse = sorted_partition.query("ARTIST#1", begins_with="TRACK#", forward=False)
    assert sks(reverse.items) == tracks[::-1]
    paged, _ = collect(sorted_partition, "ARTIST#1", begins_with="TRACK#", limit=3)
    assert sks(paged) == tracks
    paged, _ = collect(sorted_partition, "ARTIST#1", begins_with="TRACK#", limit=3, forward=False)
    assert sks(paged) == tracks[::-1]
    # A prefix ending in the last code point still has a correct upper bound.
    top = sorted_partition.query("ARTIST#1", begins_with="Z\U0010ffff")
    assert sks(top.items) == ["Z\U0010ffff", "Z\U0010ffffa"]


def test_between_is_inclusive(sorted_partition: Table) -> None:
    window = ("TRACK#002", "TRACK#004")

    forward = sorted_partition.query("ARTIST#1", between=window)
    reverse = sorted_partition.query("ARTIST#1", between=window, forward=False)
    paged, _ = collect(sorted_partition, "ARTIST#1", between=window, limit=1, forward=False)

    assert sks(forward.items) == ["TRACK#002", "TRACK#003", "TRACK#004"]
    assert sks(reverse.items) == ["TRACK#004", "TRACK#003", "TRACK#002"]
    assert sks(paged) == ["TRACK#004", "TRACK#003", "TRACK#002"]
    assert sorted_partition.query("ARTIST#1", between=("TRACK#006", "TRACK#009")).items == []


def test_invalid_queries_are_refused(table: Table) -> None:
    with pytest.raises(ValueError, match="low <= high"):
        table.query("A", between=("b", "a"))
    with pytest.raises(ValueError, match="not both"):
        table.query("A", begins_with="a", between=("a", "b"))
    with pytest.raises(ValueError, match="limit"):
        table.query("A", limit=0)
    with pytest.raises(ValueError, match="unknown index"):
        table.query("A", index="GSI9")


def test_gsi_is_sparse_and_follows_updates(table: Table) -> None:
    put_all(
        table,
        [
            {"PK": "T#a", "SK": "META", "GSI1PK": "GENRE#rock", "GSI1SK": "2024-01"},
            {"PK": "T#b", "SK": "META", "GSI1PK": "GENRE#rock", "GSI1SK": "2024-03"},
            {"PK": "T#c", "SK": "META", "GSI1PK": "GENRE#rock", "GSI1SK": "2024-02"},
            {"PK": "T#d", "SK": "META", "GSI1PK": "GENRE#rock"},  # no sort key: not indexed
            {"PK": "T#e", "SK": "META", "GSI1SK": "2024-01"},  # no partition: not indexed
            {"PK": "T#f", "SK": "META"},
            {"PK": "T#g", "SK": "META", "GSI1PK": "GENRE#jazz", "GSI1SK": "2024-01"},
        ],
    )

    def genre(name: str, forward: bool = True) -> list[str]:
        page = table.query(f"GENRE#{name}", index="GSI1", forward=forward)
        return [item["PK"] for item in page.items]

    assert genre("rock") == ["T#a", "T#c", "T#b"]
    assert genre("rock", forward=False) == ["T#b", "T#c", "T#a"]
    assert genre("jazz") == ["T#g"]
    assert table.query("GENRE#rock", index="GSI2").items == []  # indexes are independent
    assert table.query("GENRE#rock").items == []  # and the table is another key space

    moved = table.update("T#c", "META", set={"GSI1PK": "GENRE#jazz"})
    assert moved["GSI1PK"] == "GENRE#jazz"
    table.update("T#d", "META", set={"GSI1SK": "2024-04"})  # now complete: enters
    table.update("T#a", "META", remove=["GSI1SK"])  # incomplete: leaves
    table.put({"PK": "T#b", "SK": "META"})  # replaced without index keys: leaves

    assert genre("rock") == ["T#d"]
    assert genre("jazz") == ["T#g", "T#c"]
    page = table.query("GENRE#jazz", index="GSI1", between=("2024-02", "2024-12"))
    assert page.items == [{"PK": "T#c", "SK": "META", "GSI1PK": "GENRE#jazz", "GSI1SK": "2024-02"}]


def test_gsi_pagination_with_ties_on_the_index_sort_key(table: Table) -> None:
    # 30 items on 5 distinct index sort keys: the cursor must tell tied items apart.
    put_all(
        table,
        [
            {"PK": f"U#{i % 7}", "SK": f"P#{i:02d}", "GSI2PK": "FEED", "GSI2SK": f"D#{i % 5}"}
            for i in range(30)
        ],
    )

    forward, pages = collect(table, "FEED", index="GSI2", limit=4)
    reverse, _ = collect(table, "FEED", index="GSI2", limit=4, forward=False)
    begins, _ = collect(table, "FEED", index="GSI2", limit=4, begins_with="D#3")

    keys = [(item["PK"], item["SK"]) for item in forward]
    assert len(keys) == len(set(keys)) == 30
    assert [item["GSI2SK"] for item in forward] == sorted(item["GSI2SK"] for item in forward)
    assert reverse == forward[::-1]
    assert len(pages) == 8
    assert sorted(item["SK"] for item in begins) == [f"P#{i:02d}" for i in range(3, 30, 5)]


def test_garbage_cursors_are_refused(table: Table) -> None:
    put_all(table, [{"PK": "A", "SK": f"{i}", "GSI1PK": "G", "GSI1SK": f"{i}"} for i in range(3)])
    table_cursor = table.query("A", limit=1).next_cursor
    index_cursor = table.query("G", index="GSI1", limit=1).next_cursor
    assert table_cursor is not None
    assert index_cursor is not None

    bad = [
        "garbage!!",
        "",
        "bm90IGpzb24",  # base64 of "not json"
        encode_cursor({"PK": "A"}),  # missing the sort key
        encode_cursor({"PK": "A", "SK": 1}),  # not a string
        index_cursor,  # a cursor of another query shape
    ]
    for cursor in bad:
        with pytest.raises(InvalidCursor):
            table.query("A", cursor=cursor)
    with pytest.raises(InvalidCursor):
        table.query("B", cursor=table_cursor)  # another partition
    with pytest.raises(InvalidCursor):
        table.query("G", index="GSI1", cursor=table_cursor)

    assert sks(table.query("A", cursor=table_cursor).items) == ["1", "2"]


def test_batch_get_keeps_the_order_of_keys_and_skips_missing_ones(table: Table) -> None:
    put_all(table, [{"PK": f"T#{i:03d}", "SK": "META", "i": i} for i in range(150)])
    keys = [(f"T#{i:03d}", "META") for i in range(149, -1, -1)]  # 150 keys: two requests
    keys.insert(10, ("T#999", "META"))
    keys.insert(0, ("T#001", "MISSING"))
    keys.append(("T#005", "META"))  # asked twice, answered once

    items = table.batch_get(keys)

    assert [item["i"] for item in items] == list(range(149, -1, -1))
    assert table.batch_get([]) == []


# --- concurrency ---------------------------------------------------------------------------


def test_concurrent_increments_are_atomic(table: Table) -> None:
    def increment() -> None:
        for _ in range(50):
            table.update("COUNTER", "likes", add={"n": 1})

    with ThreadPoolExecutor(max_workers=8) as pool:
        for future in [pool.submit(increment) for _ in range(8)]:
            future.result()

    assert table.get("COUNTER", "likes") == {"PK": "COUNTER", "SK": "likes", "n": 400}


def test_concurrent_conditional_puts_claim_each_name_once(table: Table) -> None:
    claimed: list[str] = []
    lock = threading.Lock()

    def claim(worker: int) -> None:
        for i in range(20):
            name = f"USERNAME#{i}"
            try:
                table.put({"PK": name, "SK": "U", "by": worker}, condition=ItemAbsent())
            except ConditionFailed:
                continue
            with lock:
                claimed.append(name)

    with ThreadPoolExecutor(max_workers=8) as pool:
        for future in [pool.submit(claim, w) for w in range(8)]:
            future.result()

    assert sorted(claimed) == sorted(f"USERNAME#{i}" for i in range(20))


# --- SQLite only ---------------------------------------------------------------------------


def _hammer(path: str, go: Any, increments: int, results: Any) -> None:
    """Child process: increment a shared counter and race for 25 unique names."""
    table = SqliteTable(Path(path))
    go.wait()
    claimed = 0
    for i in range(increments):
        table.update("COUNTER", "plays", add={"n": 1})
        try:
            table.put({"PK": f"NAME#{i % 25}", "SK": "N"}, condition=ItemAbsent())
            claimed += 1
        except ConditionFailed:
            pass
    table.close()
    results.put(claimed)


def test_sqlite_is_safe_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    SqliteTable(path).close()
    ctx = multiprocessing.get_context("spawn")
    go, results = ctx.Event(), ctx.Queue()
    workers = [ctx.Process(target=_hammer, args=(str(path), go, 100, results)) for _ in range(4)]
    for worker in workers:
        worker.start()
    go.set()  # start together, so the writes really contend
    claimed = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0

    with SqliteTable(path) as table:
        assert table.get("COUNTER", "plays") == {"PK": "COUNTER", "SK": "plays", "n": 400}
    assert sum(claimed) == 25


def test_sqlite_compares_values_with_dynamodb_types(tmp_path: Path) -> None:
    # moto compares True == 1 like Python; DynamoDB (and this adapter) do not.
    with SqliteTable(tmp_path / "t.db") as table:
        table.put({"PK": "A", "SK": "B", "flag": True, "n": 1, "f": 1.0, "l": [1, True]})

        for wrong in (
            AttributeEquals("flag", 1),
            AttributeEquals("n", True),
            AttributeEquals("l", [True, 1]),
            AttributeEquals("n", "1"),
        ):
            with pytest.raises(ConditionFailed):
                table.update("A", "B", add={"x": 1}, condition=wrong)
        table.update("A", "B", add={"x": 1}, condition=AttributeEquals("f", 1))
        table.update("A", "B", add={"x": 1}, condition=AttributeEquals("l", [1.0, True]))

        assert table.get("A", "B")["x"] == 2  # type: ignore[index]


def test_sqlite_close_closes_every_thread_connection(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    table = SqliteTable(path)
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda i: table.put({"PK": "A", "SK": str(i)}), range(20)))
    assert path.with_name("t.db-wal").exists()

    table.close()

    # SQLite removes the WAL file when the last connection to the database closes.
    assert not path.with_name("t.db-wal").exists()
    with ThreadPoolExecutor(max_workers=1) as pool, pytest.raises(RuntimeError):
        pool.submit(table.get, "A", "0").result()


def test_sqlite_keeps_a_typical_item_in_its_page(tmp_path: Path) -> None:
    """A ~2 KB item (a track) must not spill into overflow pages, which made every
    listing read several pages per item."""
    path = tmp_path / "t.db"
    with SqliteTable(path) as table:
        table.put({"PK": "TRACK#1", "SK": "TRACK", "blob": "x" * 3000})
        conn = sqlite3.connect(path)
        try:
            (page_size,) = conn.execute("PRAGMA page_size").fetchone()
            (overflow_pages,) = conn.execute(
                "SELECT count(*) FROM dbstat WHERE pagetype = 'overflow'"
            ).fetchone()
        finally:
            conn.close()
    assert page_size == 16384
    assert overflow_pages == 0


def test_sqlite_reads_through_a_memory_map(tmp_path: Path) -> None:
    with SqliteTable(tmp_path / "t.db") as table:
        table.put({"PK": "A", "SK": "1"})

        def mmap_size() -> int:
            return table._conn().execute("PRAGMA mmap_size").fetchone()[0]

        with ThreadPoolExecutor(max_workers=1) as pool:  # each thread has its connection
            sizes = [mmap_size(), pool.submit(mmap_size).result()]
    assert sizes == [MMAP_BYTES, MMAP_BYTES]


def test_remove_expired_deletes_due_items_a_bounded_batch_at_a_time(tmp_path: Path) -> None:
    """SQLite has no TTL: the worker's housekeeping calls this instead (DynamoDB's TTL
    needs nothing, so there it removes nothing)."""
    now = 1_700_000_000.0
    with SqliteTable(tmp_path / "t.db") as table:
        for n in range(5):
            table.put({"PK": "P", "SK": f"gone{n}", "expiresAt": int(now) - n})
        table.put({"PK": "P", "SK": "due-now", "expiresAt": now})
        table.put({"PK": "P", "SK": "later", "expiresAt": now + 1})
        table.put({"PK": "P", "SK": "forever"})

        assert table.remove_expired(now, limit=4) == 4
        assert table.remove_expired(now, limit=4) == 2
        assert table.remove_expired(now, limit=4) == 0

        left = [item["SK"] for item in table.query("P").items]
        assert left == ["forever", "later"]
        plan = table._conn().execute(
            "EXPLAIN QUERY PLAN SELECT pk, sk FROM items WHERE"
            " json_extract(data, '$.expiresAt') IS NOT NULL"
            " AND json_extract(data, '$.expiresAt') <= ? LIMIT ?",
            (now, 10),
        )
        assert "items_expires" in " ".join(str(row) for row in plan)


@pytest.mark.aws
def test_dynamodb_leaves_expired_items_to_its_ttl(fake_aws: None) -> None:
    table = DynamoDbTable("soundshelf-test", region="us-east-1", create_if_missing=True)
    table.put({"PK": "P", "SK": "gone", "expiresAt": 1})
    assert table.remove_expired(2**40, limit=10) == 0
    assert table.get("P", "gone") is not None
