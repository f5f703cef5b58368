"""Friend requests (ask, accept, decline, cancel) and the friend list.

A request is one item plus a *pair* item per direction, put together with ``ItemAbsent``:
there is at most one pending request from A to B, without read-then-write. Accepting,
declining and cancelling all start with the same conditional delete of the request, so
exactly one of them wins a race; the addressee's ``friend_request`` notification is
withdrawn in that transaction (a stale badge would point at nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ulid import ULID

from soundshelf.accounts.service import Accounts
from soundshelf.core.users import Principal, profile_key
from soundshelf.errors import Conflict, NotFound, ValidationFailed
from soundshelf.ports.clock import Clock, iso
from soundshelf.ports.jobs import JobQueue
from soundshelf.ports.table import (
    Delete,
    ItemAbsent,
    ItemPresent,
    Key,
    Put,
    Table,
    TransactionFailed,
    WriteOp,
)
from soundshelf.social.friends import Friends
from soundshelf.social.notifications import (
    ATTEMPTS,
    FEED_BACKFILL,
    Notifications,
)

log = logging.getLogger("soundshelf.friends")

DIRECTIONS = ("incoming", "outgoing")


class AlreadyFriends(Conflict):
    code = "already_friends"


def request_key(request_id: str) -> Key:
    return f"FRIENDREQ#{request_id}", "FRIENDREQ"


def pair_key(from_id: str, to_id: str) -> Key:
    return f"FRIENDPAIR#{from_id}#{to_id}", "PAIR"


def incoming_pk(user_id: str) -> str:
    return f"USER#{user_id}#FRIENDREQS#IN"


def outgoing_pk(user_id: str) -> str:
    return f"USER#{user_id}#FRIENDREQS#OUT"


class FriendRequests:
    def __init__(
        self,
        *,
        table: Table,
        clock: Clock,
        jobs: JobQueue,
        accounts: Accounts,
        friends: Friends,
        notifications: Notifications,
    ) -> None:
        self.table = table
        self.clock = clock
        self.jobs = jobs
        self.accounts = accounts
        self.friends = friends
        self.notifications = notifications

    # --- requests --------------------------------------------------------------------------

    def send(self, viewer: Principal, username: str) -> tuple[dict[str, Any], bool]:
        """Ask ``username`` to be friends: (the request's view, whether it is new). A
        pending request the other way is accepted instead; asking twice answers the
        pending request."""
        target = self._user(username)
        target_id = target["userId"]
        if target_id == viewer.user_id:
            raise ValidationFailed("You cannot send a friend request to yourself")
        if self.friends.are_friends(viewer.user_id, target_id):
            raise AlreadyFriends("You are already friends")
        reverse = self.table.get(*pair_key(target_id, viewer.user_id))
        if reverse is not None:
            return self.accept(viewer, reverse["requestId"]), False
        request = self._new_request(viewer, target)
        try:
            self.table.transact(
                [
                    Put(request, condition=ItemAbsent()),
                    Put(
                        {
                            "PK": pair_key(viewer.user_id, target_id)[0],
                            "SK": pair_key(viewer.user_id, target_id)[1],
                            "requestId": request["requestId"],
                        },
                        condition=ItemAbsent(),
                    ),
                    *self.notifications.notification_ops(
                        target_id,
                        "friend_request",
                        request["requestId"],
                        {"requestId": request["requestId"], "from": viewer.username},
                    ),
                ]
            )
        except TransactionFailed as exc:
            if 1 not in exc.failed_indexes:
                raise
            return self._pending(viewer, target_id), False
        return _view(request, viewer, "pending"), True

    def _new_request(self, viewer: Principal, target: dict[str, Any]) -> dict[str, Any]:
        request_id = str(ULID())
        now = self.clock.now()
        order = f"{iso(now)}#{request_id}"
        return {
            "PK": request_key(request_id)[0],
            "SK": request_key(request_id)[1],
            "requestId": request_id,
            "fromId": viewer.user_id,
            "fromName": viewer.username,
            "toId": target["userId"],
            "toName": target["username"],
            "createdAt": now,
            "GSI1PK": incoming_pk(target["userId"]),
            "GSI1SK": order,
            "GSI2PK": outgoing_pk(viewer.user_id),
            "GSI2SK": order,
        }

    def _pending(self, viewer: Principal, target_id: str) -> dict[str, Any]:
        """The request already pending from the viewer to the target."""
        pair = self.table.get(*pair_key(viewer.user_id, target_id))
        request = self.table.get(*request_key(pair["requestId"])) if pair else None
        if request is None:  # answered in between: let the client ask again
            raise Conflict("That friend request was just answered; try again")
        return _view(request, viewer, "pending")

    def list(
        self, viewer: Principal, *, direction: str | None, limit: int, cursor: str | None
    ) -> dict[str, tuple[list[dict[str, Any]], str | None]]:
        """Pending requests newest first, incoming and outgoing. ``cursor`` continues
        the list named by ``direction``."""
        if direction is not None and direction not in DIRECTIONS:
            raise ValidationFailed("direction is incoming or outgoing")
        if cursor is not None and direction is None:
            raise ValidationFailed("A cursor continues one list: say which with direction")
        lists: dict[str, tuple[list[dict[str, Any]], str | None]] = {}
        for name, index, pk in (
            ("incoming", "GSI1", incoming_pk(viewer.user_id)),
            ("outgoing", "GSI2", outgoing_pk(viewer.user_id)),
        ):
            if direction not in (None, name):
                lists[name] = ([], None)
                continue
            page = self.table.query(pk, index=index, forward=False, limit=limit, cursor=cursor)
            lists[name] = ([_view(r, viewer, "pending") for r in page.items], page.next_cursor)
        return lists

    def accept(self, viewer: Principal, request_id: str) -> dict[str, Any]:
        request = self._request_to(viewer, request_id)
        self._close(
            request,
            also=lambda: self.notifications.notification_ops(
                request["fromId"],
                "friend_accepted",
                request_id,
                {"requestId": request_id, "by": viewer.username},
            ),
        )
        self.friends.befriend(request["fromId"], request["toId"])
        self._close_reverse(request)
        self._enqueue_backfill(request["fromId"], request["toId"])
        return _view(request, viewer, "accepted")

    def decline(self, viewer: Principal, request_id: str) -> None:
        """The addressee says no; the sender is not told (they may ask again)."""
        self._close(self._request_to(viewer, request_id))

    def cancel(self, viewer: Principal, request_id: str) -> None:
        """The sender takes the request back."""
        request = self.table.get(*request_key(request_id))
        if request is None or request["fromId"] != viewer.user_id:
            raise NotFound("No such friend request")
        self._close(request)

    def _request_to(self, viewer: Principal, request_id: str) -> dict[str, Any]:
        request = self.table.get(*request_key(request_id))
        if request is None or request["toId"] != viewer.user_id:
            raise NotFound("No such friend request")
        return request

    def _close(
        self, request: dict[str, Any], *, also: Callable[[], list[WriteOp]] | None = None
    ) -> None:
        """Delete the request (the conditional delete decides who won), its pair item and
        the addressee's notification, plus ``also``."""
        request_id = request["requestId"]
        for attempt in range(ATTEMPTS):
            ops: list[WriteOp] = [
                Delete(*request_key(request_id), condition=ItemPresent()),
                Delete(*pair_key(request["fromId"], request["toId"])),
                *self.notifications.retraction_ops(request["toId"], "friend_request", request_id),
                *(also() if also else []),
            ]
            try:
                self.table.transact(ops)
                return
            except TransactionFailed as exc:
                if 0 in exc.failed_indexes:
                    raise NotFound("No such friend request") from None
                if attempt == ATTEMPTS - 1:
                    raise
                # The notification was read meanwhile: rebuild from a fresh read.

    def _close_reverse(self, request: dict[str, Any]) -> None:
        """Both asked at once: the other request is answered by this friendship."""
        reverse = self.table.get(*pair_key(request["toId"], request["fromId"]))
        other = self.table.get(*request_key(reverse["requestId"])) if reverse else None
        if other is not None:
            try:
                self._close(other)
            except NotFound:
                pass  # closed by someone else meanwhile

    def _enqueue_backfill(self, user_id: str, friend_id: str) -> None:
        try:
            self.jobs.enqueue(FEED_BACKFILL, {"userId": user_id, "friendId": friend_id})
        except Exception:
            # The friendship stands; only the feed's older photos would be missing.
            log.exception("could not queue the feed backfill")

    # --- friends ---------------------------------------------------------------------------

    def friends_of(
        self, viewer: Principal, *, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        page = self.table.query(
            f"USER#{viewer.user_id}", begins_with="FRIEND#", limit=limit, cursor=cursor
        )
        profiles = {
            p["userId"]: p
            for p in self.table.batch_get([profile_key(e["friendId"]) for e in page.items])
        }
        items = []
        for edge in page.items:
            profile = profiles.get(edge["friendId"])
            if profile is None:
                continue  # an account deleted since
            items.append(
                {
                    "username": profile["username"],
                    "displayName": profile.get("displayName") or profile["username"],
                    "since": iso(edge["since"]),
                }
            )
        return items, page.next_cursor

    def unfriend(self, viewer: Principal, username: str) -> None:
        """Both directions go at once: friends-only items disappear for both."""
        other = self._user(username)
        if not self.friends.are_friends(viewer.user_id, other["userId"]):
            raise NotFound("You are not friends with that user")
        self.friends.unfriend(viewer.user_id, other["userId"])

    def _user(self, username: str) -> dict[str, Any]:
        profile = self.accounts.find_by_username(username)
        if profile is None or profile.get("disabled"):
            raise NotFound("No such user")
        return profile


def _view(request: dict[str, Any], viewer: Principal, status: str) -> dict[str, Any]:
    return {
        "requestId": request["requestId"],
        "from": request["fromName"],
        "to": request["toName"],
        "direction": "incoming" if request["toId"] == viewer.user_id else "outgoing",
        "status": status,
        "createdAt": iso(request["createdAt"]),
    }
