"""The processing Lambda on the AWS stack under moto: S3 events and our own jobs from one
SQS queue, partial batch responses, idempotency, and records that are not ours."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

import boto3
import pytest

from soundshelf import lambda_media
from soundshelf.core.users import Principal, profile_key
from soundshelf.uploads.processing import GAVE_UP, result_key
from soundshelf.uploads.service import PROCESS_UPLOAD
from tests import mediagen

from .conftest import MAX_ATTEMPTS, Stack, lambda_context, sqs_event

pytestmark = pytest.mark.aws

NO_FAILURES: dict[str, list[dict[str, str]]] = {"batchItemFailures": []}


# --------------------------------------------------------------------------- helpers


def media(*records: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    return lambda_media.handler({"Records": list(records)}, lambda_context())


def record(body: Any, *, receive_count: int = 1) -> dict[str, Any]:
    """A hand-made SQS record; ``body`` is sent as is when it is a string."""
    return {
        "messageId": str(uuid4()),
        "receiptHandle": f"synthetic-{uuid4()}",
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {"ApproximateReceiveCount": str(receive_count)},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "awsRegion": "us-east-1",
    }


def object_created(
    bucket: str, key: str, *, size: int = 1, detail_type: str = "Object Created"
) -> dict[str, Any]:
    """An S3 event as EventBridge delivers it (AWS S3 user guide, "EventBridge event
    message structure")."""
    return {
        "version": "0",
        "id": str(uuid4()),
        "detail-type": detail_type,
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2024-05-06T07:08:09Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key, "size": size, "etag": "d41d8cd9", "sequencer": "0062E99A"},
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": "123456789012",
            "source-ip-address": "203.0.113.7",
            "reason": "PostObject",
        },
    }


def upload(stack: Stack, owner: Principal, path: Path, content_type: str) -> dict[str, Any]:
    """Reserve an upload and POST its bytes to S3; returns the upload item."""
    data = path.read_bytes()
    new = stack.services.uploads.create(
        owner, filename=path.name, content_type=content_type, size=len(data)
    )
    assert new.method == "POST"
    assert new.url
    assert new.fields is not None
    posted = stack.post_form(new.url, new.fields, data, path.name)
    assert posted.status_code in (200, 201, 204), posted.text
    return new.item


def event_for(stack: Stack, item: dict[str, Any]) -> dict[str, Any]:
    return record(object_created(stack.settings.media_bucket, item["blobKey"], size=item["size"]))


def derived_keys(result: dict[str, Any]) -> list[str]:
    """Every S3 object the processing made for a track or photo."""
    keys = [result["waveformKey"]] if "waveformKey" in result else []
    keys += [r["key"] for name, r in result.get("renditions", {}).items() if name != "original"]
    keys += [d["key"] for d in result.get("cover", {}).values()]
    keys += [d["key"] for d in result.get("derivatives", {}).values()]
    return keys


def tracks_of(stack: Stack, owner: Principal) -> list[dict[str, Any]]:
    return stack.services.table.query(f"USER#{owner.user_id}#TRACKS", index="GSI1").items


def song(tmp_path: Path) -> Path:
    return mediagen.make_audio(
        tmp_path / "night-drive.mp3",
        "mp3",
        1.0,
        tags={"title": "Night Drive", "artist": "Ada"},
        cover=mediagen.cover_jpeg(),
    )


def photo(tmp_path: Path) -> Path:
    return mediagen.make_jpeg(tmp_path / "beach.jpg", (300, 200))


# --------------------------------------------------------------------------- S3 events


