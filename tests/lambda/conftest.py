"""The AWS stack under moto for the Lambda handlers.

DynamoDB, Cognito, SQS and EventBridge run in-process (``mock_aws``); S3 runs on moto's
threaded server on 127.0.0.1 so presigned POSTs are real HTTP. Both share moto's
in-process state, so an object posted to the server can raise an EventBridge event that
lands in the (in-process) SQS queue, as on AWS.

The handlers build their own services from ``SOUNDSHELF_*`` variables, exactly as in
Lambda; the fixture exports the same settings it builds the test's ``services`` from.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import boto3
import httpx
import pytest
from moto import mock_aws

from soundshelf import lambda_http, lambda_media
from soundshelf.bootstrap import Services, build
from soundshelf.config import Settings
from soundshelf.core.users import Principal, principal_of
from tests.support import (
    create_cognito_pool,
    moto_server,
    use_fake_aws_credentials,
    write_moto_jwks,
)

REGION = "us-east-1"
PASSWORD = "Correct-Horse-7-battery"
MAX_ATTEMPTS = 5  # SqsJobQueue's default; the redrive policy must match it
LambdaFunction = Callable[[dict[str, Any], Any], dict[str, Any]]


def lambda_context(name: str = "soundshelf-test") -> SimpleNamespace:
    return SimpleNamespace(
        function_name=name,
        aws_request_id=str(uuid4()),
        invoked_function_arn=f"arn:aws:lambda:{REGION}:123456789012:function:{name}",
        get_remaining_time_in_millis=lambda: 60_000,
    )


@dataclass
class Stack:
    settings: Settings
    services: Services
    s3_endpoint: str
    queue_url: str
    queue_arn: str
    sqs: Any
    http: httpx.Client  # for presigned URLs on the moto server

    def user(self, username: str) -> Principal:
        profile = self.services.accounts.create_user(
            username=username, email=f"{username}@example.com", password=PASSWORD
        )
        return principal_of(profile)

    def post_form(
        self, url: str, fields: dict[str, str], data: bytes, filename: str
    ) -> httpx.Response:
        """What a browser does with a presigned POST: every field, then the file."""
        return self.http.post(
            url, data=fields, files={"file": (filename, data, "application/octet-stream")}
        )

    def upload_status(self, upload_id: str) -> dict[str, Any]:
        item = self.services.table.get(f"UPLOAD#{upload_id}", "UPLOAD")
        assert item is not None
        return item

    def queued(self) -> list[dict[str, Any]]:
        """The visible messages in the jobs queue, peeked (they stay visible, but moto, like
        SQS, counts the peek in their ApproximateReceiveCount)."""
        answer = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0
        )
        return answer.get("Messages", [])

    def in_queue(self) -> int:
        """Messages in the jobs queue, visible or not (taken but not yet deleted)."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())

    def deliver(self, function: LambdaFunction, *, max_batches: int = 10) -> list[dict[str, Any]]:
        """What Lambda's SQS event source mapping does, until the queue is empty: receive a
        batch, invoke the function, delete the records it did not report as failed (those
        stay hidden for their visibility timeout). Returns the function's answers."""
        answers = []
        for _ in range(max_batches):
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=60,
                MessageSystemAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                break
            answer = function(sqs_event(messages, self.queue_arn), lambda_context())
            failed = {item["itemIdentifier"] for item in answer["batchItemFailures"]}
            for message in messages:
                if message["MessageId"] not in failed:
                    self.sqs.delete_message(
                        QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                    )
            answers.append(answer)
        return answers


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The Lambda event for messages as ``receive_message`` returned them."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {"ApproximateReceiveCount": "1"}),
                "messageAttributes": {},
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for m in messages
        ]
    }


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in place of AWS, with credentials that could never reach a real account."""
    use_fake_aws_credentials(monkeypatch)
    with mock_aws():
        yield


@pytest.fixture
def stack(
    fake_aws: None, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Stack]:
    settings = Settings(
        backend="aws",
        aws_region=REGION,
        table_name="soundshelf",
        media_bucket=f"media-{uuid4().hex[:12]}",
        s3_endpoint=moto_endpoint,
        create_resources=True,
        cognito_jwks_file=write_moto_jwks(tmp_path / "jwks.json"),
        **create_cognito_pool().settings(),
        **_queues(),
    )
    _export(settings, monkeypatch)
    # The handlers would point the root logger at this test's captured stderr for good.
    monkeypatch.setattr("soundshelf.logs.configure_logging", lambda level="INFO": None)
    _forget_lambda_containers()
    sqs = boto3.client("sqs", region_name=REGION)
    queue_arn = sqs.get_queue_attributes(
        QueueUrl=settings.sqs_queue_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    with httpx.Client(trust_env=False, timeout=30) as http:
        yield Stack(
            settings=settings,
            services=build(settings),
            s3_endpoint=moto_endpoint,
            queue_url=settings.sqs_queue_url,
            queue_arn=queue_arn,
            sqs=sqs,
            http=http,
        )
    _forget_lambda_containers()


@pytest.fixture
def s3_events(stack: Stack) -> None:
    """S3 → EventBridge → the jobs queue, for the bucket's originals only, as deployed."""
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=stack.s3_endpoint)
    bucket = stack.settings.media_bucket
    s3.create_bucket(Bucket=bucket)  # before the store's first use would create it
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    events = boto3.client("events", region_name=REGION)
    pattern = {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [bucket]}, "object": {"key": [{"prefix": "originals/"}]}},
    }
    events.put_rule(Name="uploads", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="uploads", Targets=[{"Id": "jobs", "Arn": stack.queue_arn}])


def _queues() -> dict[str, str]:
    sqs = boto3.client("sqs", region_name=REGION)
    dead = sqs.create_queue(QueueName="jobs-dead")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = {"deadLetterTargetArn": dead_arn, "maxReceiveCount": str(MAX_ATTEMPTS)}
    jobs = sqs.create_queue(
        QueueName="jobs",
        Attributes={"RedrivePolicy": json.dumps(redrive), "VisibilityTimeout": "60"},
    )["QueueUrl"]
    return {"sqs_queue_url": jobs, "sqs_dead_letter_url": dead}


def _export(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The function's environment, as the SAM template would set it."""
    for name in (
        "backend",
        "aws_region",
        "table_name",
        "media_bucket",
        "s3_endpoint",
        "create_resources",
        "cognito_user_pool_id",
        "cognito_client_id",
        "cognito_jwks_file",
        "sqs_queue_url",
        "sqs_dead_letter_url",
    ):
        if (value := getattr(settings, name)) is not None:
            monkeypatch.setenv(f"SOUNDSHELF_{name.upper()}", str(value))


def _forget_lambda_containers() -> None:
    """A fresh container for the next test: its services were built on the old moto."""
    lambda_http._asgi_handler.cache_clear()
    lambda_media._services.cache_clear()
