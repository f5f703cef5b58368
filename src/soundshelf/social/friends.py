"""Friendship edges: one item per direction, so "is B my friend" is a single get."""

from __future__ import annotations

from soundshelf.ports.clock import Clock
from soundshelf.ports.table import Delete, ItemAbsent, Put, Table, TransactionFailed


def friend_key(user_id: str, other_id: str) -> tuple[str, str]:
    return f"USER#{user_id}", f"FRIEND#{other_id}"


class Friends:
    def __init__(self, table: Table, clock: Clock) -> None:
        self.table = table
        self.clock = clock

    def are_friends(self, user_id: str, other_id: str) -> bool:
        return user_id != other_id and self.table.get(*friend_key(user_id, other_id)) is not None

    def among(self, user_id: str, others: set[str]) -> list[str]:
        """Which of ``others`` are ``user_id``'s friends, in one batch read."""
        edges = self.table.batch_get([friend_key(user_id, o) for o in others if o != user_id])
        return [e["friendId"] for e in edges]

    def befriend(self, user_id: str, other_id: str) -> None:
        """Make two users friends (both edges at once); a no-op if they already are."""
        now = self.clock.now()
        try:
            self.table.transact(
                [
                    Put(
                        {"PK": f"USER#{a}", "SK": f"FRIEND#{b}", "friendId": b, "since": now},
                        condition=ItemAbsent(),
                    )
                    for a, b in ((user_id, other_id), (other_id, user_id))
                ]
            )
        except TransactionFailed:
            pass  # already friends

    def unfriend(self, user_id: str, other_id: str) -> None:
        self.table.transact(
            [Delete(*friend_key(user_id, other_id)), Delete(*friend_key(other_id, user_id))]
        )