@pytest.mark.parametrize(
    ("make", "content_type", "result_type"),
    [(song, "audio/mpeg", "track"), (photo, "image/jpeg", "photo")],
)
def test_a_posted_upload_is_received_by_its_s3_event_and_processed(
    stack: Stack,
    s3_events: None,
    tmp_path: Path,
    make: Callable[[Path], Path],
    content_type: str,
    result_type: str,
) -> None:
    """The whole AWS pipeline: presigned POST → S3 → EventBridge → SQS → this function."""
    owner = stack.user("ada")
    item = upload(stack, owner, make(tmp_path), content_type)
    [message] = stack.queued()
    event = json.loads(message["Body"])  # made by moto's S3 and EventBridge, not by us
    assert (event["detail-type"], event["detail"]["object"]["key"]) == (
        "Object Created",
        item["blobKey"],
    )

    # First the S3 event (which queues the job), then the job, then the event of the
    # original's move to its .stored key (ignored: no upload URL writes that key).
    assert stack.deliver(lambda_media.handler) == [NO_FAILURES, NO_FAILURES, NO_FAILURES]

    status = stack.upload_status(item["uploadId"])
    assert status["status"] == "ready", status
    assert status["resultType"] == result_type
    result = stack.services.table.get(*result_key(result_type, item["uploadId"]))
    assert result is not None
    assert result["ownerId"] == owner.user_id
    keys = derived_keys(result)
    assert len(keys) >= 2  # waveform + cover, or the photo's sizes
    for key in keys:
        assert stack.services.blobs.head(key) is not None, key
    assert stack.in_queue() == 0


def test_a_synthetic_s3_event_queues_exactly_one_job(stack: Stack, tmp_path: Path) -> None:
    owner = stack.user("bea")
    item = upload(stack, owner, song(tmp_path), "audio/mpeg")
    assert stack.upload_status(item["uploadId"])["status"] == "pending"

    assert media(event_for(stack, item)) == NO_FAILURES

    assert stack.upload_status(item["uploadId"])["status"] == "processing"
    [job] = stack.queued()
    body = json.loads(job["Body"])
    assert (body["kind"], body["payload"]) == (PROCESS_UPLOAD, {"uploadId": item["uploadId"]})
    assert stack.deliver(lambda_media.handler) == [NO_FAILURES]
    assert stack.upload_status(item["uploadId"])["status"] == "ready"


def test_the_same_event_twice_gives_exactly_one_track(stack: Stack, tmp_path: Path) -> None:
    owner = stack.user("cal")
    item = upload(stack, owner, song(tmp_path), "audio/mpeg")
    # Delivered twice in one batch and once more later: SQS is at-least-once.
    assert media(event_for(stack, item), event_for(stack, item)) == NO_FAILURES
    assert media(event_for(stack, item)) == NO_FAILURES
    [job] = stack.queued()

    stack.deliver(lambda_media.handler)
    # A late duplicate of the job itself is harmless too.
    stack.sqs.send_message(QueueUrl=stack.queue_url, MessageBody=job["Body"])
    assert stack.deliver(lambda_media.handler) == [NO_FAILURES]

    assert [t["trackId"] for t in tracks_of(stack, owner)] == [item["uploadId"]]
    profile = stack.services.table.get(*profile_key(owner.user_id))
    assert profile is not None
    assert profile["trackCount"] == 1


def test_a_renamed_program_fails_the_upload_but_not_the_batch(stack: Stack, tmp_path: Path) -> None:
    owner = stack.user("dan")
    item = upload(stack, owner, mediagen.make_exe(tmp_path / "song.mp3"), "audio/mpeg")
    assert media(event_for(stack, item)) == NO_FAILURES

    # A user's bad file is an answer, not an error: the job is done, never retried.
    assert stack.deliver(lambda_media.handler) == [NO_FAILURES]
    failed = stack.upload_status(item["uploadId"])
    assert failed["status"] == "failed"
    assert "program" in failed["error"].lower()
    assert stack.services.blobs.head(item["blobKey"]) is None
    assert stack.in_queue() == 0


def test_s3_events_that_are_not_for_an_upload_are_acknowledged_and_ignored(
    stack: Stack, tmp_path: Path
) -> None:
    owner = stack.user("eve")
    item = upload(stack, owner, photo(tmp_path), "image/jpeg")
    bucket, key = stack.settings.media_bucket, item["blobKey"]
    answer = media(
        record(object_created(bucket, key, detail_type="Object Deleted")),
        record(object_created("someone-elses-bucket", key)),
        record(object_created(bucket, f"derived/{owner.user_id}/x/photo-thumb.webp")),
    )
    assert answer == NO_FAILURES
    assert stack.upload_status(item["uploadId"])["status"] == "pending"
    assert stack.in_queue() == 0


