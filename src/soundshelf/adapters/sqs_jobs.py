"""The AWS ``JobQueue``: an SQS queue whose redrive policy moves a message to the
dead-letter queue after ``max_attempts`` receives."""

from __future__ import annotations

import json
from typing import Any

import boto3
from ulid import ULID

from soundshelf.ports.jobs import Job, backoff_seconds

MAX_SQS_DELAY = 900  # SQS caps both DelaySeconds and the backoff we can ask for


class SqsJobQueue:
    def __init__(
        self,
        queue_url: str,
        *,
        dead_letter_url: str | None = None,
        region: str,
        endpoint_url: str | None = None,
        max_attempts: int = 5,
        retry_base: float = 5,
        client: Any = None,
    ) -> None:
        self.queue_url = queue_url
        self.dead_letter_url = dead_letter_url
        self.region = region
        self.endpoint_url = endpoint_url
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:  # created on first use: no AWS work at import/cold start
            self._client = boto3.client(
                "sqs", region_name=self.region, endpoint_url=self.endpoint_url
            )
        return self._client

    def enqueue(self, kind: str, payload: dict[str, Any], *, delay: float = 0) -> str:
        job_id = str(ULID())
        self.client.send_message(
            QueueUrl=self.queue_url,
            MessageBody=json.dumps({"jobId": job_id, "kind": kind, "payload": payload}),
            DelaySeconds=min(MAX_SQS_DELAY, max(0, int(delay))),
        )
        return job_id

    def receive(self, *, max_jobs: int = 1, lease: float = 60) -> list[Job]:
        return self._receive(self.queue_url, max_jobs=max_jobs, lease=lease)

    def _receive(self, url: str, *, max_jobs: int, lease: float) -> list[Job]:
        answer = self.client.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=max(1, min(10, max_jobs)),
            VisibilityTimeout=int(lease),
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        return [job_from_message(m) for m in answer.get("Messages", [])]

    def ack(self, job: Job) -> None:
        self.client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=job.receipt)

    def retry(self, job: Job, *, error: str, delay: float | None = None) -> None:
        # The message comes back when its visibility ends; after max_attempts receives the
        # redrive policy moves it to the dead-letter queue.
        wait = backoff_seconds(job.attempts, base=self.retry_base) if delay is None else delay
        self.client.change_message_visibility(
            QueueUrl=self.queue_url,
            ReceiptHandle=job.receipt,
            VisibilityTimeout=int(min(MAX_SQS_DELAY, max(0, wait))),
        )

    def dead_letters(self, *, limit: int = 50) -> list[Job]:
        if not self.dead_letter_url:
            return []
        # A zero visibility timeout peeks without hiding the messages from others.
        return self._receive(self.dead_letter_url, max_jobs=limit, lease=0)


def job_from_message(message: dict[str, Any]) -> Job:
    """Our job from an SQS message (as ``receive_message`` or a Lambda event has it)."""
    body = json.loads(message.get("Body") or message.get("body") or "{}")
    attributes = message.get("Attributes") or message.get("attributes") or {}
    return Job(
        job_id=body.get("jobId", message.get("MessageId") or message.get("messageId", "")),
        kind=body.get("kind", ""),
        payload=body.get("payload", {}),
        attempts=int(attributes.get("ApproximateReceiveCount", 1)),
        receipt=message.get("ReceiptHandle") or message.get("receiptHandle", ""),
    )
