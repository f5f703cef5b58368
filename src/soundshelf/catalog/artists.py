"""Artist profiles: self-service artist role, public pages, follows, play statistics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from soundshelf.accounts.service import Accounts
from soundshelf.catalog.albums import Albums
from soundshelf.catalog.tracks import Tracks
from soundshelf.core.users import Principal, profile_key, roles_of
from soundshelf.errors import NotFound, ValidationFailed
from soundshelf.events import ChangeEvents
from soundshelf.ports.clock import Clock, iso
from soundshelf.ports.table import (
    Delete,
    ItemAbsent,
    ItemPresent,
    Put,
    Table,
    TransactionFailed,
    Update,
)

STATS_DAYS = 30


def follow_key(follower_id: str, artist_id: str) -> tuple[str, str]:
    return f"USER#{follower_id}", f"FOLLOWS#{artist_id}"


class Artists:
    def __init__(
        self,
        *,
        table: Table,
        clock: Clock,
        accounts: Accounts,
        tracks: Tracks,
        albums: Albums,
        events: ChangeEvents,
    ) -> None:
        self.table = table
        self.clock = clock
        self.accounts = accounts
        self.tracks = tracks
        self.albums = albums
        self.events = events  # item_changed after every write

    def enable(self, principal: Principal, *, name: str | None, bio: str | None) -> dict:
        """Turn on (or edit) the caller's artist profile; grants the ``artist`` role."""
        profile = self.accounts.get_profile(principal.user_id)
        roles = roles_of(profile) | {"artist"}
        if roles != roles_of(profile):
            self.accounts.set_roles(principal.user_id, roles)
        changes = {
            "artistName": (name or profile.get("artistName") or profile["displayName"]).strip()
        }
        if bio is not None:
            changes["artistBio"] = bio.strip()
        if not changes["artistName"]:
            raise ValidationFailed("An artist needs a name")
        self.table.update(*profile_key(principal.user_id), set=changes, condition=ItemPresent())
        self.events.item_changed("artist", principal.user_id)
        return self.page(principal, principal.username)

    def disable(self, principal: Principal) -> None:
        profile = self.accounts.get_profile(principal.user_id)
        self.accounts.set_roles(principal.user_id, roles_of(profile) - {"artist"})
        self.events.item_changed("artist", principal.user_id)

    def _artist(self, username: str) -> dict[str, Any]:
        profile = self.accounts.find_by_username(username)
        if profile is None or "artist" not in roles_of(profile) or profile.get("disabled"):
            raise NotFound("No such artist")
        if profile.get("takenDown"):  # by moderation (moderation/takedowns.py)
            raise NotFound("No such artist")
        return profile

    def page(self, viewer: Principal | None, username: str) -> dict[str, Any]:
        """The public artist page: profile, published albums and tracks, followers."""
        artist = self._artist(username)
        albums, _ = self.albums.list_of(viewer, artist["userId"], limit=100, cursor=None)
        tracks, _ = self.tracks.list(viewer, owner=artist["username"], limit=50, cursor=None)
        followed = (
            viewer is not None
            and self.table.get(*follow_key(viewer.user_id, artist["userId"])) is not None
        )
        return {
            "username": artist["username"],
            "name": artist.get("artistName") or artist["displayName"],
            "bio": artist.get("artistBio", ""),
            "followerCount": artist.get("followerCount", 0),
            "followedByMe": followed,
            "albums": albums,
            "tracks": tracks,
        }

    def follow(self, viewer: Principal, username: str) -> None:
        artist = self._artist(username)
        if artist["userId"] == viewer.user_id:
            raise ValidationFailed("You cannot follow yourself")
        pk, sk = follow_key(viewer.user_id, artist["userId"])
        try:
            self.table.transact(
                [
                    Put(
                        {
                            "PK": pk,
                            "SK": sk,
                            "artistId": artist["userId"],
                            "since": self.clock.now(),
                            "GSI1PK": f"ARTIST#{artist['userId']}#FOLLOWERS",
                            "GSI1SK": viewer.user_id,
                        },
                        condition=ItemAbsent(),
                    ),
                    Update(
                        *profile_key(artist["userId"]),
                        add={"followerCount": 1},
                        condition=ItemPresent(),
                    ),
                ]
            )
        except TransactionFailed:
            pass  # already following: idempotent

    def unfollow(self, viewer: Principal, username: str) -> None:
        artist = self._artist(username)
        try:
            self.table.transact(
                [
                    Delete(*follow_key(viewer.user_id, artist["userId"]), condition=ItemPresent()),
                    Update(
                        *profile_key(artist["userId"]),
                        add={"followerCount": -1},
                        condition=ItemPresent(),
                    ),
                ]
            )
        except TransactionFailed:
            pass  # not following

    def stats(self, principal: Principal) -> list[dict[str, Any]]:
        """Plays and distinct listeners per track over the last 30 days (own tracks)."""
        now = datetime.fromtimestamp(self.clock.now(), UTC)
        start = now - timedelta(days=STATS_DAYS)
        page = self.table.query(
            f"USER#{principal.user_id}#TRACKS", index="GSI1", forward=False, limit=200
        )
        rows = []
        for track in page.items:
            track_id = track["trackId"]
            days = self.table.query(
                f"STATS#TRACK#{track_id}",
                between=(f"DAY#{start:%Y-%m-%d}", f"DAY#{now:%Y-%m-%d}~"),
                limit=STATS_DAYS * 10,
            )
            rows.append(
                {
                    "trackId": track_id,
                    "title": track["title"],
                    "playCount": track.get("playCount", 0),
                    "playsLast30Days": sum(d["plays"] for d in days.items),
                    "listenersLast30Days": self._listeners_since(track_id, iso(start.timestamp())),
                }
            )
        return rows

    def _listeners_since(self, track_id: str, since: str) -> int:
        count, cursor = 0, None
        while True:
            page = self.table.query(
                f"STATS#TRACK#{track_id}#LISTENERS",
                index="GSI1",
                between=(since, "~"),
                limit=1000,
                cursor=cursor,
            )
            count += len(page.items)
            if not (cursor := page.next_cursor):
                return count
