"""Where a client's paging through a stream got to, so its next offset resumes there.

Subsonic clients page with offsets (``songOffset=500``); our streams resume from a sort
key (``subsonic.streams``). Each page answered records, in the table, the key its last
item had under the offset that follows it. The next request, in whichever process (the
embedded server runs several, the AWS API many Lambdas), starts from the nearest recorded
offset at or below its own and skips only the difference; with none, it reads from the
top. One item per (user, list, offset) under ``USER#{userId}``, so deleting the account
takes them too, and an old one is ignored (paging restarts where one is fresh).
"""

from __future__ import annotations

from dataclasses import dataclass

from soundshelf.ports.clock import Clock
from soundshelf.ports.table import Table

MAX_AGE = 3600.0  # seconds a recorded position stays usable: one sync, not last week's
_NEAREST = 20  # recorded positions looked at below an offset (the newest usable wins)


@dataclass(frozen=True)
class Position:
    offset: int
    after: str | None  # the sort key the item at ``offset - 1`` had; None: the top


TOP = Position(0, None)


def _key(user_id: str, name: str, offset: int) -> tuple[str, str]:
    return f"USER#{user_id}", f"SYNCPOS#{name}#{offset:010d}"


class Positions:
    def __init__(self, table: Table, clock: Clock) -> None:
        self.table = table
        self.clock = clock

    def nearest(self, user_id: str, name: str, offset: int) -> Position:
        """The recorded position closest below or at ``offset`` (TOP if none is fresh)."""
        if offset == 0:
            return TOP
        pk, high = _key(user_id, name, offset)
        low = _key(user_id, name, 0)[1]
        page = self.table.query(pk, between=(low, high), forward=False, limit=_NEAREST)
        oldest = self.clock.now() - MAX_AGE
        for item in page.items:
            if item["savedAt"] >= oldest:
                return Position(int(item["offset"]), item["after"])
        return TOP

    def record(self, user_id: str, name: str, position: Position) -> None:
        pk, sk = _key(user_id, name, position.offset)
        self.table.put(
            {
                "PK": pk,
                "SK": sk,
                "offset": position.offset,
                "after": position.after,
                "savedAt": self.clock.now(),
            }
        )
