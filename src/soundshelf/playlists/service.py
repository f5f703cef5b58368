"""Playlist use cases: create, read (entries paged), list, edit, delete, add/move/remove.

Storage: two items in one partition per playlist (see docs/data-model.md, "Playlists").

- the **header** ``PLAYLIST#{id}`` / ``PLAYLIST``: name, description, visibility, owner,
  ``version``, ``entryCount``, ``entriesRev`` and the listing index keys. It stays small,
  so listing playlists never drags their entries along;
- the **entries** ``PLAYLIST#{id}`` / ``ENTRIES``: ``entries`` as ``[[entryId, trackId],
  ...]`` in play order, and ``rev``. 5,000 entries are about 195 KiB (``item_size``), under
  half of DynamoDB's 400 KB item limit. It is written only once there is an entry.

Every change is one conditional write: an entry change is one transaction of the header
(condition ``version`` unchanged; bumps ``version`` and ``entriesRev``) and the entries item
(condition ``rev`` unchanged), so two writers holding the same version never both win. A
write with ``expected_version`` (``If-Match``) that loses answers 412; one without re-reads
and re-applies its change a few times, because the caller did not pin a version.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ulid import ULID

from soundshelf.catalog.indexes import listing_keys, owner_id_of, owner_listing, split_changes
from soundshelf.catalog.tracks import Tracks, track_key
from soundshelf.core.users import Principal
from soundshelf.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from soundshelf.events import ChangeEvents
from soundshelf.policies import VISIBILITIES, can_view, ensure_can_edit, ensure_can_view
from soundshelf.ports.clock import Clock, iso
from soundshelf.ports.table import (
    AttributeEquals,
    ConditionFailed,
    Delete,
    InvalidCursor,
    ItemAbsent,
    ItemPresent,
    Page,
    Put,
    Table,
    TransactionFailed,
    Update,
)

KIND = "PLAYLISTS"
HEADER_SK, ENTRIES_SK = "PLAYLIST", "ENTRIES"
MAX_ENTRIES = 5_000
MAX_NAME, MAX_DESCRIPTION = 200, 2_000
DEFAULT_PAGE, MAX_PAGE = 200, 1_000  # entries per GET
WRITE_ATTEMPTS = 10  # re-applies of a write without If-Match that lost a race
READ_ATTEMPTS = 3  # re-reads when header and entries come from different writes
ENTRY_ID_BYTES = 6  # 8 URL-safe characters; unique within the playlist, checked on add
FIELDS = ("name", "description", "visibility")

T = TypeVar("T")
Entries = list[list[str]]  # [[entryId, trackId], ...] in play order
TrackFilter = Callable[[Mapping[str, Any]], bool]


def playlist_key(playlist_id: str) -> tuple[str, str]:
    return f"PLAYLIST#{playlist_id}", HEADER_SK


def entries_key(playlist_id: str) -> tuple[str, str]:
    return f"PLAYLIST#{playlist_id}", ENTRIES_SK


@dataclass(frozen=True)
class Loaded:
    """A playlist as read: header and entries from the same write."""

    header: dict[str, Any]
    entries: Entries
    rev: int

    @property
    def playlist_id(self) -> str:
        return self.header["playlistId"]


class Playlists:
    def __init__(self, *, table: Table, clock: Clock, tracks: Tracks, events: ChangeEvents) -> None:
        self.table = table
        self.clock = clock
        self.tracks = tracks
        self.events = events  # item_changed after every write

    # --- reading -------------------------------------------------------------------------

    def load(self, playlist_id: str) -> Loaded | None:
        """Header and entries in one batch read. DynamoDB reads the two items separately,
        so a write landing in between shows as ``entriesRev != rev``: read again."""
        for _ in range(READ_ATTEMPTS):
            items = self.table.batch_get([playlist_key(playlist_id), entries_key(playlist_id)])
            by_sk = {item["SK"]: item for item in items}
            header = by_sk.get(HEADER_SK)
            if header is None:
                return None
            stored = by_sk.get(ENTRIES_SK)
            rev = stored["rev"] if stored else 0
            if rev == header.get("entriesRev", 0):
                return Loaded(header, stored["entries"] if stored else [], rev)
        raise Conflict("The playlist is being changed right now; retry")

    def get(
        self,
        viewer: Principal | None,
        playlist_id: str,
        *,
        limit: int = DEFAULT_PAGE,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """The playlist and one page of its entries, as ``viewer`` may see them."""
        loaded = self.load(playlist_id)
        ensure_can_view(
            viewer,
            loaded.header if loaded else None,
            friends=self.tracks.friends.are_friends,
            what="playlist",
        )
        assert loaded is not None
        return self._page_view(viewer, loaded, self._shown_to(viewer), limit, cursor)

    def get_for_share(
        self, playlist_id: str, *, limit: int = DEFAULT_PAGE, cursor: str | None = None
    ) -> dict[str, Any]:
        """``get`` for a share link: the owner chose to share, so the playlist's visibility
        is not checked. The link's holder sees the owner's own tracks and other people's
        public ones; everything else in it is unavailable."""
        loaded = self.load(playlist_id)
        if loaded is None or loaded.header.get("takenDown"):
            raise NotFound("No such playlist")
        owner_id = loaded.header["ownerId"]

        def shown(track: Mapping[str, Any]) -> bool:
            mine_or_public = track["ownerId"] == owner_id or track.get("visibility") == "public"
            return mine_or_public and not track.get("takenDown")

        return self._page_view(None, loaded, shown, limit, cursor)

    def list(
        self,
        viewer: Principal | None,
        *,
        owner: str | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Playlists newest first: mine (``owner="me"``), someone's, or every public one."""
        if owner is None:
            page = self.table.query(
                f"PUBLIC#{KIND}", index="GSI3", forward=False, limit=limit, cursor=cursor
            )
            return [self.summary(p) for p in page.items], page.next_cursor
        owner_id = owner_id_of(self.table, viewer, owner, what="playlists")
        page = self._owner_page(viewer, owner_id, limit=limit, cursor=cursor)
        friends = self.tracks.friends.are_friends
        items = [p for p in page.items if can_view(viewer, p, friends=friends)]
        return [self.summary(p) for p in items], page.next_cursor

    def summary(self, header: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "playlistId": header["playlistId"],
            "name": header["name"],
            "description": header.get("description", ""),
            "visibility": header["visibility"],
            "owner": header.get("ownerName", ""),
            # Only its owner ever sees a taken-down playlist (policies.can_view).
            "status": "taken_down" if header.get("takenDown") else "ready",
            "version": header["version"],
            "entryCount": header.get("entryCount", 0),
            "createdAt": iso(header["createdAt"]),
            "updatedAt": iso(header.get("updatedAt", header["createdAt"])),
        }

    # --- editing the playlist --------------------------------------------------------------

    def create(self, owner: Principal, fields: Mapping[str, Any]) -> dict[str, Any]:
        playlist_id, now = str(ULID()), self.clock.now()
        header: dict[str, Any] = {
            "PK": playlist_key(playlist_id)[0],
            "SK": HEADER_SK,
            "playlistId": playlist_id,
            "ownerId": owner.user_id,
            "ownerName": owner.username,
            "name": "",
            "description": "",
            "visibility": "private",
            "createdAt": now,
            "updatedAt": now,
            "version": 1,
            "entryCount": 0,
            "entriesRev": 0,
        }
        header.update(_checked(fields, partial=False))
        header.update(split_changes(listing_keys(KIND, header, _sort_key(header)))[0])
        self.table.put(header, condition=ItemAbsent())
        self.events.item_changed("playlist", playlist_id)
        return {**self.summary(header), "entries": [], "nextCursor": None}

    def update(
        self,
        viewer: Principal,
        playlist_id: str,
        changes: Mapping[str, Any],
        *,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """PATCH name, description and/or visibility; answers the playlist's first page."""
        checked = _checked(changes, partial=True)

        def write() -> None:
            header = self._editable_header(viewer, playlist_id, expected_version)
            new = {**header, **checked}
            set_, remove = split_changes(
                {
                    **{f: new[f] for f in FIELDS},
                    **listing_keys(KIND, new, _sort_key(new)),
                    "version": header["version"] + 1,
                    "updatedAt": self.clock.now(),
                }
            )
            self.table.update(
                *playlist_key(playlist_id),
                set=set_,
                remove=remove,
                condition=AttributeEquals("version", header["version"]),
            )

        self._retrying(expected_version, write)
        self.events.item_changed("playlist", playlist_id)
        return self.get(viewer, playlist_id)

    def delete(
        self, viewer: Principal, playlist_id: str, *, expected_version: int | None = None
    ) -> None:
        self._editable_header(viewer, playlist_id, expected_version)
        # Without If-Match the caller means "delete it, whatever its version".
        condition = (
            ItemPresent()
            if expected_version is None
            else AttributeEquals("version", expected_version)
        )
        try:
            self.table.transact(
                [
                    Delete(*playlist_key(playlist_id), condition=condition),
                    Delete(*entries_key(playlist_id)),
                ]
            )
        except TransactionFailed:
            if expected_version is None:
                raise NotFound("No such playlist") from None
            raise PreconditionFailed(
                "The playlist changed since you read it; reload and retry"
            ) from None
        self.events.item_changed("playlist", playlist_id)

    # --- editing entries ---------------------------------------------------------------------

    def add_entry(
        self,
        viewer: Principal,
        playlist_id: str,
        track_id: str,
        *,
        position: int | None = None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Insert one track at ``position`` (0-based; appended when None)."""
        result = self.add_entries(
            viewer, playlist_id, [track_id], position=position, expected_version=expected_version
        )
        (entry,) = result.pop("entries")
        return {**result, **entry}  # playlistId, version, entryCount, entryId, position

    def add_entries(
        self,
        viewer: Principal,
        playlist_id: str,
        track_ids: Sequence[str],
        *,
        position: int | None = None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Insert tracks, in order, at ``position`` (appended when None) in one write. A
        track may appear any number of times; each entry gets its own ``entryId``."""
        if not track_ids:
            raise ValidationFailed("Name at least one track")
        ensure_addable = functools.cache(lambda: self._ensure_addable(viewer, track_ids))

        def change(entries: Entries) -> list[dict[str, Any]]:
            ensure_addable()  # after the owner check, once: a stranger learns nothing
            if len(entries) + len(track_ids) > MAX_ENTRIES:
                raise ValidationFailed(f"A playlist holds at most {MAX_ENTRIES:,} entries")
            at = len(entries) if position is None else position
            _check_position(at, len(entries) + 1)
            taken = {entry_id for entry_id, _ in entries}
            new = [[_new_entry_id(taken), track_id] for track_id in track_ids]
            entries[at:at] = new
            return [{"entryId": e[0], "position": at + i} for i, e in enumerate(new)]

        state, added = self._change_entries(viewer, playlist_id, change, expected_version)
        return {**state, "entries": added}

    def remove_entry(
        self,
        viewer: Principal,
        playlist_id: str,
        entry_id: str,
        *,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        def change(entries: Entries) -> None:
            del entries[_index_of(entries, entry_id)]

        state, _ = self._change_entries(viewer, playlist_id, change, expected_version)
        return state

    def move_entry(
        self,
        viewer: Principal,
        playlist_id: str,
        entry_id: str,
        position: int,
        *,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Move an entry so that it ends at ``position`` (0-based, within the list)."""

        def change(entries: Entries) -> dict[str, Any]:
            index = _index_of(entries, entry_id)
            _check_position(position, len(entries))
            entries.insert(position, entries.pop(index))
            return {"entryId": entry_id, "position": position}

        state, moved = self._change_entries(viewer, playlist_id, change, expected_version)
        return {**state, **moved}

    # --- internals ---------------------------------------------------------------------------

    def _change_entries(
        self,
        viewer: Principal,
        playlist_id: str,
        change: Callable[[Entries], T],
        expected_version: int | None,
    ) -> tuple[dict[str, Any], T]:
        """Read, apply ``change`` to the entries (in place), write back conditionally.
        Returns the playlist's new state and what ``change`` returned."""

        def write() -> tuple[dict[str, Any], T]:
            loaded = self._editable(viewer, playlist_id, expected_version)
            entries = loaded.entries  # freshly parsed: ours to change
            outcome = change(entries)
            version = self._save_entries(loaded, entries)
            state = {"playlistId": playlist_id, "version": version, "entryCount": len(entries)}
            return state, outcome

        return self._retrying(expected_version, write)

    def _save_entries(self, loaded: Loaded, entries: Entries) -> int:
        version, rev = loaded.header["version"], loaded.rev
        pk = playlist_key(loaded.playlist_id)[0]
        self.table.transact(
            [
                Update(
                    pk,
                    HEADER_SK,
                    set={
                        "version": version + 1,
                        "entriesRev": rev + 1,
                        "entryCount": len(entries),
                        "updatedAt": self.clock.now(),
                    },
                    condition=AttributeEquals("version", version),
                ),
                Put(
                    {"PK": pk, "SK": ENTRIES_SK, "entries": entries, "rev": rev + 1},
                    condition=AttributeEquals("rev", rev) if rev else ItemAbsent(),
                ),
            ]
        )
        return version + 1

    def _retrying(self, expected_version: int | None, write: Callable[[], T]) -> T:
        """Run a read-check-conditional-write. Losing a race is 412 for a caller that named
        a version; anyone else gets their change re-applied on the newer state."""
        for _ in range(WRITE_ATTEMPTS):
            try:
                return write()
            except (TransactionFailed, ConditionFailed):
                if expected_version is not None:
                    raise PreconditionFailed(
                        "The playlist changed meanwhile; reload and retry"
                    ) from None
        raise Conflict("The playlist is busy; retry in a moment")

    def _editable(
        self, viewer: Principal, playlist_id: str, expected_version: int | None
    ) -> Loaded:
        loaded = self.load(playlist_id)
        self._check_editable(viewer, loaded.header if loaded else None, expected_version)
        assert loaded is not None
        return loaded

    def _editable_header(
        self, viewer: Principal, playlist_id: str, expected_version: int | None
    ) -> dict[str, Any]:
        header = self.table.get(*playlist_key(playlist_id))
        self._check_editable(viewer, header, expected_version)
        assert header is not None
        return header

    def _check_editable(
        self, viewer: Principal, header: dict[str, Any] | None, expected_version: int | None
    ) -> None:
        ensure_can_edit(viewer, header, friends=self.tracks.friends.are_friends, what="playlist")
        assert header is not None
        if expected_version is not None and expected_version != header["version"]:
            raise PreconditionFailed("The playlist changed since you read it; reload and retry")

    def _ensure_addable(self, viewer: Principal, track_ids: Iterable[str]) -> None:
        """Only tracks the caller may see go into a playlist (one batch read)."""
        unique = list(dict.fromkeys(track_ids))
        found = {t["trackId"]: t for t in self.table.batch_get([track_key(i) for i in unique])}
        shown = self._shown_to(viewer)
        for track_id in unique:
            track = found.get(track_id)
            if track is None or not self.tracks.can_view(viewer, track):
                raise NotFound(f"No such track: {track_id}")
            if not shown(track):
                raise ValidationFailed("This track was taken down and cannot be added")

    def _shown_to(self, viewer: Principal | None) -> TrackFilter:
        """Which tracks ``viewer`` gets in a playlist: what they may see, never taken-down
        tracks (not even their owner's: a playlist plays only what is published)."""
        # One friendship lookup per track owner, not per entry.
        friends = functools.cache(self.tracks.friends.are_friends)
        return lambda t: not t.get("takenDown") and can_view(viewer, t, friends=friends)

    def _page_view(
        self,
        viewer: Principal | None,
        loaded: Loaded,
        shown: TrackFilter,
        limit: int,
        cursor: str | None,
    ) -> dict[str, Any]:
        if not 1 <= limit <= MAX_PAGE:
            raise ValidationFailed(f"limit is between 1 and {MAX_PAGE}")
        entries = loaded.entries
        start = _start_of(entries, cursor)
        page = entries[start : start + limit]
        views = self._track_views(viewer, [track_id for _, track_id in page], shown)
        end = start + len(page)
        return {
            **self.summary(loaded.header),
            "entryCount": len(entries),
            "entries": [
                {
                    "entryId": entry_id,
                    "position": start + i,
                    "track": views.get(track_id),
                    "unavailable": track_id not in views,
                }
                for i, (entry_id, track_id) in enumerate(page)
            ],
            "nextCursor": (
                _encode_cursor(page[-1][0], entries[end][0], end) if end < len(entries) else None
            ),
        }

    def _track_views(
        self, viewer: Principal | None, track_ids: Sequence[str], shown: TrackFilter
    ) -> dict[str, dict[str, Any]]:
        """Views of the distinct tracks the viewer gets, by id: gone or hidden ones are
        simply absent (their entries show as unavailable)."""
        unique = list(dict.fromkeys(track_ids))
        found = self.table.batch_get([track_key(i) for i in unique])
        return {v["trackId"]: v for v in self.tracks.views(viewer, [t for t in found if shown(t)])}

    def _owner_page(
        self, viewer: Principal | None, owner_id: str, *, limit: int, cursor: str | None
    ) -> Page:
        return owner_listing(
            self.table,
            kind=KIND,
            owner_id=owner_id,
            viewer=viewer,
            is_friend=self.tracks.friends.are_friends,
            limit=limit,
            cursor=cursor,
        )


# --- helpers ---------------------------------------------------------------------------------


def _sort_key(header: Mapping[str, Any]) -> str:
    return f"{iso(header['createdAt'])}#{header['playlistId']}"


def _checked(fields: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not partial and "name" not in fields:
        raise ValidationFailed("A playlist needs a name")
    if "name" in fields:
        name = str(fields["name"] or "").strip()
        if not name or len(name) > MAX_NAME:
            raise ValidationFailed(f"A playlist name has 1 to {MAX_NAME} characters")
        out["name"] = name
    if "description" in fields:
        description = str(fields["description"] or "").strip()
        if len(description) > MAX_DESCRIPTION:
            raise ValidationFailed(f"A description has at most {MAX_DESCRIPTION} characters")
        out["description"] = description
    if "visibility" in fields:
        if fields["visibility"] not in VISIBILITIES:
            raise ValidationFailed("visibility is private, friends or public")
        out["visibility"] = fields["visibility"]
    return out


def _new_entry_id(taken: set[str]) -> str:
    while True:
        entry_id = secrets.token_urlsafe(ENTRY_ID_BYTES)
        if entry_id not in taken:
            taken.add(entry_id)
            return entry_id


def _index_of(entries: Entries, entry_id: str) -> int:
    for index, (candidate, _) in enumerate(entries):
        if candidate == entry_id:
            return index
    raise NotFound("No such entry in this playlist")


def _check_position(position: int, size: int) -> None:
    """Positions are 0-based; out of range is an error, not a silent clamp, because a
    client that computed it from a stale copy should find out."""
    if not 0 <= position < size:
        raise ValidationFailed(f"position is between 0 and {max(size - 1, 0)}")


# An entry cursor is a keyset over entry ids: the last entry shown ("after") and the
# first one not shown yet ("next"), plus that one's position as a last resort. The next
# page starts after "after"; if it was removed meanwhile, at "next"; if both went, at the
# old position.


def _encode_cursor(after: str, next_entry: str, at: int) -> str:
    raw = json.dumps({"after": after, "next": next_entry, "at": at}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, str, int]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        after, next_entry, at = key["after"], key["next"], key["at"]
    except (ValueError, TypeError, KeyError, binascii.Error):
        raise InvalidCursor() from None
    if not (isinstance(after, str) and isinstance(next_entry, str)):
        raise InvalidCursor()
    if not isinstance(at, int) or isinstance(at, bool) or at < 0:
        raise InvalidCursor()
    return after, next_entry, at


def _start_of(entries: Entries, cursor: str | None) -> int:
    if not cursor:
        return 0
    after, next_entry, at = _decode_cursor(cursor)
    if 0 < at <= len(entries) and entries[at - 1][0] == after:
        return at  # nothing changed before the cursor: the usual case, no search
    index = {entry_id: i for i, (entry_id, _) in enumerate(entries)}
    if after in index:
        return index[after] + 1
    if next_entry in index:
        return index[next_entry]
    return min(at, len(entries))


def item_size(item: Mapping[str, Any]) -> int:
    """An item's size by DynamoDB's rules (names + values; lists and maps cost 3 bytes
    plus 1 per element), to check a playlist stays under the 400 KB item limit."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode())
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, int | float):
        digits = len(str(abs(value)).replace(".", "").lstrip("0")) or 1
        return (digits + 1) // 2 + 1
    if isinstance(value, Mapping):
        return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return 3 + sum(1 + _value_size(v) for v in value)
    raise TypeError(f"not a table value: {type(value).__name__}")
