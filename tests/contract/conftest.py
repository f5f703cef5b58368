"""Fixtures for the contract suites: each adapter of a port behind one fixture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws

from soundshelf.adapters.dynamodb_table import DynamoDbTable
from soundshelf.adapters.sqlite_table import SqliteTable
from soundshelf.ports.table import Table

FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in place of AWS, with credentials that could never reach a real account."""
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
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
        yield DynamoDbTable("soundshelf-test", region="us-east-1", create_if_missing=True)