def test_an_event_for_an_object_deleted_since_is_not_retried(stack: Stack, tmp_path: Path) -> None:
    owner = stack.user("fay")
    item = upload(stack, owner, photo(tmp_path), "image/jpeg")
    stack.services.blobs.delete(item["blobKey"])
    assert media(event_for(stack, item)) == NO_FAILURES  # no retry can bring it back
    assert stack.upload_status(item["uploadId"])["status"] == "pending"
    assert stack.in_queue() == 0


# --------------------------------------------------------------------------- our jobs


def test_a_job_queued_by_the_api_completion_is_processed(stack: Stack, tmp_path: Path) -> None:
    owner = stack.user("gus")
    item = upload(stack, owner, song(tmp_path), "audio/mpeg")
    stack.services.uploads.complete(owner, item["uploadId"])  # POST /complete does this
    messages = stack.sqs.receive_message(
        QueueUrl=stack.queue_url, MessageSystemAttributeNames=["All"], VisibilityTimeout=60
    )["Messages"]

    assert media(*sqs_event(messages, stack.queue_arn)["Records"]) == NO_FAILURES
    # The function deleted the finished job itself (Lambda's delete after it is a no-op).
    assert stack.in_queue() == 0

    track = stack.services.table.get(*result_key("track", item["uploadId"]))
    assert track is not None
    assert (track["title"], track["artist"]) == ("Night Drive", "Ada")


def test_a_failing_job_is_retried_and_given_up_on_its_last_attempt(
    stack: Stack, tmp_path: Path
) -> None:
    owner = stack.user("hal")
    item = upload(stack, owner, song(tmp_path), "audio/mpeg")
    stack.services.uploads.complete(owner, item["uploadId"])
    stack.services.blobs.delete(item["blobKey"])  # every attempt will now fail
    messages = stack.sqs.receive_message(
        QueueUrl=stack.queue_url, MessageSystemAttributeNames=["All"], VisibilityTimeout=60
    )["Messages"]
    event = sqs_event(messages, stack.queue_arn)
    [job] = event["Records"]

    assert media(job) == {"batchItemFailures": [{"itemIdentifier": job["messageId"]}]}
    assert stack.upload_status(item["uploadId"])["status"] == "processing"  # will be retried

    job["attributes"]["ApproximateReceiveCount"] = str(MAX_ATTEMPTS)
    assert media(job) == {"batchItemFailures": [{"itemIdentifier": job["messageId"]}]}
    gave_up = stack.upload_status(item["uploadId"])
    assert (gave_up["status"], gave_up["error"]) == ("failed", GAVE_UP)


# --------------------------------------------------------------------------- bad input


def test_bad_records_fail_alone_and_the_rest_of_the_batch_succeeds(
    stack: Stack, tmp_path: Path
) -> None:
    owner = stack.user("ian")
    item = upload(stack, owner, photo(tmp_path), "image/jpeg")
    bad = [
        record("this is not JSON {"),
        record("[1, 2, 3]"),
        record({}),
        record({"kind": PROCESS_UPLOAD}),  # no payload
        record({"jobId": "j1", "kind": "no_such_kind", "payload": {}}),
        record({"source": "aws.s3", "detail-type": "Object Created", "detail": {}}),
        {"messageId": str(uuid4())},  # no body at all
    ]
    good = event_for(stack, item)

    answer = media(bad[0], good, *bad[1:])

    assert answer == {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in bad]}
    assert stack.upload_status(item["uploadId"])["status"] == "processing"
    assert len(stack.queued()) == 1


