"""The ``Table`` port on Amazon DynamoDB (the AWS backend), through the low-level client.

Attribute names always go through ``ExpressionAttributeNames`` placeholders, so reserved
words (``name``, ``status``...) and odd characters never break an expression. Numbers are
stored as DynamoDB numbers: floats are written as ``Decimal`` and read back as ``int``
when integral, ``float`` otherwise.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, NoReturn

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError

from soundshelf.ports.table import (
    INDEXES,
    AttributeAbsent,
    AttributeEquals,
    Check,
    Condition,
    ConditionFailed,
    Conditions,
    Delete,
    InvalidCursor,
    Item,
    ItemAbsent,
    ItemPresent,
    Key,
    Page,
    Put,
    TransactionFailed,
    Update,
    WriteOp,
    as_condition_list,
    check_cursor_partition,
    check_item,
    check_key,
    check_query,
    check_transaction,
    check_update,
    cursor_attributes,
    decode_cursor,
    describe,
    encode_cursor,
)

BATCH_GET_SIZE = 100  # BatchGetItem's limit per request
RETRIES = 8  # for unprocessed keys and transaction conflicts, with jittered backoff
_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=32)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class DynamoDbTable:
    """A ``Table`` on one DynamoDB table with ``PK``/``SK`` keys and GSI1..GSI3."""

    def __init__(
        self,
        table_name: str,
        *,
        region: str,
        endpoint_url: str | None = None,
        create_if_missing: bool = False,
        client: Any = None,
    ) -> None:
        self._name = table_name
        self._region = region
        self._endpoint_url = endpoint_url
        self._client = client
        self._client_lock = threading.Lock()
        if create_if_missing:
            self._create_if_missing()

    @property
    def client(self) -> Any:
        """The boto3 client, made on first use (nothing talks to AWS at construction)."""
        if self._client is None:
            with self._client_lock:  # boto3's default session is not thread-safe
                if self._client is None:
                    self._client = boto3.session.Session().client(
                        "dynamodb",
                        region_name=self._region,
                        endpoint_url=self._endpoint_url,
                        config=_CLIENT_CONFIG,
                    )
        return self._client

    def _create_if_missing(self) -> None:
        try:
            self.client.describe_table(TableName=self._name)
            return
        except ClientError as exc:
            if _code(exc) != "ResourceNotFoundException":
                raise
        attributes = ["PK", "SK", *(a for keys in INDEXES.values() for a in keys)]
        try:
            self.client.create_table(
                TableName=self._name,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[
                    {"AttributeName": a, "AttributeType": "S"} for a in attributes
                ],
                KeySchema=_key_schema("PK", "SK"),
                GlobalSecondaryIndexes=[
                    {
                        "IndexName": name,
                        "KeySchema": _key_schema(pk, sk),
                        "Projection": {"ProjectionType": "ALL"},
                    }
                    for name, (pk, sk) in INDEXES.items()
                ],
            )
        except ClientError as exc:
            if _code(exc) != "ResourceInUseException":  # someone else is creating it
                raise
        waiter = self.client.get_waiter("table_exists")
        waiter.wait(TableName=self._name, WaiterConfig={"Delay": 2, "MaxAttempts": 60})

    # --- single items ---------------------------------------------------------------------

    def get(self, pk: str, sk: str) -> Item | None:
        check_key(pk, sk)
        response = self._call(
            "get_item", TableName=self._name, Key=_key(pk, sk), ConsistentRead=True
        )
        raw = response.get("Item")
        return None if raw is None else _from_dynamo(raw)

    def put(self, item: Item, *, condition: Conditions = None) -> None:
        check_item(item)
        expr = _Expressions()
        request = {"TableName": self._name, "Item": _to_dynamo(item)}
        request |= expr.condition(condition) | expr.params()
        self._call("put_item", condition, **request)

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
        set, add = set or {}, add or {}
        check_key(pk, sk)
        check_update(set, add, remove)
        request = self._update_request(Update(pk, sk, set, add, remove, condition))
        response = self._call("update_item", condition, **request, ReturnValues="ALL_NEW")
        return _from_dynamo(response["Attributes"])

    def delete(self, pk: str, sk: str, *, condition: Conditions = None) -> None:
        check_key(pk, sk)
        expr = _Expressions()
        request = {"TableName": self._name, "Key": _key(pk, sk)}
        request |= expr.condition(condition) | expr.params()
        self._call("delete_item", condition, **request)

    # --- many items -----------------------------------------------------------------------

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
        check_query(pk, index, begins_with, between, limit)
        pk_attr, sk_attr = INDEXES[index] if index else ("PK", "SK")
        expr = _Expressions()
        key_condition = f"{expr.name(pk_attr)} = {expr.value(pk)}"
        if begins_with:
            key_condition += f" AND begins_with({expr.name(sk_attr)}, {expr.value(begins_with)})"
        elif between:
            low, high = expr.value(between[0]), expr.value(between[1])
            key_condition += f" AND {expr.name(sk_attr)} BETWEEN {low} AND {high}"
        request: dict[str, Any] = {
            "TableName": self._name,
            "KeyConditionExpression": key_condition,
            "ScanIndexForward": forward,
            "Limit": limit + 1,  # one extra tells whether there is a next page
            **expr.params(),
        }
        if index:
            request["IndexName"] = index  # GSIs have no consistent reads
        else:
            request["ConsistentRead"] = True
        if cursor is not None:
            start = decode_cursor(cursor, cursor_attributes(index))
            check_cursor_partition(start, index, pk)
            request["ExclusiveStartKey"] = {a: {"S": v} for a, v in start.items()}
        raw = self._query_at_least(request, limit + 1, cursor is not None)
        items = [_from_dynamo(r) for r in raw[:limit]]
        if len(raw) <= limit:
            return Page(items, None)
        last = items[-1]
        return Page(items, encode_cursor({a: last[a] for a in cursor_attributes(index)}))

    def _query_at_least(self, request: dict[str, Any], wanted: int, has_cursor: bool) -> list:
        """Up to ``wanted`` raw items: a page may stop short at 1 MB, so keep going."""
        raw: list = []
        while True:
            try:
                response = self.client.query(**request)
            except ClientError as exc:
                # A forged cursor can name a start key outside the key condition.
                if has_cursor and _code(exc) == "ValidationException":
                    raise InvalidCursor() from exc
                _raise_translated(exc)
            raw.extend(response["Items"])
            last_key = response.get("LastEvaluatedKey")
            if len(raw) >= wanted or last_key is None:
                return raw
            request = {**request, "ExclusiveStartKey": last_key, "Limit": wanted - len(raw)}

    def batch_get(self, keys: Sequence[Key]) -> list[Item]:
        unique = list(dict.fromkeys(keys))  # BatchGetItem refuses duplicate keys
        for pk, sk in unique:
            check_key(pk, sk)
        found: dict[Key, Item] = {}
        for start in range(0, len(unique), BATCH_GET_SIZE):
            chunk = unique[start : start + BATCH_GET_SIZE]
            for raw in self._batch_get_chunk(chunk):
                item = _from_dynamo(raw)
                found[item["PK"], item["SK"]] = item
        return [found[key] for key in unique if key in found]

    def _batch_get_chunk(self, keys: list[Key]) -> list[dict[str, Any]]:
        pending: dict[str, Any] = {
            self._name: {"Keys": [_key(pk, sk) for pk, sk in keys], "ConsistentRead": True}
        }
        raw: list[dict[str, Any]] = []
        for attempt in range(RETRIES):
            response = self._call("batch_get_item", RequestItems=pending)
            raw.extend(response["Responses"].get(self._name, []))
            pending = response.get("UnprocessedKeys") or {}
            if not pending:
                return raw
            _backoff(attempt)  # throttled: DynamoDB hands back what it could not read
        raise RuntimeError(f"batch_get: keys still unprocessed after {RETRIES} attempts")

    def transact(self, ops: Sequence[WriteOp]) -> None:
        check_transaction(ops)
        if not ops:
            return
        items = [self._transact_item(op) for op in ops]
        for attempt in range(RETRIES):
            try:
                self.client.transact_write_items(TransactItems=items)
                return
            except ClientError as exc:
                if _code(exc) != "TransactionCanceledException":
                    _raise_translated(exc)
                failed = _cancellation_reasons(exc)
                if not failed:
                    raise
                # Another transaction held one of our items: nothing was written, and
                # SQLite would simply have waited for the lock, so wait and try again.
                conflicts_only = all(code == "TransactionConflict" for _, code, _ in failed)
                if conflicts_only and attempt < RETRIES - 1:
                    _backoff(attempt)
                    continue
                raise _cancelled(ops, failed) from exc

    # --- requests -------------------------------------------------------------------------

    def remove_expired(self, now: float, *, limit: int) -> int:
        """Nothing to do: the table's TTL on ``expiresAt`` removes expired items."""
        return 0

    def _transact_item(self, op: WriteOp) -> dict[str, Any]:
        expr = _Expressions()
        match op:
            case Put(item, condition):
                body = {"TableName": self._name, "Item": _to_dynamo(item)}
                return {"Put": body | expr.condition(condition) | expr.params()}
            case Update():
                return {"Update": self._update_request(op)}
            case Delete(pk, sk, condition):
                body = {"TableName": self._name, "Key": _key(pk, sk)}
                return {"Delete": body | expr.condition(condition) | expr.params()}
            case Check(pk, sk, condition):
                body = {"TableName": self._name, "Key": _key(pk, sk)}
                return {"ConditionCheck": body | expr.condition(condition) | expr.params()}
        raise TypeError(f"unknown operation {op!r}")

    def _update_request(self, op: Update) -> dict[str, Any]:
        expr = _Expressions()
        clauses = []
        if op.set:
            sets = ", ".join(f"{expr.name(a)} = {expr.value(v)}" for a, v in op.set.items())
            clauses.append(f"SET {sets}")
        if op.add:
            # ADD starts a missing attribute at 0, which is exactly the port's promise.
            adds = ", ".join(f"{expr.name(a)} {expr.value(v)}" for a, v in op.add.items())
            clauses.append(f"ADD {adds}")
        if op.remove:
            clauses.append(f"REMOVE {', '.join(expr.name(a) for a in op.remove)}")
        request = {
            "TableName": self._name,
            "Key": _key(op.pk, op.sk),
            "UpdateExpression": " ".join(clauses),
        }
        return request | expr.condition(op.condition) | expr.params()

    def _call(self, operation: str, condition: Conditions = None, **request: Any) -> Any:
        try:
            return getattr(self.client, operation)(**request)
        except ClientError as exc:
            _raise_translated(exc, condition)


