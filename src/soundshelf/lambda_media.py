"""The processing Lambda: batches from the SQS jobs queue, answered with partial batch
responses (``ReportBatchItemFailures``) so that only failed records come back.

A record's body is one of
- an EventBridge event from S3 (``Object Created``) for an upload's original: the upload
  is marked received, which queues its one ``process_upload`` job;
- one of our own job messages (``{"jobId", "kind", "payload"}`` as ``SqsJobQueue`` sends
  them): its handler runs exactly as in the embedded worker (``worker.run_job``), with
  ``give_up`` on the last attempt.

Why an S3 event does not process the upload right here: marking it received queues the
job anyway (whichever comes first, this event or the client's ``POST /complete``, queues
it), and another instance of this function takes that job within moments, so processing
here too would transcode most files twice. With a single path there is also a single
retry policy: backoff, the dead-letter queue and ``give_up`` all belong to the job.

A record that fails, or that is neither kind, is reported in ``batchItemFailures``; after
``max_attempts`` deliveries the queue's redrive policy moves it to the dead-letter queue
for a person to look at. Nothing raises out of ``handler`` for a batch.

The function is also invoked directly, every hour, by the template's housekeeping
schedule with ``HOUSEKEEPING`` as its event: it then runs what the embedded worker runs
every few minutes (``Worker.housekeeping``): the sweep of abandoned uploads, pending an hour
after their URLs expired (their records, objects, unfinished multipart uploads and
storage reservations). A sweep that fails raises, so
Lambda counts an error (the errors alarm) and retries the invocation; the next hour's
sweep picks up whatever is left anyway. After an upgrade that changed the search index's
layout, the time left moves items to it (``search/reindex.py``; the embedded worker does
that between jobs).
"""

from __future__ import annotations

import json
import logging
from functools import cache
from typing import TYPE_CHECKING, Any

from soundshelf.errors import DomainError

if TYPE_CHECKING:
    from soundshelf.bootstrap import Services

log = logging.getLogger("soundshelf.lambda_media")

BatchResponse = dict[str, list[dict[str, str]]]
# The event the housekeeping schedule sends (infra/template.yaml, the processing function's
# Housekeeping event); tests/infra checks that the two agree.
HOUSEKEEPING = {"soundshelf": "housekeeping"}
SWEEP_BATCH = 100
MAX_SWEEPS = 100  # 10,000 uploads an invocation; the rest waits for the next hour
TIME_TO_SPARE_MS = 60_000


class MalformedRecord(ValueError):
    """Neither an S3 event nor one of our jobs."""


def handler(event: dict[str, Any], context: Any) -> Any:
    if event == HOUSEKEEPING:
        return housekeeping(context)
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        log.error("not an SQS event; nothing to do")
        return {"batchItemFailures": []}
    failed = [record for record in records if not _settle(record)]
    return {"batchItemFailures": [{"itemIdentifier": _message_id(r)} for r in failed]}


def housekeeping(context: Any) -> dict[str, int | bool]:
    """Remove abandoned uploads, a batch at a time, while there are more and time left."""
    services = _services()
    removed = 0
    for _ in range(MAX_SWEEPS):
        swept = services.uploads.remove_abandoned(limit=SWEEP_BATCH)
        removed += swept
        if swept < SWEEP_BATCH or _remaining_ms(context) < TIME_TO_SPARE_MS:
            break
    # After an upgrade that changed the search index's layout: move items while time lasts.
    current = services.reindexer.run(keep_going=lambda: _remaining_ms(context) >= TIME_TO_SPARE_MS)
    log.info("housekeeping done", extra={"removedUploads": removed, "searchCurrent": current})
    return {"removedUploads": removed, "searchIndexCurrent": current}


def _remaining_ms(context: Any) -> int:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return int(remaining()) if callable(remaining) else 0


def _settle(record: Any) -> bool:
    """Handle one record; True when it is done and SQS may delete it."""
    try:
        services = _services()
        body = _body(record)
        if body.get("source") == "aws.s3" and "detail-type" in body:
            _s3_event(services, body)
            return True
        return _job(services, record, body)
    except Exception:
        # One bad record must not fail (and so redeliver) the others in its batch.
        log.exception("record failed", extra={"messageId": _message_id(record)})
        return False


def _message_id(record: Any) -> str:
    return str(record.get("messageId", "")) if isinstance(record, dict) else ""


def _body(record: dict[str, Any]) -> dict[str, Any]:
    body = json.loads(record["body"])
    if not isinstance(body, dict):
        raise MalformedRecord("the message body is not a JSON object")
    return body


def _s3_event(services: Services, event: dict[str, Any]) -> None:
    if event["detail-type"] != "Object Created":
        log.info("S3 event ignored", extra={"detailType": event["detail-type"]})
        return
    bucket = event["detail"]["bucket"]["name"]
    # Unlike S3's own notifications, EventBridge events carry the key as it is, not
    # URL-encoded, so it is used unchanged.
    key = event["detail"]["object"]["key"]
    if bucket != services.settings.media_bucket:
        log.warning("S3 event for another bucket ignored", extra={"bucket": bucket})
        return
    try:
        services.uploads.complete_by_key(key)
    except DomainError as exc:
        # The object is gone again or too large: no retry can change that.
        log.info("upload not accepted", extra={"key": key, "reason": exc.detail})


def _job(services: Services, record: dict[str, Any], body: dict[str, Any]) -> bool:
    if not isinstance(body.get("kind"), str) or not isinstance(body.get("payload"), dict):
        raise MalformedRecord("neither an S3 event nor a job")
    from soundshelf.adapters.sqs_jobs import job_from_message
    from soundshelf.worker import run_job

    # run_job deletes a finished job's message at once (Lambda's own delete afterwards
    # is a no-op), so a later record timing out the batch cannot bring it back; a failed
    # job gets its backoff through the message's visibility.
    return run_job(services, services.job_handlers, job_from_message(record))


@cache
def _services() -> Services:
    """Built on the first record and kept for the container's lifetime."""
    from soundshelf.bootstrap import build
    from soundshelf.config import Settings
    from soundshelf.logs import configure_logging

    settings = Settings()
    configure_logging(settings.log_level)
    return build(settings)