@pytest.mark.parametrize("event", [{}, {"Records": None}, {"Records": "x"}, {"Records": []}])
def test_an_event_that_is_not_an_sqs_batch_does_not_raise(
    stack: Stack, event: dict[str, Any]
) -> None:
    assert lambda_media.handler(event, lambda_context()) == NO_FAILURES


def test_when_the_services_cannot_be_built_every_record_fails_without_raising(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("no configuration")

    monkeypatch.setattr("soundshelf.bootstrap.build", broken)
    records = [record({}), event_for(stack, {"blobKey": "originals/a/b", "size": 1})]
    assert media(*records) == {
        "batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records]
    }


def test_the_services_are_built_once_per_container(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from soundshelf import bootstrap

    calls = []
    real_build = bootstrap.build

    def counting_build(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(bootstrap, "build", counting_build)
    for _ in range(3):
        assert media(record(object_created("other-bucket", "originals/a/b"))) == NO_FAILURES
    assert len(calls) == 1


# --------------------------------------------------------------------------- housekeeping


def abandon(stack: Stack, item: dict[str, Any]) -> None:
    """Make a pending upload look as old as an abandoned one (a day and more)."""
    stack.services.table.update(
        item["PK"], item["SK"], set={"GSI2SK": f"{int(time.time()) - 60:012d}#{item['uploadId']}"}
    )


def test_the_housekeeping_schedule_removes_abandoned_uploads(stack: Stack, tmp_path: Path) -> None:
    owner = stack.user("hana")
    posted = upload(stack, owner, song(tmp_path), "audio/mpeg")  # bytes, never completed
    settings = stack.services.settings
    multipart = stack.services.uploads.create(
        owner,
        filename="long-mix.flac",
        content_type="audio/flac",
        size=settings.multipart_threshold_bytes + 1,
    ).item
    recent = stack.services.uploads.create(
        owner, filename="new.mp3", content_type="audio/mpeg", size=10
    ).item
    for item in (posted, multipart):
        abandon(stack, item)
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=stack.s3_endpoint)
    bucket = stack.settings.media_bucket
    assert stack.services.blobs.head(posted["blobKey"]) is not None
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads")

    answer = lambda_media.handler(lambda_media.HOUSEKEEPING, lambda_context())

    assert answer == {"removedUploads": 2, "searchIndexCurrent": True}
    table = stack.services.table
    assert table.get(posted["PK"], posted["SK"]) is None
    assert table.get(multipart["PK"], multipart["SK"]) is None
    assert stack.services.blobs.head(posted["blobKey"]) is None
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
    assert stack.upload_status(recent["uploadId"])["status"] == "pending"  # not abandoned yet
    # Only the recent upload still holds storage.
    assert stack.services.table.get(*profile_key(owner.user_id))["reservedBytes"] == 10
    assert stack.in_queue() == 0  # the sweep is not a job: nothing queued, nothing to settle
    # Nothing left: the next hour's run removes nothing.
    assert lambda_media.handler(lambda_media.HOUSEKEEPING, lambda_context()) == {
        "removedUploads": 0,
        "searchIndexCurrent": True,
    }


def test_the_sweep_goes_on_while_there_is_more_and_time_left(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = stack.user("ines")
    for n in range(3):
        item = stack.services.uploads.create(
            owner, filename=f"{n}.mp3", content_type="audio/mpeg", size=10
        ).item
        abandon(stack, item)
    monkeypatch.setattr(lambda_media, "SWEEP_BATCH", 1)

    short = lambda_context()
    short.get_remaining_time_in_millis = lambda: lambda_media.TIME_TO_SPARE_MS - 1
    assert lambda_media.handler(lambda_media.HOUSEKEEPING, short) == {
        "removedUploads": 1,
        "searchIndexCurrent": False,  # no time left to check the search index either
    }
    assert lambda_media.handler(lambda_media.HOUSEKEEPING, lambda_context()) == {
        "removedUploads": 2,
        "searchIndexCurrent": True,
    }


def test_a_failing_sweep_raises_so_lambda_counts_an_error_and_retries(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = lambda_media._services()

    def broken(**_: Any) -> int:
        raise RuntimeError("table unavailable")

    monkeypatch.setattr(services.uploads, "remove_abandoned", broken)
    with pytest.raises(RuntimeError, match="table unavailable"):
        lambda_media.handler(lambda_media.HOUSEKEEPING, lambda_context())


@pytest.mark.parametrize(
    "event",
    [
        {"soundshelf": "housekeeping", "extra": 1},
        {"soundshelf": "other"},
        {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}},
    ],
)
def test_only_the_housekeeping_event_runs_the_sweep(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, event: dict[str, Any]
) -> None:
    services = lambda_media._services()
    monkeypatch.setattr(services.uploads, "remove_abandoned", lambda **_: pytest.fail("swept"))
    assert lambda_media.handler(event, lambda_context()) == NO_FAILURES


# --------------------------------------------------------- upload URLs write once


def post_again(stack: Stack, new: Any, data: bytes) -> None:
    """What an attacker holding an old presigned POST does (moto, unlike S3, neither
    expires it nor checks its size policy)."""
    posted = stack.post_form(new.url, new.fields, data, "again.bin")
    assert posted.status_code in (200, 201, 204), posted.text


def test_an_old_post_cannot_replace_a_processed_original(
    stack: Stack, s3_events: None, tmp_path: Path
) -> None:
    owner = stack.user("olga")
    data = photo(tmp_path).read_bytes()
    new = stack.services.uploads.create(
        owner, filename="beach.jpg", content_type="image/jpeg", size=len(data)
    )
    stack.post_form(new.url, new.fields, data, "beach.jpg")
    stack.deliver(lambda_media.handler)
    assert stack.upload_status(new.item["uploadId"])["status"] == "ready"
    result = stack.services.table.get(*result_key("photo", new.item["uploadId"]))
    assert result["originalKey"] == f"{new.item['blobKey']}.stored"

    post_again(stack, new, b"<html>".ljust(len(data), b" "))
    assert stack.deliver(lambda_media.handler) == [NO_FAILURES]  # its S3 event

    blobs = stack.services.blobs
    assert blobs.read(result["originalKey"]) == data
    assert blobs.head(new.item["blobKey"]) is None
    assert stack.in_queue() == 0  # nothing was processed again


def test_bytes_posted_after_a_failed_upload_are_removed(
    stack: Stack, s3_events: None, tmp_path: Path
) -> None:
    owner = stack.user("pavel")
    item = upload(stack, owner, mediagen.make_exe(tmp_path / "song.mp3"), "audio/mpeg")
    stack.deliver(lambda_media.handler)
    assert stack.upload_status(item["uploadId"])["status"] == "failed"
    # As good as the URL it had: moto does not check a POST's expiry or size policy.
    old = stack.services.blobs.presign_upload(
        item["blobKey"], content_type="audio/mpeg", size=3, ttl=60
    )

    post_again(stack, old, b"abc")
    stack.deliver(lambda_media.handler)

    assert list(stack.services.blobs.list("originals/")) == []
    assert list(stack.services.blobs.list(f"derived/{owner.user_id}/")) == []


def test_a_post_of_another_size_than_declared_is_refused_on_arrival(
    stack: Stack, s3_events: None, tmp_path: Path
) -> None:
    owner = stack.user("quinn")
    new = stack.services.uploads.create(owner, filename="a.txt", content_type="text/plain", size=1)
    policy = json.loads(base64.b64decode(new.fields["policy"]))
    assert ["content-length-range", 1, 1] in policy["conditions"]  # what S3 enforces

    post_again(stack, new, b"x" * 100_000)  # moto does not
    assert stack.deliver(lambda_media.handler) == [NO_FAILURES]

    assert stack.upload_status(new.item["uploadId"])["status"] == "pending"
    assert stack.services.blobs.head(new.item["blobKey"]) is None
    profile = stack.services.table.get(*profile_key(owner.user_id))
    assert (profile.get("storageBytes", 0), profile["reservedBytes"]) == (0, 1)