# --- expressions ---------------------------------------------------------------------------


class _Expressions:
    """Placeholders for one request: ``#n0`` for names, ``:v0`` for values."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}  # attribute -> placeholder
        self._values: dict[str, Any] = {}  # placeholder -> attribute value

    def name(self, attribute: str) -> str:
        if attribute not in self._names:
            self._names[attribute] = f"#n{len(self._names)}"
        return self._names[attribute]

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self._values)}"
        self._values[placeholder] = _attribute_value(value)
        return placeholder

    def condition(self, conditions: Conditions) -> dict[str, str]:
        """``{"ConditionExpression": ...}``, or ``{}`` when there is no condition."""
        parts = [self._condition(c) for c in as_condition_list(conditions)]
        return {"ConditionExpression": " AND ".join(parts)} if parts else {}

    def _condition(self, condition: Condition) -> str:
        match condition:
            case ItemAbsent():
                return f"attribute_not_exists({self.name('PK')})"
            case ItemPresent():
                return f"attribute_exists({self.name('PK')})"
            case AttributeEquals(name, value):
                # False on a missing item or attribute: "must exist and equal".
                return f"{self.name(name)} = {self.value(value)}"
            case AttributeAbsent(name):
                return f"attribute_not_exists({self.name(name)})"
        raise TypeError(f"unknown condition {condition!r}")

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if self._names:
            params["ExpressionAttributeNames"] = {p: a for a, p in self._names.items()}
        if self._values:
            params["ExpressionAttributeValues"] = self._values
        return params


# --- values and errors ---------------------------------------------------------------------


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def _key_schema(pk: str, sk: str) -> list[dict[str, str]]:
    return [{"AttributeName": pk, "KeyType": "HASH"}, {"AttributeName": sk, "KeyType": "RANGE"}]


def _to_dynamo(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _attribute_value(value) for name, value in item.items()}


def _attribute_value(value: Any) -> dict[str, Any]:
    return _serializer.serialize(_decimals(value))


def _decimals(value: Any) -> Any:
    """Floats become ``Decimal`` (boto3 refuses floats); tuples become lists.

    Anything that is not JSON-like is refused, as the SQLite adapter refuses it: boto3
    would quietly store a ``set`` or ``bytes`` that the other backend cannot hold.
    """
    if value is None or isinstance(value, str | int):  # bool is an int
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("NaN and infinity cannot be stored")
        return Decimal(repr(value))  # repr is the shortest exact text of the float
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_decimals(v) for v in value]
    raise TypeError(f"{type(value).__name__} is not a JSON-like value")


def _from_dynamo(raw: Mapping[str, Any]) -> Item:
    return {name: _plain(_deserializer.deserialize(value)) for name, value in raw.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def _raise_translated(exc: ClientError, condition: Conditions = None) -> NoReturn:
    """Raise the port's error for a client error, or the client error itself."""
    match _code(exc):
        case "ConditionalCheckFailedException":
            raise ConditionFailed(describe(condition)) from exc
        case "ValidationException":
            message = exc.response.get("Error", {}).get("Message", str(exc))
            raise ValueError(message) from exc
    raise exc


def _cancellation_reasons(exc: ClientError) -> list[tuple[int, str, str]]:
    """(operation index, code, message) of each operation that cancelled a transaction."""
    reasons = exc.response.get("CancellationReasons") or []
    return [
        (i, reason.get("Code", ""), reason.get("Message") or reason.get("Code", ""))
        for i, reason in enumerate(reasons)
        if reason.get("Code") not in (None, "", "None")
    ]


def _cancelled(ops: Sequence[WriteOp], failed: list[tuple[int, str, str]]) -> Exception:
    """``TransactionFailed`` naming each failed operation (``ValueError`` if invalid)."""
    invalid = [message for _, code, message in failed if code == "ValidationError"]
    if invalid:
        return ValueError("; ".join(invalid))
    return TransactionFailed(
        [
            (i, describe(ops[i].condition) if code == "ConditionalCheckFailed" else message)
            for i, code, message in failed
        ]
    )


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, min(1.0, 0.025 * 2**attempt)))
