"""The ``Table`` port: one DynamoDB-shaped table of items keyed by ``PK``/``SK``.

Items are plain dicts of JSON-like values (str, int, float, bool, None, list, dict).
Numbers are numbers: DynamoDB gives an integral float (``2.0``) back as ``2``, so compare
numbers by value, never by type. Global secondary indexes are sparse: an item is in
``GSIn`` only when it has both ``GSInPK`` and ``GSInSK``; those, like ``PK``/``SK``, must be
non-empty strings (remove them to take an item out of an index). Every list is a
keyset-paginated query with an opaque cursor.

The ``check_*`` helpers at the end hold the rules both adapters enforce before touching
storage, so that an invalid request is a ``ValueError`` whichever adapter runs it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from soundshelf.errors import Conflict, DomainError

Item = dict[str, Any]
Key = tuple[str, str]

INDEXES: dict[str, tuple[str, str]] = {
    "GSI1": ("GSI1PK", "GSI1SK"),
    "GSI2": ("GSI2PK", "GSI2SK"),
    "GSI3": ("GSI3PK", "GSI3SK"),
}
KEY_ATTRIBUTES = frozenset({"PK", "SK"})
MAX_TRANSACTION_ITEMS = 100


# --- conditions --------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemAbsent:
    """The item must not exist (uniqueness)."""


@dataclass(frozen=True)
class ItemPresent:
    """The item must exist."""


@dataclass(frozen=True)
class AttributeEquals:
    """The item must exist and ``name`` must equal ``value`` (optimistic concurrency)."""

    name: str
    value: Any


@dataclass(frozen=True)
class AttributeAbsent:
    """The attribute must be missing (the item itself may be missing too)."""

    name: str


Condition = ItemAbsent | ItemPresent | AttributeEquals | AttributeAbsent
Conditions = Condition | Sequence[Condition] | None  # a sequence means all of them


def as_condition_list(conditions: Conditions) -> list[Condition]:
    if conditions is None:
        return []
    if isinstance(conditions, ItemAbsent | ItemPresent | AttributeEquals | AttributeAbsent):
        return [conditions]
    return list(conditions)


def describe(conditions: Conditions) -> str:
    parts = []
    for c in as_condition_list(conditions):
        match c:
            case ItemAbsent():
                parts.append("item must not exist")
            case ItemPresent():
                parts.append("item must exist")
            case AttributeEquals(name, value):
                parts.append(f"{name} must equal {value!r}")
            case AttributeAbsent(name):
                parts.append(f"{name} must be absent")
    return " and ".join(parts) or "no condition"


# --- errors ------------------------------------------------------------------------------


class ConditionFailed(Conflict):
    """A conditional write found the item in another state; nothing was written."""

    code = "condition_failed"
    title = "Condition failed"


class TransactionFailed(Conflict):
    """A transaction was cancelled; ``failed`` lists (operation index, reason)."""

    code = "transaction_failed"
    title = "Transaction cancelled"

    def __init__(self, failed: list[tuple[int, str]]) -> None:
        self.failed = failed
        detail = "; ".join(f"operation {i}: {reason}" for i, reason in failed)
        super().__init__(f"Transaction cancelled, nothing written ({detail})")

    @property
    def failed_indexes(self) -> list[int]:
        return [i for i, _ in self.failed]


class InvalidCursor(DomainError):
    status, code, title = 400, "invalid_cursor", "The cursor is not valid for this list"


# --- transaction operations ---------------------------------------------------------------


@dataclass(frozen=True)
class Put:
    item: Item
    condition: Conditions = None


@dataclass(frozen=True)
class Update:
    pk: str
    sk: str
    set: Mapping[str, Any] = field(default_factory=dict)
    add: Mapping[str, int | float] = field(default_factory=dict)
    remove: Sequence[str] = ()
    condition: Conditions = None


@dataclass(frozen=True)
class Delete:
    pk: str
    sk: str
    condition: Conditions = None


@dataclass(frozen=True)
class Check:
    pk: str
    sk: str
    condition: Conditions = ItemPresent()


WriteOp = Put | Update | Delete | Check


# --- queries -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    items: list[Item]
    next_cursor: str | None


SortKeyOp = tuple[Literal["begins_with"], str] | tuple[Literal["between"], str, str]


def encode_cursor(key: Mapping[str, Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, expected: Sequence[str]) -> dict[str, str]:
    """Decode a cursor made by ``encode_cursor``; anything else is ``InvalidCursor``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (ValueError, TypeError) as exc:
        raise InvalidCursor() from exc
    if not isinstance(key, dict) or sorted(key) != sorted(expected):
        raise InvalidCursor()
    if not all(isinstance(v, str) for v in key.values()):
        raise InvalidCursor()
    return key


def cursor_attributes(index: str | None) -> list[str]:
    """Attributes that identify a position in a query on ``index`` (table keys last)."""
    if index is None:
        return ["PK", "SK"]
    return [*INDEXES[index], "PK", "SK"]


def check_item_keys(item: Mapping[str, Any]) -> None:
    for attr in ("PK", "SK"):
        if not isinstance(item.get(attr), str) or not item[attr]:
            raise ValueError(f"item needs a non-empty string {attr}")


