"""The services on both stacks, for Subsonic tests of what is stored: embedded (SQLite,
local folder, built-in identity) and AWS (DynamoDB, S3, Cognito, SQS under moto), set up
as the contract suites set them up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from soundshelf.bootstrap import Services, build
from soundshelf.config import Settings
from tests.contract.test_catalog_services import aws_settings
from tests.support import use_fake_aws_credentials


@pytest.fixture(params=["embedded", pytest.param("aws", marks=pytest.mark.aws)])
def services(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Services]:
    if request.param == "embedded":
        yield build(Settings(data_dir=tmp_path / "data"))
        return
    from moto import mock_aws

    use_fake_aws_credentials(monkeypatch)
    with mock_aws():
        yield build(aws_settings(tmp_path))
