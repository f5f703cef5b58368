"""Account deletion: the ``delete_user`` job removes everything an account owns.

The admin route only disables the account (tokens, API keys and share links stop at
once) and queues this job. Each run does at most ``PAGES_PER_RUN`` pages of work, then
queues itself again with the step it reached, so no run is long whatever the account
holds. Every step reads one page of what is left and deletes it, so a step needs no
cursor: a repeated or crashed run simply finds less. Counter changes (likes, followers,
storage, platform totals) are made in the same transaction as the edge or item they
count, conditioned on it still existing, so a repeated run never counts twice.

Items go through their services' own ``delete`` (as their owner), which keeps album
entries, tag items, hash entries, counters, search entries and blobs right. What only
this job removes: stats and listener items of their tracks, their listens of others'
tracks, friends' feed pointers to their photos, likes/follows/friendships in both
directions, requests, notifications, history, reports, API keys, leftover blobs, and
finally the profile, the email reservation and the identity-provider user.

The username stays reserved (a tombstone without the user id) for ``USERNAME_HOLD``:
refresh tokens of the embedded identity provider name the user by username, so a new
account under the same name must not appear while old refresh tokens could still be
presented. The ``release_username`` job frees it afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from itertools import islice
from typing import Any

from soundshelf.catalog.albums import Albums
from soundshelf.catalog.tracks import Tracks, track_key
from soundshelf.core import audit
from soundshelf.core.audit import AuditRecorder
from soundshelf.core.stats import counter_update
from soundshelf.core.users import Principal, email_key, principal_of, profile_key, username_key
from soundshelf.errors import NotFound
from soundshelf.events import ChangeEvents
from soundshelf.files.service import Files
from soundshelf.moderation.admin import DELETE_USER
from soundshelf.moderation.reports import Reports
from soundshelf.photos.service import Photos
from soundshelf.playlists import Playlists
from soundshelf.ports.blobs import BlobStore
from soundshelf.ports.clock import Clock
from soundshelf.ports.identity import IdentityProvider
from soundshelf.ports.jobs import JobQueue
from soundshelf.ports.table import (
    AttributeEquals,
    ConditionFailed,
    Delete,
    Item,
    ItemPresent,
    Key,
    Put,
    Table,
    TransactionFailed,
    Update,
    WriteOp,
)
from soundshelf.social.friends import Friends
from soundshelf.social.notifications import friend_feed_pk, notifications_pk
from soundshelf.social.requests import FriendRequests, incoming_pk, outgoing_pk

log = logging.getLogger("soundshelf.deletion")

RELEASE_USERNAME = "release_username"
USERNAME_HOLD = 30 * 24 * 3600  # the embedded provider's refresh token lifetime
PAGES_PER_RUN = 50
PAGE = 50  # items per step page (two operations each fit one transaction)
BLOB_PAGE = 200
BLOB_PREFIXES = ("originals", "derived", "exports")

Step = Callable[[Item], int]  # one page of work on the profile's account; 0 = step done


def listens_pk(user_id: str) -> str:
    """GSI2 of the listener items (``STATS#TRACK#{id}#LISTENER`` / user): one user's."""
    return f"USER#{user_id}#LISTENS"


def feed_pointers_pk(photo_id: str) -> str:
    """GSI1 of friends' feed pointers: every pointer to one photo."""
    return f"PHOTO#{photo_id}#FEEDS"


class DeleteUserJob:
    def __init__(
        self,
        *,
        table: Table,
        blobs: BlobStore,
        identity: IdentityProvider,
        jobs: JobQueue,
        clock: Clock,
        tracks: Tracks,
        albums: Albums,
        playlists: Playlists,
        photos: Photos,
        files: Files,
        friends: Friends,
        friend_requests: FriendRequests,
        reports: Reports,
        audit_log: AuditRecorder,
        events: ChangeEvents,
    ) -> None:
        self.table = table
        self.blobs = blobs
        self.identity = identity
        self.jobs = jobs
        self.clock = clock
        self.tracks = tracks
        self.albums = albums
        self.playlists = playlists
        self.photos = photos
        self.files = files
        self.friends = friends
        self.friend_requests = friend_requests
        self.reports = reports
        self.audit = audit_log
        self.events = events  # item_changed("artist") once the profile is gone
        # In order: what points at items goes before the items; the profile goes last
        # (item deletes ADD to its counters, conditioned on it existing).
        self.steps: list[tuple[str, Step]] = [
            ("uploads", self._uploads),
            ("shares", self._shares),
            ("requests_in", self._requests_in),
            ("requests_out", self._requests_out),
            ("friends", self._friends),
            ("follows", self._follows),
            ("followers", self._followers),
            ("likes", self._likes),
            ("listens", self._listens),
            ("history", self._history),
            ("notifications", self._notifications),
            ("reports_made", self._reports_made),
            ("reports_against", self._reports_against),
            ("tracks", self._tracks),
            ("albums", self._albums),
            ("playlists", self._playlists),
            ("photos", self._photos),
            ("files", self._files),
            ("api_keys", self._api_keys),
            ("blobs", self._blobs),
            ("partition", self._partition),
        ]

    # --- the job ---------------------------------------------------------------------------

    def handle(self, payload: dict[str, Any]) -> None:
        profile = self.table.get(*profile_key(payload["userId"]))
        if profile is None or not profile.get("deleting"):
            return  # finished by an earlier delivery (or never asked for)
        names = [name for name, _ in self.steps]
        index = names.index(payload["step"]) if payload.get("step") in names else 0
        pages = 0
        while index < len(self.steps):
            name, step = self.steps[index]
            if step(profile) == 0:
                index += 1
                continue
            pages += 1
            if pages >= PAGES_PER_RUN:
                self.jobs.enqueue(DELETE_USER, {"userId": profile["userId"], "step": name})
                return
        self._finish(profile)

    def give_up(self, payload: dict[str, Any], error: str) -> None:
        # The account stays disabled and marked "deleting"; asking again re-queues it.
        log.error("account deletion abandoned", extra={"payload": payload, "error": error})

    # --- steps -----------------------------------------------------------------------------

    def _uploads(self, profile: Item) -> int:
        page = self._gsi(f"USER#{profile['userId']}#UPLOADS", "GSI1")
        for upload in page:
            if upload.get("multipartId") and upload["status"] == "pending":
                try:
                    self.blobs.abort_multipart(upload["blobKey"], upload["multipartId"])
                except Exception:  # already completed or aborted: the blob sweep follows
                    log.info("multipart abort failed", extra={"uploadId": upload["uploadId"]})
        self._delete_all(page)
        return len(page)

    def _shares(self, profile: Item) -> int:
        page = self._gsi(f"USER#{profile['userId']}#SHARES", "GSI1")
        ops: list[WriteOp] = []
        for share in page:
            ops += [Delete(share["PK"], share["SK"]), Delete(share["tokenKey"], "SHARETOKEN")]
        self._transact_in_chunks(ops)
        return len(page)

    def _requests_in(self, profile: Item) -> int:
        page = self._gsi(incoming_pk(profile["userId"]), "GSI1")
        for request in page:
            _ignore_missing(self.friend_requests.decline, _as_owner(profile), request["requestId"])
        return len(page)

    def _requests_out(self, profile: Item) -> int:
        page = self._gsi(outgoing_pk(profile["userId"]), "GSI2")
        for request in page:
            _ignore_missing(self.friend_requests.cancel, _as_owner(profile), request["requestId"])
        return len(page)

    def _friends(self, profile: Item) -> int:
        page = self._edges(profile, "FRIEND#")
        for edge in page:
            self.friends.unfriend(profile["userId"], edge["friendId"])
        return len(page)

    def _follows(self, profile: Item) -> int:
        page = self._edges(profile, "FOLLOWS#")
        for edge in page:
            counter = Update(*profile_key(edge["artistId"]), add={"followerCount": -1})
            self._delete_counted(edge, counter)
        return len(page)

    def _followers(self, profile: Item) -> int:
        page = self._gsi(f"ARTIST#{profile['userId']}#FOLLOWERS", "GSI1")
        self._delete_all(page)  # their follow edges; the deleted artist's count goes too
        return len(page)

    def _likes(self, profile: Item) -> int:
        page = self._edges(profile, "LIKE#TRACK#")
        for edge in page:
            self._delete_counted(edge, Update(*track_key(edge["trackId"]), add={"likeCount": -1}))
        return len(page)

    def _listens(self, profile: Item) -> int:
        page = self._gsi(listens_pk(profile["userId"]), "GSI2")
        self._delete_all(page)
        return len(page)

    def _history(self, profile: Item) -> int:
        """History entries, and the listener item of each track in it (listener items
        written before they had the LISTENS index are found this way)."""
        user_id = profile["userId"]
        page = self.table.query(f"USER#{user_id}#HISTORY", limit=PAGE).items
        keys: dict[Key, None] = {(e["PK"], e["SK"]): None for e in page}
        keys |= {(f"STATS#TRACK#{e['trackId']}#LISTENER", user_id): None for e in page}
        self._transact_in_chunks([Delete(*key) for key in keys])
        return len(page)

    def _notifications(self, profile: Item) -> int:
        user_id = profile["userId"]
        page = self.table.query(notifications_pk(user_id), limit=PAGE).items
        page += self.table.query(friend_feed_pk(user_id), limit=PAGE).items
        self._delete_all(page)
        return len(page)

    def _reports_made(self, profile: Item) -> int:
        return self.reports.forget_reporter(profile["userId"], limit=PAGE)

    def _reports_against(self, profile: Item) -> int:
        return self.reports.forget_target_page(profile["userId"], limit=PAGE)

    def _tracks(self, profile: Item) -> int:
        """One track at a time: its listener items, its daily stats, then the track."""
        track = self._first(f"USER#{profile['userId']}#TRACKS")
        if track is None:
            return 0
        track_id = track["trackId"]
        for pk in (f"STATS#TRACK#{track_id}#LISTENER", f"STATS#TRACK#{track_id}"):
            stats = self.table.query(pk, limit=PAGE).items
            if stats:
                self._delete_all(stats)
                return len(stats)
        _ignore_missing(self.tracks.delete, _as_owner(profile), track_id)
        return 1

    def _albums(self, profile: Item) -> int:
        page = self._gsi(f"USER#{profile['userId']}#ALBUMS", "GSI1", limit=10)
        for album in page:
            _ignore_missing(self.albums.delete, _as_owner(profile), album["albumId"])
        return len(page)

    def _playlists(self, profile: Item) -> int:
        page = self._gsi(f"USER#{profile['userId']}#PLAYLISTS", "GSI1", limit=10)
        for header in page:
            _ignore_missing(self.playlists.delete, _as_owner(profile), header["playlistId"])
        return len(page)

    def _photos(self, profile: Item) -> int:
        """One photo at a time: the feed pointers friends have to it, then the photo."""
        photo = self._first(f"USER#{profile['userId']}#PHOTOS")
        if photo is None:
            return 0
        pointers = self._gsi(feed_pointers_pk(photo["photoId"]), "GSI1")
        if pointers:
            self._delete_all(pointers)
            return len(pointers)
        _ignore_missing(self.photos.delete, _as_owner(profile), photo["photoId"])
        return 1

    def _files(self, profile: Item) -> int:
        page = self._gsi(f"USER#{profile['userId']}#FILES", "GSI1", limit=10)
        for item in page:
            _ignore_missing(self.files.delete, _as_owner(profile), item["fileId"])
        return len(page)

    def _api_keys(self, profile: Item) -> int:
        page = self._gsi(f"USER#{profile['userId']}#APIKEYS", "GSI1")
        self._delete_all(page)
        return len(page)

    def _blobs(self, profile: Item) -> int:
        """Whatever bytes are left under the user's prefixes (pending uploads, exports,
        derivatives of an upload processed while the account was being deleted)."""
        keys: list[str] = []
        for prefix in BLOB_PREFIXES:
            keys += islice(self.blobs.list(f"{prefix}/{profile['userId']}/"), BLOB_PAGE)
        for key in keys:
            self.blobs.delete(key)
        return len(keys)

    def _partition(self, profile: Item) -> int:
        """Anything else kept under ``USER#{id}`` (unread counter, export record...)."""
        page = self.table.query(f"USER#{profile['userId']}", limit=PAGE).items
        rest = [item for item in page if item["SK"] != "PROFILE"]
        self._delete_all(rest)
        return len(rest)

    # --- the end ----------------------------------------------------------------------------

    def _finish(self, profile: Item) -> None:
        user_id, username = profile["userId"], profile["username"]
        if self.identity.admin_get_user(username=username) is not None:
            self.identity.admin_delete_user(username=username)
        release_at = self.clock.now() + USERNAME_HOLD
        tombstone = {
            "PK": username_key(username)[0],
            "SK": username_key(username)[1],
            "deleted": True,
            "releaseAt": release_at,
            "expiresAt": int(release_at),  # DynamoDB's TTL frees it too
        }
        try:
            self.table.transact(
                [
                    Delete(*profile_key(user_id), condition=AttributeEquals("deleting", True)),
                    Delete(*email_key(profile["email"])),
                    Put(tombstone),
                    counter_update({"users": -1}),
                ]
            )
        except TransactionFailed:
            return  # another delivery finished first
        self.events.item_changed("artist", user_id)
        self.audit.record(
            audit.ACCOUNT_DELETED,
            target_type="user",
            target_id=user_id,
            details={"username": username},
        )
        self.jobs.enqueue(RELEASE_USERNAME, {"username": username}, delay=USERNAME_HOLD)

    # --- helpers -----------------------------------------------------------------------------

    def _gsi(self, pk: str, index: str, *, limit: int = PAGE) -> list[Item]:
        return self.table.query(pk, index=index, limit=limit).items

    def _first(self, pk: str) -> Item | None:
        page = self._gsi(pk, "GSI1", limit=1)
        return page[0] if page else None

    def _edges(self, profile: Item, prefix: str) -> list[Item]:
        return self.table.query(f"USER#{profile['userId']}", begins_with=prefix, limit=PAGE).items

    def _delete_all(self, items: Iterable[Item]) -> None:
        keys = dict.fromkeys((item["PK"], item["SK"]) for item in items)
        self._transact_in_chunks([Delete(*key) for key in keys])

    def _transact_in_chunks(self, ops: list[WriteOp]) -> None:
        for start in range(0, len(ops), 100):
            self.table.transact(ops[start : start + 100])

    def _delete_counted(self, edge: Item, counter: Update) -> None:
        """Delete an edge and take it off its counter, once: if the counted item is gone,
        only the edge is deleted."""
        try:
            self.table.transact(
                [
                    Delete(edge["PK"], edge["SK"], condition=ItemPresent()),
                    Update(counter.pk, counter.sk, add=counter.add, condition=ItemPresent()),
                ]
            )
        except TransactionFailed:
            self.table.delete(edge["PK"], edge["SK"])


class ReleaseUsernameJob:
    """``release_username``: frees a deleted account's username once its hold is over
    (queues itself again when its queue cannot wait that long, like SQS's 15 minutes)."""

    def __init__(self, *, table: Table, jobs: JobQueue, clock: Clock) -> None:
        self.table = table
        self.jobs = jobs
        self.clock = clock

    def handle(self, payload: dict[str, Any]) -> None:
        key = username_key(payload["username"])
        tombstone = self.table.get(*key)
        if tombstone is None or not tombstone.get("deleted"):
            return  # already released (and maybe taken again)
        wait = tombstone["releaseAt"] - self.clock.now()
        if wait > 0:
            self.jobs.enqueue(RELEASE_USERNAME, payload, delay=wait)
            return
        try:
            self.table.delete(*key, condition=AttributeEquals("deleted", True))
        except ConditionFailed:
            pass

    def give_up(self, payload: dict[str, Any], error: str) -> None:
        log.warning("username release abandoned", extra={"payload": payload, "error": error})


def _as_owner(profile: Item) -> Principal:
    """The account itself, so its items go through their services' owner-only deletes."""
    return principal_of(profile)


def _ignore_missing(delete: Callable[[Principal, str], object], owner: Principal, id_: str) -> None:
    try:
        delete(owner, id_)
    except NotFound:
        pass  # deleted meanwhile (or seen again through a lagging index)
