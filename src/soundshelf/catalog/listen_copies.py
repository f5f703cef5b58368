"""Asking for a track's listening copy: the encoded AAC that a link shared without
downloads plays, so that it never signs the original file.

Only MP3/AAC originals stream as is (others get a "high" rendition at processing, which
serves as well), and most tracks are never shared that way, so the copy is made on demand
by the ``listen_copy`` job (uploads/listen_copy.py), not at every upload. A marker on the
track (``listenRequestedAt``), claimed by a conditional update, lets floods of page views
enqueue at most one job per track per hour; a job that failed is asked for again after it.
"""

from __future__ import annotations

from typing import Any

from soundshelf.ports.clock import Clock
from soundshelf.ports.jobs import JobQueue
from soundshelf.ports.table import (
    AttributeAbsent,
    AttributeEquals,
    ConditionFailed,
    Conditions,
    ItemPresent,
    Table,
)

LISTEN_COPY = "listen_copy"
LISTEN_COPY_BITRATE = 128_000
RETRY_AFTER_S = 3600  # a request older than this is taken as failed and made again


def listen_rendition(track: dict[str, Any]) -> dict[str, Any] | None:
    """The encoded rendition a listen-only link plays, if the track has one yet."""
    renditions = track["renditions"]
    return renditions.get("high") or renditions.get("listen")


class ListenCopies:
    def __init__(self, *, table: Table, jobs: JobQueue, clock: Clock) -> None:
        self.table = table
        self.jobs = jobs
        self.clock = clock

    def request(self, track: dict[str, Any]) -> bool:
        """Enqueue the job that makes ``track``'s copy, unless it has one or one was asked
        for within the hour. True when this call enqueued it."""
        if listen_rendition(track) is not None:
            return False
        now = int(self.clock.now())
        asked = track.get("listenRequestedAt")
        asked = None if asked is None else int(asked)  # stored as a whole number of seconds
        if asked is not None and now - asked < RETRY_AFTER_S:
            return False
        condition: Conditions = (
            [ItemPresent(), AttributeAbsent("listenRequestedAt")]
            if asked is None
            else AttributeEquals("listenRequestedAt", asked)
        )
        try:
            self.table.update(
                track["PK"], track["SK"], set={"listenRequestedAt": now}, condition=condition
            )
        except ConditionFailed:
            return False  # another view claimed it first, or the track is gone
        self.jobs.enqueue(LISTEN_COPY, {"trackId": track["trackId"]})
        return True
