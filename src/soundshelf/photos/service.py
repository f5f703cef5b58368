"""Photo use cases: galleries (mine, someone's, my friends'), tags, edit, delete.

Where lists come from (all keyset-paginated queries, no scans):
- ``owner=me`` / a friend's gallery: GSI1 ``USER#{owner}#PHOTOS``, newest taken first;
- a stranger's gallery: GSI2 ``USER#{owner}#PHOTOS#public`` (see catalog/indexes.py);
- ``tag=``: the owner's tag items ``USER#{owner}#PHOTOTAG#{tag}``, one per (photo, tag),
  written in the same transaction as the tags;
- ``owner=friends``: the viewer's friends' feed, written by the ``fan_out`` job when a
  photo becomes visible to friends (social/notifications.py). Entries are pointers, so
  every read re-checks the photo and the friendship: unfriending or hiding a photo
  takes effect at once, before any clean-up.

Pointer lists may hold entries the viewer can no longer see; a page is filled from up to
``FILL_ROUNDS`` queries so such entries do not leave it short.

Privacy: derivatives carry no EXIF (so no GPS, no camera serial); the original keeps its
EXIF, so only its owner ever gets ``urls.original``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from soundshelf.catalog.indexes import listing_keys, owner_id_of, split_changes
from soundshelf.config import Settings
from soundshelf.core.stored import delete_blobs, derived_prefix, removal_ops
from soundshelf.core.users import Principal
from soundshelf.errors import NotAuthenticated, NotFound, PreconditionFailed, ValidationFailed
from soundshelf.events import ChangeEvents
from soundshelf.policies import VISIBILITIES, can_view, ensure_can_edit, ensure_can_view
from soundshelf.ports.blobs import BlobStore
from soundshelf.ports.clock import iso
from soundshelf.ports.table import (
    AttributeEquals,
    Delete,
    Item,
    Key,
    Page,
    Put,
    Table,
    TransactionFailed,
    Update,
    WriteOp,
)
from soundshelf.social.friends import Friends
from soundshelf.social.notifications import announceable, friend_feed_pk

KIND = "PHOTOS"
MAX_TAGS = 20
MAX_TAG_LENGTH = 40
MAX_CAPTION_LENGTH = 2000
FILL_ROUNDS = 5
SIZES = ("thumb", "medium", "large")
_TAG = re.compile(r"[\w-]+")  # letters and digits of any script, "_" and "-"

PageFetch = Callable[[int, str | None], Page]


def photo_key(photo_id: str) -> Key:
    return f"PHOTO#{photo_id}", "PHOTO"


def tag_pk(owner_id: str, tag: str) -> str:
    return f"USER#{owner_id}#PHOTOTAG#{tag}"


def normalize_tag(raw: str) -> str:
    """``" #Summer Holiday "`` → ``"summer-holiday"``: one spelling per tag, so a search
    finds what a user typed however they typed it."""
    tag = unicodedata.normalize("NFKC", raw).strip().lstrip("#").strip().casefold()
    tag = re.sub(r"\s+", "-", tag)
    if not tag or len(tag) > MAX_TAG_LENGTH or not _TAG.fullmatch(tag):
        raise ValidationFailed(
            f"A tag is 1 to {MAX_TAG_LENGTH} letters, digits, spaces, '-' or '_' ({raw!r})"
        )
    return tag


def normalize_tags(raw: Iterable[str]) -> list[str]:
    tags = list(dict.fromkeys(normalize_tag(t) for t in raw))
    if len(tags) > MAX_TAGS:
        raise ValidationFailed(f"A photo has at most {MAX_TAGS} tags")
    return tags


def clean_caption(raw: str) -> str:
    # Control characters (but newlines and tabs) have no place in a caption.
    caption = "".join(
        ch for ch in raw if ch in "\n\t" or unicodedata.category(ch)[0] != "C"
    ).strip()
    if len(caption) > MAX_CAPTION_LENGTH:
        raise ValidationFailed(f"A caption has at most {MAX_CAPTION_LENGTH} characters")
    return caption


def memo(check: Callable[[str], bool]) -> Callable[[str], bool]:
    """``check`` asked once per argument (friend checks over the pages of one list)."""
    answers: dict[str, bool] = {}

    def cached(arg: str) -> bool:
        if arg not in answers:
            answers[arg] = check(arg)
        return answers[arg]

    return cached


class Photos:
    def __init__(
        self,
        *,
        table: Table,
        blobs: BlobStore,
        friends: Friends,
        settings: Settings,
        events: ChangeEvents,
    ) -> None:
        self.table = table
        self.blobs = blobs
        self.friends = friends
        self.settings = settings
        # item_changed after every write; item_published when friends may newly see one.
        self.events = events

    # --- reading -------------------------------------------------------------------------

    def load(self, photo_id: str) -> dict[str, Any] | None:
        return self.table.get(*photo_key(photo_id))

    def visible(self, viewer: Principal | None, photo_id: str) -> dict[str, Any]:
        return dict(
            ensure_can_view(
                viewer, self.load(photo_id), friends=self.friends.are_friends, what="photo"
            )
        )

    def get(self, viewer: Principal | None, photo_id: str) -> dict[str, Any]:
        return self.view(self.visible(viewer, photo_id), viewer)

    def view(self, photo: Mapping[str, Any], viewer: Principal | None) -> dict[str, Any]:
        derivatives = photo.get("derivatives") or {}
        urls: dict[str, str | None] = {
            size: self._url(derivatives[size]) if size in derivatives else None for size in SIZES
        }
        # The original still has its EXIF (GPS, camera serial): for the owner only.
        is_owner = viewer is not None and viewer.user_id == photo["ownerId"]
        urls["original"] = (
            self._url({"key": photo["originalKey"], "mime": photo.get("mime")})
            if is_owner
            else None
        )
        return {
            "photoId": photo["photoId"],
            "owner": photo.get("ownerName", ""),
            "caption": photo.get("caption", ""),
            "tags": list(photo.get("tags", [])),
            "visibility": photo["visibility"],
            "width": photo["width"],
            "height": photo["height"],
            "takenAt": photo.get("takenAt"),
            "placeholder": photo.get("placeholder"),
            "urls": urls,
            "status": "taken_down" if photo.get("takenDown") else "ready",
            "createdAt": iso(photo["createdAt"]),
            "version": photo.get("version", 1),
        }

    def list(
        self,
        viewer: Principal | None,
        *,
        owner: str | None,
        tag: str | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Photos newest (taken) first: mine (default), my friends', or someone's; with
        ``tag``, only those carrying it."""
        wanted = normalize_tag(tag) if tag else None
        owner = (owner or "me").strip()
        if owner not in ("me", "friends"):
            photos, next_cursor = self._owner_list(
                viewer, owner_id_of(self.table, viewer, owner, what="photos"), wanted, limit, cursor
            )
        elif viewer is None:
            raise NotAuthenticated("Sign in to see your own or your friends' photos")
        elif owner == "friends":
            photos, next_cursor = self._friends_feed(viewer, wanted, limit, cursor)
        else:
            photos, next_cursor = self._owner_list(viewer, viewer.user_id, wanted, limit, cursor)
        return [self.view(p, viewer) for p in photos], next_cursor

    def _owner_list(
        self,
        viewer: Principal | None,
        owner_id: str,
        tag: str | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Item], str | None]:
        may_see = self._can_view_filter(viewer)
        if tag is not None:
            return self._fill(
                lambda n, c: self.table.query(
                    tag_pk(owner_id, tag), forward=False, limit=n, cursor=c
                ),
                lambda entries: [p for p in self._photos_of(entries) if may_see(p)],
                limit,
                cursor,
            )
        sees_all = viewer is not None and (
            viewer.user_id == owner_id or self.friends.are_friends(viewer.user_id, owner_id)
        )
        # Others only ever see public photos: their own index keeps pages full.
        pk, index = (
            (f"USER#{owner_id}#{KIND}", "GSI1")
            if sees_all
            else (f"USER#{owner_id}#{KIND}#public", "GSI2")
        )
        return self._fill(
            lambda n, c: self.table.query(pk, index=index, forward=False, limit=n, cursor=c),
            lambda photos: [p for p in photos if may_see(p)],
            limit,
            cursor,
        )

    def _friends_feed(
        self, viewer: Principal, tag: str | None, limit: int, cursor: str | None
    ) -> tuple[list[Item], str | None]:
        return self._fill(
            lambda n, c: self.table.query(
                friend_feed_pk(viewer.user_id), forward=False, limit=n, cursor=c
            ),
            self._feed_filter(viewer, tag),
            limit,
            cursor,
        )

    def _can_view_filter(self, viewer: Principal | None) -> Callable[[Item], bool]:
        if viewer is None:
            return lambda photo: can_view(None, photo)
        friend = memo(lambda owner: self.friends.are_friends(viewer.user_id, owner))
        return lambda photo: can_view(viewer, photo, friends=lambda _v, owner: friend(owner))

    def _feed_filter(
        self, viewer: Principal, tag: str | None
    ) -> Callable[[list[Item]], list[Item]]:
        """Feed entries → the photos still there, still visible, from current friends."""
        friend = memo(lambda owner: self.friends.are_friends(viewer.user_id, owner))

        def accept(entries: list[Item]) -> list[Item]:
            return [
                p
                for p in self._photos_of(entries)
                if friend(p["ownerId"])
                and can_view(viewer, p, friends=lambda _v, owner: friend(owner))
                and (tag is None or tag in p.get("tags", []))
            ]

        return accept

    def _photos_of(self, entries: list[Item]) -> list[Item]:
        """The photos pointer entries name, in order; deleted ones are skipped."""
        return self.table.batch_get([photo_key(e["photoId"]) for e in entries])

    @staticmethod
    def _fill(
        fetch: PageFetch,
        accept: Callable[[list[Item]], list[Item]],
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Item], str | None]:
        """Up to ``limit`` accepted items from a few queries. Each query asks only for
        what is still missing, so the last page's cursor is exactly where to go on."""
        found: list[Item] = []
        for _ in range(FILL_ROUNDS):
            page = fetch(limit - len(found), cursor)
            found += accept(page.items)
            cursor = page.next_cursor
            if cursor is None or len(found) >= limit:
                break
        return found, cursor

    def _url(self, blob: Mapping[str, Any]) -> str:
        return self.blobs.presign_download(
            blob["key"], ttl=self.settings.media_url_ttl, content_type=blob.get("mime")
        )

    # --- editing -------------------------------------------------------------------------

    def update(
        self,
        viewer: Principal,
        photo_id: str,
        changes: Mapping[str, Any],
        *,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change the caption, tags or visibility (owner only, optimistic concurrency).
        Becoming visible to friends queues the friends' notifications and feeds."""
        photo = dict(
            ensure_can_edit(
                viewer, self.load(photo_id), friends=self.friends.are_friends, what="photo"
            )
        )
        version = photo.get("version", 1)
        if expected_version is not None and expected_version != version:
            raise PreconditionFailed("The photo changed since you read it; reload and retry")
        new = self._changed(photo, changes)
        set_, remove = split_changes(
            {
                "caption": new["caption"],
                "tags": new["tags"],
                "visibility": new["visibility"],
                **listing_keys(KIND, new, photo["GSI1SK"]),
                "version": version + 1,
            }
        )
        ops: list[WriteOp] = [
            Update(
                *photo_key(photo_id),
                set=set_,
                remove=remove,
                condition=AttributeEquals("version", version),
            ),
            *self._tag_moves(photo, new["tags"]),
        ]
        try:
            self.table.transact(ops)
        except TransactionFailed as exc:
            if 0 in exc.failed_indexes:
                raise PreconditionFailed("The photo changed meanwhile; reload and retry") from None
            raise
        if announceable("photo", new) and not announceable("photo", photo):
            self.events.item_published("photo", new)
        self.events.item_changed("photo", photo_id)
        return self.get(viewer, photo_id)

    @staticmethod
    def _changed(photo: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
        new = dict(photo)
        new.setdefault("caption", "")
        new.setdefault("tags", [])
        if changes.get("caption") is not None:
            new["caption"] = clean_caption(changes["caption"])
        if changes.get("tags") is not None:
            new["tags"] = normalize_tags(changes["tags"])
        if changes.get("visibility") is not None:
            if changes["visibility"] not in VISIBILITIES:
                raise ValidationFailed("visibility is private, friends or public")
            new["visibility"] = changes["visibility"]
        return new

    @staticmethod
    def _tag_moves(photo: Mapping[str, Any], tags: list[str]) -> list[WriteOp]:
        old = set(photo.get("tags", []))
        owner, sort_key = photo["ownerId"], photo["GSI1SK"]
        ops: list[WriteOp] = [Delete(tag_pk(owner, t), sort_key) for t in sorted(old - set(tags))]
        ops += [
            Put({"PK": tag_pk(owner, t), "SK": sort_key, "photoId": photo["photoId"]})
            for t in tags
            if t not in old
        ]
        return ops

    def delete(self, viewer: Principal, photo_id: str) -> None:
        """The record, its tag items, the hash entry and the owner's counters go in one
        transaction; then the original and every derivative."""
        photo = ensure_can_edit(
            viewer, self.load(photo_id), friends=self.friends.are_friends, what="photo"
        )
        ops = [*removal_ops("photo", photo_key(photo_id), photo), *self._tag_moves(photo, [])]
        try:
            self.table.transact(ops)
        except TransactionFailed:
            raise NotFound("No such photo") from None
        self.events.item_changed("photo", photo_id)
        # Feed entries pointing here are skipped on read.
        delete_blobs(self.blobs, photo["originalKey"], derived_prefix(photo["ownerId"], photo_id))
