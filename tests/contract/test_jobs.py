"""Contract of the ``JobQueue`` port, run against the Table-backed queue (on SQLite and
on DynamoDB) and against SQS, the last two under moto."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from soundshelf.adapters.dynamodb_table import DynamoDbTable
from soundshelf.adapters.sqlite_table import SqliteTable
from soundshelf.adapters.sqs_jobs import SqsJobQueue
from soundshelf.adapters.table_jobs import TableJobQueue
from soundshelf.ports.jobs import JobQueue
from tests.support import FakeClock

MAX_ATTEMPTS = 2


@dataclass
class QueueUnderTest:
    queue: JobQueue
    wait: Callable[[float], None]  # let this much (queue) time pass
    # moto's DynamoDB checks a condition and writes without a lock, so two threads can
    # both win one conditional update; real DynamoDB (and SQLite) cannot. (moto's SQS
    # likewise.) The concurrency test then takes turns to receive, and only acks overlap.
    atomic_conditions: bool = True


@pytest.fixture(
    params=[
        "table-sqlite",
        pytest.param("table-dynamodb", marks=pytest.mark.aws),
        pytest.param("sqs", marks=pytest.mark.aws),
    ]
)
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[QueueUnderTest]:
    if request.param == "table-sqlite":
        clock = FakeClock()
        table = SqliteTable(tmp_path / "jobs.db")
        yield QueueUnderTest(
            TableJobQueue(table, clock, max_attempts=MAX_ATTEMPTS, retry_base=1), clock.advance
        )
        table.close()
    elif request.param == "table-dynamodb":
        request.getfixturevalue("fake_aws")
        clock = FakeClock()
        table = DynamoDbTable("jobs", region="us-east-1", create_if_missing=True)
        yield QueueUnderTest(
            TableJobQueue(table, clock, max_attempts=MAX_ATTEMPTS, retry_base=1),
            clock.advance,
            atomic_conditions=False,
        )
    else:
        request.getfixturevalue("fake_aws")
        sqs = boto3.client("sqs", region_name="us-east-1")
        dlq_url = sqs.create_queue(QueueName="jobs-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        url = sqs.create_queue(
            QueueName="jobs",
            Attributes={
                "RedrivePolicy": (
                    f'{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"{MAX_ATTEMPTS}"}}'
                )
            },
        )["QueueUrl"]
        queue = SqsJobQueue(
            url,
            dead_letter_url=dlq_url,
            region="us-east-1",
            max_attempts=MAX_ATTEMPTS,
            retry_base=1,
        )
        # SQS time is real time: keep the waits in these tests short. moto's SQS hands out
        # messages without a lock (two threads receiving at once can get one message, or
        # miss one: seen under load in CI); real SQS serves receivers concurrently.
        yield QueueUnderTest(
            queue, lambda seconds: time.sleep(seconds + 0.2), atomic_conditions=False
        )


def test_a_job_is_delivered_with_its_payload_and_acked_once(subject: QueueUnderTest) -> None:
    queue = subject.queue
    job_id = queue.enqueue("process_upload", {"uploadId": "u1", "n": 3})
    [job] = queue.receive()
    assert (job.job_id, job.kind, job.payload, job.attempts) == (
        job_id,
        "process_upload",
        {"uploadId": "u1", "n": 3},
        1,
    )
    queue.ack(job)
    subject.wait(1.5)
    assert queue.receive() == []


def test_a_received_job_is_hidden_until_its_lease_ends(subject: QueueUnderTest) -> None:
    queue = subject.queue
    queue.enqueue("k", {})
    [first] = queue.receive(lease=1)
    assert queue.receive() == []  # leased to the first worker
    subject.wait(1.5)  # that worker died: the job comes back
    [again] = queue.receive(lease=30)
    assert again.job_id == first.job_id
    assert again.attempts == 2


def test_retry_backs_off_then_dead_letters(subject: QueueUnderTest) -> None:
    queue = subject.queue
    job_id = queue.enqueue("k", {"x": 1})
    [job] = queue.receive(lease=30)
    queue.retry(job, error="boom")
    assert queue.receive() == []  # backing off
    subject.wait(1.5)
    [second] = queue.receive(lease=30)
    assert second.attempts == 2
    queue.retry(second, error="boom again")
    subject.wait(2.5)
    assert queue.receive() == []  # no third delivery: dead-lettered
    assert [j.job_id for j in queue.dead_letters()] == [job_id]


def test_a_dead_workers_delivery_goes_again_at_once_and_still_counts(
    subject: QueueUnderTest,
) -> None:
    """What the supervisor does when a worker dies mid-job: no wait for the lease."""
    queue = subject.queue
    job_id = queue.enqueue("k", {})
    [job] = queue.receive(lease=300)
    queue.retry(job, error="the worker running it died", delay=0)
    [again] = queue.receive(lease=300)  # now, not after the 300 s lease
    assert (again.job_id, again.attempts) == (job_id, 2)
    queue.retry(again, error="the worker running it died", delay=0)
    subject.wait(0.5)
    assert queue.receive() == []  # its last attempt: dead-lettered, not looping
    assert [j.job_id for j in queue.dead_letters()] == [job_id]


def test_many_jobs_are_each_delivered_once_to_competing_workers(subject: QueueUnderTest) -> None:
    queue = subject.queue
    sent = {queue.enqueue("k", {"i": i}) for i in range(30)}
    seen: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    receive_lock = threading.Lock() if not subject.atomic_conditions else contextlib.nullcontext()

    def worker() -> None:
        try:
            work()
        except BaseException as exc:
            errors.append(exc)

    def work() -> None:
        idle = 0
        while idle < 3:
            with receive_lock:
                jobs = queue.receive(max_jobs=3, lease=60)
            if not jobs:
                idle += 1
                continue
            idle = 0
            for job in jobs:
                with lock:
                    seen.append(job.job_id)
                queue.ack(job)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(seen) == sorted(sent)  # every job, none twice


def test_delayed_job_waits(subject: QueueUnderTest) -> None:
    queue = subject.queue
    queue.enqueue("later", {}, delay=1)
    assert queue.receive() == []
    subject.wait(1.2)
    assert [j.kind for j in queue.receive()] == ["later"]


def test_late_ack_of_an_expired_delivery_keeps_the_new_one(tmp_path: Path) -> None:
    """Table queue only: SQS has the same rule built in (receipt handles)."""
    clock = FakeClock()
    queue = TableJobQueue(SqliteTable(tmp_path / "jobs.db"), clock)
    queue.enqueue("k", {})
    [stale] = queue.receive(lease=1)
    clock.advance(2)
    [current] = queue.receive(lease=60)
    queue.ack(stale)  # the first worker wakes up late
    clock.advance(120)
    [again] = queue.receive()
    assert again.job_id == current.job_id  # still there: only the live delivery can ack
