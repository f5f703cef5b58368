"""Notifications, and the queue jobs that fan them out (with the friends' photo feed).

What notifies whom:
- ``friend_request`` / ``friend_accepted``: one person, written in the same transaction
  as the request change (``notification_ops``);
- ``new_track``: a public track, to every follower of its artist;
- ``new_photo``: a friends-visible or public photo, to every friend of its owner (who
  also get it in their friends' feed, ``GET /photos?owner=friends``);
- ``share``: something shared with a user (``notify``, for the share-link feature).

Fan-out never runs on the request path: ``item_published`` only enqueues a ``fan_out``
job. The job reads one page of the audience, writes that page's notifications in
transactions of ``DELIVERY_BATCH``, and re-enqueues itself with the next cursor, so a job
stays short however big the audience is.

Every write is idempotent. A notification's key is (recipient, kind, source item), and it
is put with ``ItemAbsent`` together with the ``ADD 1`` on the recipient's unread counter,
so a retried job, a re-published item or a duplicate job chain never notifies twice nor
counts twice. Marking read removes the item from the sparse ``UNREAD`` index and
subtracts from the counter in the same transaction, conditioned on it being unread.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

from ulid import ULID

from soundshelf.core.users import Principal
from soundshelf.ports.clock import Clock, iso
from soundshelf.ports.jobs import JobQueue
from soundshelf.ports.table import (
    AttributeAbsent,
    Delete,
    Item,
    ItemAbsent,
    ItemPresent,
    Key,
    Put,
    Table,
    TransactionFailed,
    Update,
    WriteOp,
)
from soundshelf.social.friends import Friends

log = logging.getLogger("soundshelf.notifications")

KINDS = (
    "friend_request",
    "friend_accepted",
    "new_track",
    "new_photo",
    "share",
    "takedown",
    "restored",
)
FAN_OUT = "fan_out"
FEED_BACKFILL = "feed_backfill"
READ_ALL = "notifications_read_all"

FAN_OUT_PAGE = 100  # recipients per fan_out job
DELIVERY_BATCH = 50  # recipients per transaction: a put and a counter update each (100 ops)
READ_BATCH = 99  # notifications marked read per transaction, plus the counter update
FEED_BATCH = 100  # feed entries per transaction
BACKFILL_PHOTOS = 100  # a new friend's latest photos copied into the feed
READ_ALL_INLINE_BATCHES = 10  # "mark all read" in the request up to ~1,000, then a job
READ_ALL_JOB_BATCHES = 50
ATTEMPTS = 3  # transactions that lost a race are rebuilt from a fresh read this often

NEW_ITEM_KINDS = {"track": "new_track", "photo": "new_photo"}
ITEM_KEYS = {"track": ("TRACK#{}", "TRACK"), "photo": ("PHOTO#{}", "PHOTO")}

T = TypeVar("T")


# --- keys ----------------------------------------------------------------------------------


def notification_id(kind: str, source_id: str) -> str:
    return f"{kind}:{source_id}"


def notifications_pk(user_id: str) -> str:
    return f"USER#{user_id}#NOTIFS"


def notification_key(user_id: str, notification: str) -> Key:
    return notifications_pk(user_id), notification


def unread_index_pk(user_id: str) -> str:
    return f"USER#{user_id}#UNREAD"


def unread_key(user_id: str) -> Key:
    """The per-user item holding the unread counter."""
    return f"USER#{user_id}", "NOTIFSTATE"


def friend_feed_pk(viewer_id: str) -> str:
    return f"USER#{viewer_id}#FRIENDFEED"


def friend_feed_entry(viewer_id: str, photo: Mapping[str, Any]) -> Item:
    """A pointer to a friend's photo, sorted like the owner's gallery (taken date)."""
    return {
        "PK": friend_feed_pk(viewer_id),
        "SK": photo["GSI1SK"],
        "photoId": photo["photoId"],
        "ownerId": photo["ownerId"],
        # Every pointer to one photo, so deleting its owner's account finds them all.
        "GSI1PK": f"PHOTO#{photo['photoId']}#FEEDS",
        "GSI1SK": viewer_id,
    }


def _order(ts: float) -> str:
    """A sort-key prefix that orders like the timestamp (milliseconds, zero-padded)."""
    return f"{int(ts * 1000):015d}"


def announceable(kind: str, item: Mapping[str, Any]) -> bool:
    """Whether the item's audience should hear of it: public tracks (followers), photos
    friends may see (friends)."""
    if item.get("takenDown"):
        return False
    visibility = item.get("visibility")
    if kind == "track":
        return visibility == "public"
    if kind == "photo":
        return visibility in ("friends", "public")
    return False


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def put_all(table: Table, items: Sequence[Item]) -> None:
    """Idempotent plain puts, batched (the Table port's batch write is ``transact``)."""
    for chunk in chunks(items, FEED_BATCH):
        table.transact([Put(item) for item in chunk])


# --- the service ---------------------------------------------------------------------------


class Notifications:
    def __init__(self, *, table: Table, jobs: JobQueue, clock: Clock) -> None:
        self.table = table
        self.jobs = jobs
        self.clock = clock

    # --- writing ---------------------------------------------------------------------------

    def notify(
        self,
        user_id: str,
        kind: str,
        data: Mapping[str, Any],
        *,
        source_id: str | None = None,
    ) -> bool:
        """Notify one user now; True when it is new. With the same ``source_id`` a second
        call is a no-op (retries are safe); without one each call is a new notification."""
        return (
            self.deliver(
                [user_id],
                kind=kind,
                source_id=source_id or str(ULID()),
                data=data,
                at=self.clock.now(),
            )
            == 1
        )

    def notification_ops(
        self, user_id: str, kind: str, source_id: str, data: Mapping[str, Any]
    ) -> list[WriteOp]:
        """The writes of one new notification, for a caller's own transaction (which then
        fails if that notification already exists)."""
        item = self._notification(user_id, kind, source_id, data, self.clock.now())
        return [Put(item, condition=ItemAbsent()), Update(*unread_key(user_id), add={"unread": 1})]

    def retraction_ops(self, user_id: str, kind: str, source_id: str) -> list[WriteOp]:
        """The writes that remove a notification that no longer applies (a cancelled
        friend request), keeping the unread count right. Conditioned on the state read
        here, so a concurrent mark-read fails the caller's transaction instead of
        skewing the count."""
        key = notification_key(user_id, notification_id(kind, source_id))
        current = self.table.get(*key)
        if current is None:
            return []
        if "readAt" in current:
            return [Delete(*key)]
        return [
            Delete(*key, condition=[ItemPresent(), AttributeAbsent("readAt")]),
            Update(*unread_key(user_id), add={"unread": -1}),
        ]

    def deliver(
        self,
        recipients: Sequence[str],
        *,
        kind: str,
        source_id: str,
        data: Mapping[str, Any],
        at: float,
    ) -> int:
        """Notify many users of one thing; returns how many notifications were new."""
        if kind not in KINDS:
            raise ValueError(f"unknown notification kind {kind!r}")
        unique = list(dict.fromkeys(recipients))
        return sum(
            self._deliver_batch(batch, kind, source_id, data, at)
            for batch in chunks(unique, DELIVERY_BATCH)
        )

    def _deliver_batch(
        self, recipients: list[str], kind: str, source_id: str, data: Mapping[str, Any], at: float
    ) -> int:
        nid = notification_id(kind, source_id)
        for attempt in range(ATTEMPTS):
            # Skip the ones a previous delivery of this job wrote: one conditional put
            # failing would cancel the whole batch.
            existing = {
                item["PK"]
                for item in self.table.batch_get([notification_key(r, nid) for r in recipients])
            }
            new = [r for r in recipients if notifications_pk(r) not in existing]
            ops: list[WriteOp] = []
            for recipient in new:
                item = self._notification(recipient, kind, source_id, data, at)
                ops.append(Put(item, condition=ItemAbsent()))
                ops.append(Update(*unread_key(recipient), add={"unread": 1}))
            try:
                self.table.transact(ops)
            except TransactionFailed:
                if attempt == ATTEMPTS - 1:
                    raise
                continue  # another delivery wrote some meanwhile: look again
            return len(new)
        return 0  # pragma: no cover - the loop returns or raises

    @staticmethod
    def _notification(
        user_id: str, kind: str, source_id: str, data: Mapping[str, Any], at: float
    ) -> Item:
        nid = notification_id(kind, source_id)
        order = f"{_order(at)}#{nid}"
        return {
            "PK": notifications_pk(user_id),
            "SK": nid,
            "notificationId": nid,
            "kind": kind,
            "data": dict(data),
            "createdAt": at,
            # Newest first for the list; the sparse UNREAD index for "mark all read".
            "GSI1PK": notifications_pk(user_id),
            "GSI1SK": order,
            "GSI2PK": unread_index_pk(user_id),
            "GSI2SK": order,
        }

    # --- publishing ------------------------------------------------------------------------

    def item_published(self, kind: str, item: Mapping[str, Any]) -> str | None:
        """Call after a track or photo became ready or visible: queues its fan-out (the
        caller never waits for it). Returns the job id, or None when nobody is told."""
        if kind not in NEW_ITEM_KINDS or not announceable(kind, item):
            return None
        payload = {"kind": kind, "itemId": item[f"{kind}Id"], "at": self.clock.now()}
        try:
            return self.jobs.enqueue(FAN_OUT, payload)
        except Exception:
            # The item is saved and published; failing that request over a notification
            # would be worse than the missed notification.
            log.exception("could not queue a fan-out", extra=payload)
            return None

    # --- reading ---------------------------------------------------------------------------

    def list(
        self, viewer: Principal, *, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None, int]:
        """(notifications newest first, next cursor, unread count)."""
        page = self.table.query(
            notifications_pk(viewer.user_id),
            index="GSI1",
            forward=False,
            limit=limit,
            cursor=cursor,
        )
        return [_view(n) for n in page.items], page.next_cursor, self.unread_count(viewer.user_id)

    def unread_count(self, user_id: str) -> int:
        state = self.table.get(*unread_key(user_id))
        return max(0, int(state.get("unread", 0))) if state else 0

    def mark_read(self, viewer: Principal, ids: Sequence[str] | None = None) -> int:
        """Mark some (``ids``) or all of the viewer's notifications read; returns the
        unread count after. Unknown or already read ids are ignored."""
        user_id = viewer.user_id
        if ids is None:
            before = f"{_order(self.clock.now())}#~"
            if self.mark_all_read(user_id, before=before, max_batches=READ_ALL_INLINE_BATCHES):
                self.jobs.enqueue(READ_ALL, {"userId": user_id, "before": before})
        else:
            keys = [notification_key(user_id, i) for i in dict.fromkeys(ids)]
            for batch in chunks(keys, READ_BATCH):
                self._mark(user_id, batch)
        return self.unread_count(user_id)

    def mark_all_read(self, user_id: str, *, before: str, max_batches: int) -> bool:
        """Mark read what was unread up to ``before``; True when some may remain."""
        for _ in range(max_batches):
            page = self.table.query(
                unread_index_pk(user_id), index="GSI2", between=("0", before), limit=READ_BATCH
            )
            if not page.items:
                return False
            self._mark(user_id, [(n["PK"], n["SK"]) for n in page.items])
        return True

    def _mark(self, user_id: str, keys: Sequence[Key]) -> None:
        for attempt in range(ATTEMPTS):
            # Strongly consistent re-read: the UNREAD index may lag behind on DynamoDB.
            unread = [n for n in self.table.batch_get(keys) if "readAt" not in n]
            if not unread:
                return
            now = self.clock.now()
            ops: list[WriteOp] = [
                Update(
                    n["PK"],
                    n["SK"],
                    set={"readAt": now},
                    remove=["GSI2PK", "GSI2SK"],
                    condition=[ItemPresent(), AttributeAbsent("readAt")],
                )
                for n in unread
            ]
            ops.append(Update(*unread_key(user_id), add={"unread": -len(unread)}))
            try:
                self.table.transact(ops)
                return
            except TransactionFailed:
                if attempt == ATTEMPTS - 1:
                    raise


def _view(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "notificationId": item["notificationId"],
        "kind": item["kind"],
        "data": item.get("data", {}),
        "read": "readAt" in item,
        "createdAt": iso(item["createdAt"]),
    }


# --- queue jobs ----------------------------------------------------------------------------


class FanOutJob:
    """``fan_out``: tell one page of an item's audience, then queue the next page."""

    def __init__(
        self,
        *,
        table: Table,
        jobs: JobQueue,
        notifications: Notifications,
        page_size: int = FAN_OUT_PAGE,
    ) -> None:
        self.table = table
        self.jobs = jobs
        self.notifications = notifications
        self.page_size = page_size

    def handle(self, payload: dict[str, Any]) -> None:
        kind, item_id = payload["kind"], payload["itemId"]
        pk, sk = ITEM_KEYS[kind]
        item = self.table.get(pk.format(item_id), sk)
        if item is None or not announceable(kind, item):
            return  # deleted or unpublished since: the rest of the audience is not told
        recipients, cursor = self._audience(kind, item["ownerId"], payload.get("cursor"))
        self.notifications.deliver(
            recipients,
            kind=NEW_ITEM_KINDS[kind],
            source_id=item_id,
            data=_summary(kind, item),
            at=payload["at"],
        )
        if kind == "photo":
            put_all(self.table, [friend_feed_entry(r, item) for r in recipients])
        if cursor is not None:
            self.jobs.enqueue(FAN_OUT, {**payload, "cursor": cursor})

    def give_up(self, payload: dict[str, Any], error: str) -> None:
        # Nothing to undo: what was delivered stays, the rest of this audience is missed.
        log.warning("fan-out abandoned", extra={"payload": payload, "error": error})

    def _audience(
        self, kind: str, owner_id: str, cursor: str | None
    ) -> tuple[list[str], str | None]:
        if kind == "track":  # followers of the artist, via the follow edges' GSI1
            page = self.table.query(
                f"ARTIST#{owner_id}#FOLLOWERS", index="GSI1", limit=self.page_size, cursor=cursor
            )
            return [edge["GSI1SK"] for edge in page.items], page.next_cursor
        page = self.table.query(
            f"USER#{owner_id}", begins_with="FRIEND#", limit=self.page_size, cursor=cursor
        )
        return [edge["friendId"] for edge in page.items], page.next_cursor


def _summary(kind: str, item: Mapping[str, Any]) -> dict[str, Any]:
    """What a notification shows without another read (a snapshot at publish time)."""
    owner = item.get("ownerName", "")
    if kind == "track":
        return {
            "trackId": item["trackId"],
            "title": item.get("title", ""),
            "artist": item.get("artist") or owner,
            "owner": owner,
        }
    return {"photoId": item["photoId"], "caption": item.get("caption", ""), "owner": owner}


class FeedBackfillJob:
    """``feed_backfill``: two new friends get each other's latest photos in their
    friends' feeds (older ones stay reachable through ``?owner=<username>``)."""

    def __init__(self, *, table: Table, friends: Friends) -> None:
        self.table = table
        self.friends = friends

    def handle(self, payload: dict[str, Any]) -> None:
        a, b = payload["userId"], payload["friendId"]
        if not self.friends.are_friends(a, b):
            return  # unfriended before the job ran
        for viewer, owner in ((a, b), (b, a)):
            photos = self.table.query(
                f"USER#{owner}#PHOTOS", index="GSI1", forward=False, limit=BACKFILL_PHOTOS
            ).items
            entries = [friend_feed_entry(viewer, p) for p in photos if announceable("photo", p)]
            put_all(self.table, entries)

    def give_up(self, payload: dict[str, Any], error: str) -> None:
        log.warning("feed backfill abandoned", extra={"payload": payload, "error": error})


class ReadAllJob:
    """``notifications_read_all``: the rest of a big "mark all read", in steps."""

    def __init__(self, *, jobs: JobQueue, notifications: Notifications) -> None:
        self.jobs = jobs
        self.notifications = notifications

    def handle(self, payload: dict[str, Any]) -> None:
        more = self.notifications.mark_all_read(
            payload["userId"], before=payload["before"], max_batches=READ_ALL_JOB_BATCHES
        )
        if more:
            self.jobs.enqueue(READ_ALL, payload)

    def give_up(self, payload: dict[str, Any], error: str) -> None:
        log.warning("mark-all-read abandoned", extra={"payload": payload, "error": error})
