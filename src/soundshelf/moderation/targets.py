"""What can be reported and taken down, and how each kind is found, shown and checked.

Target ids are the stored ids, except where a reporter only knows something else: an
artist is reported by username and a share link by its token; both are turned into the
stored id (the user id, the share id) before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from soundshelf.catalog.albums import album_key
from soundshelf.catalog.tracks import track_key
from soundshelf.core.users import Principal, profile_key, roles_of, username_key
from soundshelf.errors import NotFound, ValidationFailed
from soundshelf.files.service import file_key
from soundshelf.photos.service import photo_key
from soundshelf.playlists.service import playlist_key
from soundshelf.policies import can_view
from soundshelf.ports.clock import Clock
from soundshelf.ports.table import Key, Table
from soundshelf.shares.service import share_key, token_key
from soundshelf.social.friends import Friends

TargetType = Literal["track", "album", "playlist", "photo", "file", "artist", "share"]
TARGET_TYPES: tuple[TargetType, ...] = (
    "track",
    "album",
    "playlist",
    "photo",
    "file",
    "artist",
    "share",
)
# Kinds whose public listing index entries (catalog/indexes.py) follow ``takenDown``.
LISTING_KINDS = {"track": "TRACKS", "album": "ALBUMS", "playlist": "PLAYLISTS", "photo": "PHOTOS"}
MAX_ID_LENGTH = 64
_KEYS = {
    "track": track_key,
    "album": album_key,
    "playlist": playlist_key,
    "photo": photo_key,
    "file": file_key,
    "artist": profile_key,
    "share": share_key,
}


def check_type(target_type: str) -> None:
    if target_type not in TARGET_TYPES:
        raise ValidationFailed(f"targetType is one of {', '.join(TARGET_TYPES)}")


def target_key(target_type: str, target_id: str) -> Key:
    check_type(target_type)
    return _KEYS[target_type](target_id)


def owner_of(target_type: str, item: Mapping[str, Any]) -> str:
    return item["userId"] if target_type == "artist" else item["ownerId"]


def title_of(target_type: str, item: Mapping[str, Any]) -> str:
    if target_type == "artist":
        return str(item.get("artistName") or item.get("displayName") or item["username"])
    for name in ("title", "name", "caption", "filename"):
        if item.get(name):
            return str(item[name])
    return target_type


class Targets:
    def __init__(self, *, table: Table, clock: Clock, friends: Friends) -> None:
        self.table = table
        self.clock = clock
        self.friends = friends

    def load(self, target_type: str, target_id: str) -> dict[str, Any] | None:
        if not target_id or len(target_id) > MAX_ID_LENGTH:
            return None
        return self.table.get(*target_key(target_type, target_id))

    def load_many(self, refs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict]:
        """{(type, id): item} for the targets that exist, in one batch read."""
        wanted = list(dict.fromkeys(refs))
        found = {
            (item["PK"], item["SK"]): item
            for item in self.table.batch_get([target_key(t, i) for t, i in wanted])
        }
        return {ref: found[key] for ref in wanted if (key := target_key(*ref)) in found}

    def visible_to(
        self, viewer: Principal, target_type: str, target_id: str
    ) -> tuple[str, dict[str, Any]]:
        """(stored id, item) of a target ``viewer`` can see; 404 otherwise, as for a
        target that does not exist."""
        check_type(target_type)
        if target_type == "share":
            found = self._live_share(target_id)
        elif target_type == "artist":
            found = self._artist(target_id)
        else:
            item = self.load(target_type, target_id)
            found = (target_id, item) if item and self._sees(viewer, target_type, item) else None
        if found is None:
            raise NotFound(f"No such {target_type}")
        return found

    def _sees(self, viewer: Principal, target_type: str, item: Mapping[str, Any]) -> bool:
        if target_type == "file":  # files are private to their owner (files/service.py)
            return item["ownerId"] == viewer.user_id
        return can_view(viewer, item, friends=self.friends.are_friends)

    def _live_share(self, token: str) -> tuple[str, dict[str, Any]] | None:
        """A share link is reported by its token (the holder never sees the share id)."""
        if not 10 <= len(token) <= MAX_ID_LENGTH:
            return None
        pointer = self.table.get(*token_key(token))
        share = self.table.get(*share_key(pointer["shareId"])) if pointer else None
        if share is None or share["expiresAt"] <= self.clock.now() or share.get("takenDown"):
            return None
        target = self.load(share["targetType"], share["targetId"])
        owner = self.table.get(*profile_key(share["ownerId"]))
        if target is None or target.get("takenDown") or owner is None or owner.get("disabled"):
            return None
        return share["shareId"], share

    def _artist(self, username: str) -> tuple[str, dict[str, Any]] | None:
        """An artist is reported by the username in their page's address."""
        if not username or len(username) > MAX_ID_LENGTH:
            return None
        reservation = self.table.get(*username_key(username.strip().lower()))
        profile = self.table.get(*profile_key(reservation["userId"])) if reservation else None
        if (
            profile is None
            or "artist" not in roles_of(profile)
            or profile.get("disabled")
            or profile.get("takenDown")
        ):
            return None
        return profile["userId"], profile

    def summaries(
        self, refs: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], dict[str, Any] | None]:
        """What an admin sees of each target (None once it is gone): two batch reads."""
        refs = list(refs)
        items = self.load_many(refs)
        owners = {
            p["userId"]: p
            for p in self.table.batch_get(
                list(
                    dict.fromkeys(profile_key(owner_of(t, item)) for (t, _), item in items.items())
                )
            )
        }
        out: dict[tuple[str, str], dict[str, Any] | None] = {}
        for ref in refs:
            item = items.get(ref)
            if item is None:
                out[ref] = None
                continue
            owner = owners.get(owner_of(ref[0], item))
            out[ref] = {
                "title": title_of(ref[0], item),
                "owner": owner["username"] if owner else None,
                "ownerId": owner_of(ref[0], item),
                "visibility": item.get("visibility"),
                "takenDown": bool(item.get("takenDown")),
            }
        return out
