"""Who is listening now: what a scrobble with ``submission=false`` announces.

One item per listener, ``USER#{userId}`` / ``NOWPLAYING`` (replaced by each announcement,
deleted with the account), in GSI1 ``NOWPLAYING`` by ``{at}#{userId}``, so the listeners
of the last ``WINDOW`` seconds are one bounded query, newest first.
"""

from __future__ import annotations

from dataclasses import dataclass

from soundshelf.ports.clock import Clock, iso
from soundshelf.ports.table import Table

WINDOW = 600.0  # seconds: an announcement older than this is no longer "now"
MAX_LISTENERS = 100  # listed at most, newest first
_PARTITION = "NOWPLAYING"


@dataclass(frozen=True)
class Listening:
    user_id: str
    username: str
    track_id: str
    player: str
    at: float


class NowPlaying:
    def __init__(self, table: Table, clock: Clock) -> None:
        self.table = table
        self.clock = clock

    def announce(self, user_id: str, username: str, track_id: str, player: str) -> None:
        now = self.clock.now()
        self.table.put(
            {
                "PK": f"USER#{user_id}",
                "SK": _PARTITION,
                "GSI1PK": _PARTITION,
                "GSI1SK": f"{iso(now)}#{user_id}",
                "userId": user_id,
                "username": username,
                "trackId": track_id,
                "player": player[:100],
                "at": now,
            }
        )

    def recent(self) -> list[Listening]:
        now = self.clock.now()
        page = self.table.query(
            _PARTITION,
            index="GSI1",
            between=(iso(now - WINDOW), "~"),
            forward=False,
            limit=MAX_LISTENERS,
        )
        return [
            Listening(i["userId"], i["username"], i["trackId"], i["player"], float(i["at"]))
            for i in page.items
        ]
