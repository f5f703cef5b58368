"""The services on both stacks, for Subsonic tests of what is stored: embedded (SQLite,
local folder, built-in identity) and AWS (DynamoDB, S3, Cognito, SQS under moto)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from soundshelf.bootstrap import Services, build
from soundshelf.config import Settings
from tests.support import create_cognito_pool, use_fake_aws_credentials, write_moto_jwks


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
        pool = create_cognito_pool()
        queue = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="jobs")
        yield build(
            Settings(
                backend="aws",
                table_name="soundshelf",
                media_bucket="media",
                create_resources=True,
                cognito_jwks_file=write_moto_jwks(tmp_path / "jwks.json"),
                **pool.settings(),
                sqs_queue_url=queue["QueueUrl"],
            )
        )
