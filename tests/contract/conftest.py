"""Fixtures for the contract suites: each adapter of a port behind one fixture."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from soundshelf.adapters.dynamodb_table import DynamoDbTable
from soundshelf.adapters.sqlite_table import SqliteTable
from soundshelf.ports.table import Table
from tests.support import use_fake_aws_credentials


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in place of AWS, with credentials that could never reach a real account."""
    use_fake_aws_credentials(monkeypatch)
    with mock_aws():
        yield


@pytest.fixture(params=["sqlite", pytest.param("dynamodb", marks=pytest.mark.aws)])
def table(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Table]:
    if request.param == "sqlite":
        sqlite = SqliteTable(tmp_path / "table.db")
        yield sqlite
        sqlite.close()
    else:
        request.getfixturevalue("fake_aws")
        dynamodb = DynamoDbTable("soundshelf-test", region="us-east-1", create_if_missing=True)
        serialize_requests(dynamodb.client)
        yield dynamodb


def serialize_requests(client: Any) -> None:
    """DynamoDB applies each request atomically; moto, run in-process by several threads,
    does not (two concurrent ADDs can lose one). One request at a time restores what the
    service guarantees, and still catches an adapter that reads then writes in two calls."""
    lock = threading.Lock()
    make_api_call = client._make_api_call

    def one_at_a_time(operation: str, params: Any) -> Any:
        with lock:
            return make_api_call(operation, params)

    client._make_api_call = one_at_a_time