class Table(Protocol):
    """A single-table store with DynamoDB semantics. See docs/data-model.md."""

    def get(self, pk: str, sk: str) -> Item | None:
        """Strongly consistent read of one item."""
        ...

    def put(self, item: Item, *, condition: Conditions = None) -> None:
        """Write a whole item; raises ``ConditionFailed`` and writes nothing on a miss."""
        ...

    def update(
        self,
        pk: str,
        sk: str,
        *,
        set: Mapping[str, Any] | None = None,
        add: Mapping[str, int | float] | None = None,
        remove: Sequence[str] = (),
        condition: Conditions = None,
    ) -> Item:
        """Change some attributes (creating the item if missing unless a condition says
        otherwise); ``add`` is an atomic increment. Returns the item after the update."""
        ...

    def delete(self, pk: str, sk: str, *, condition: Conditions = None) -> None:
        """Delete one item (a missing item is not an error unless a condition says so)."""
        ...

    def query(
        self,
        pk: str,
        *,
        index: str | None = None,
        begins_with: str | None = None,
        between: tuple[str, str] | None = None,
        forward: bool = True,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page:
        """Items of one partition (of the table or of ``index``) in sort-key order;
        ``next_cursor`` is None exactly when there are no more items."""
        ...

    def batch_get(self, keys: Sequence[Key]) -> list[Item]:
        """The items that exist among ``keys``, in the order of ``keys``."""
        ...

    def transact(self, ops: Sequence[WriteOp]) -> None:
        """All of ``ops`` (at most 100, one per item) or none; ``TransactionFailed``
        names every operation whose condition failed."""
        ...

    def remove_expired(self, now: float, *, limit: int) -> int:
        """Delete at most ``limit`` items whose ``expiresAt`` (epoch seconds) is at or
        before ``now``; returns how many. DynamoDB's TTL does this by itself (within a day
        or two), so there it removes nothing. Readers still check ``expiresAt``: removal
        is only cleanup, never what makes an item dead."""
        ...


# --- rules shared by the adapters ---------------------------------------------------------

INDEX_KEY_ATTRIBUTES = frozenset(attr for keys in INDEXES.values() for attr in keys)


def _check_key_value(name: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string")


def check_key(pk: str, sk: str) -> None:
    _check_key_value("PK", pk)
    _check_key_value("SK", sk)


def check_item(item: Mapping[str, Any]) -> None:
    """Keys and index keys are non-empty strings (DynamoDB rejects anything else)."""
    check_item_keys(item)
    for attr in INDEX_KEY_ATTRIBUTES.intersection(item):
        _check_key_value(attr, item[attr])


def check_update(
    set: Mapping[str, Any], add: Mapping[str, int | float], remove: Sequence[str]
) -> None:
    """An update changes something, never a key, and names each attribute once."""
    if not (set or add or remove):
        raise ValueError("an update needs at least one of set, add or remove")
    names = [*set, *add, *remove]
    if len(names) != len(frozenset(names)):
        raise ValueError("an attribute may appear only once in set, add and remove")
    if KEY_ATTRIBUTES.intersection(names):
        raise ValueError("PK and SK cannot be updated; put a new item instead")
    for attr in INDEX_KEY_ATTRIBUTES.intersection(set):
        _check_key_value(attr, set[attr])
    for attr, delta in add.items():
        if attr in INDEX_KEY_ATTRIBUTES:
            raise ValueError(f"{attr} is an index key and cannot be incremented")
        if isinstance(delta, bool) or not isinstance(delta, int | float):
            raise ValueError(f"add needs a number for {attr}")


def op_key(op: WriteOp) -> Key:
    if isinstance(op, Put):
        return op.item["PK"], op.item["SK"]
    return op.pk, op.sk


def check_transaction(ops: Sequence[WriteOp]) -> None:
    """At most ``MAX_TRANSACTION_ITEMS`` valid operations, each on a different item."""
    if len(ops) > MAX_TRANSACTION_ITEMS:
        raise ValueError(f"a transaction holds at most {MAX_TRANSACTION_ITEMS} operations")
    for op in ops:
        match op:
            case Put(item):
                check_item(item)
            case Update(pk, sk, set_, add, remove):
                check_key(pk, sk)
                check_update(set_, add, remove)
            case Check(_, _, condition) if not as_condition_list(condition):
                raise ValueError("a Check needs a condition")
            case Delete(pk, sk) | Check(pk, sk):
                check_key(pk, sk)
    keys = [op_key(op) for op in ops]
    if len(keys) != len(frozenset(keys)):
        raise ValueError("a transaction may touch each item only once")


def check_query(
    pk: str,
    index: str | None,
    begins_with: str | None,
    between: tuple[str, str] | None,
    limit: int,
) -> None:
    _check_key_value("the partition key", pk)
    if index is not None and index not in INDEXES:
        raise ValueError(f"unknown index {index!r}")
    if begins_with and between:
        raise ValueError("use begins_with or between, not both")
    if between and between[0] > between[1]:
        raise ValueError("between needs low <= high")
    if limit < 1:
        raise ValueError("limit must be at least 1")


def check_cursor_partition(cursor: Mapping[str, str], index: str | None, pk: str) -> None:
    """A cursor only continues a query on the partition that produced it."""
    if cursor[INDEXES[index][0] if index else "PK"] != pk:
        raise InvalidCursor()
