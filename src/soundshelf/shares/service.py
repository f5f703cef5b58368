"""Share links.

A link's token is 128 random bits; only its SHA-256 is stored (``SHARETOKEN#{hash}``
points at ``SHARE#{shareId}``), so a leaked table gives no working links. Both items are
written and deleted together, and every open reads them strongly consistently, so a
revoked link is dead at once. Expiry is checked in code (the TTL attribute only cleans up).
A link opens exactly its target: the public view carries short-lived signed media URLs
and never the owner's private data (email, GPS-bearing photo originals, file names of
tracks).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from ulid import ULID

from soundshelf.accounts.throttles import share_password_throttle
from soundshelf.catalog.albums import Albums
from soundshelf.catalog.listen_copies import ListenCopies
from soundshelf.catalog.tracks import Tracks
from soundshelf.config import Settings
from soundshelf.core import audit as audit_actions
from soundshelf.core.audit import NO_AUDIT, AuditRecorder
from soundshelf.core.users import Principal, profile_key
from soundshelf.errors import NotAuthenticated, NotFound, ValidationFailed
from soundshelf.files.service import Files
from soundshelf.photos.service import Photos
from soundshelf.playlists import Playlists
from soundshelf.ports.clock import Clock, iso
from soundshelf.ports.table import (
    AttributeEquals,
    Delete,
    ItemAbsent,
    ItemPresent,
    Put,
    Table,
    TransactionFailed,
    Update,
)
from soundshelf.ratelimit import RateLimiter

TargetType = Literal["track", "album", "playlist", "photo", "file"]
TARGET_TYPES = ("track", "album", "playlist", "photo", "file")
MAX_DESCRIPTION = 1_000
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class SharePasswordRequired(NotAuthenticated):
    code, title = "share_password_required", "This link needs a password"


class WrongSharePassword(NotAuthenticated):
    code, title = "invalid_share_password", "Wrong password for this link"


def share_key(share_id: str) -> tuple[str, str]:
    return f"SHARE#{share_id}", "SHARE"


def token_key(token: str) -> tuple[str, str]:
    return f"SHARETOKEN#{hashlib.sha256(token.encode()).hexdigest()}", "SHARETOKEN"


class Shares:
    def __init__(
        self,
        *,
        table: Table,
        clock: Clock,
        settings: Settings,
        limiter: RateLimiter,
        tracks: Tracks,
        albums: Albums,
        playlists: Playlists,
        photos: Photos,
        files: Files,
        listen_copies: ListenCopies,
        audit: AuditRecorder = NO_AUDIT,
    ) -> None:
        self.table = table
        self.clock = clock
        self.settings = settings
        self.limiter = limiter
        self.tracks = tracks
        self.albums = albums
        self.playlists = playlists
        self.photos = photos
        self.files = files
        self.listen_copies = listen_copies
        self.audit = audit
        self.password_throttle = share_password_throttle(table, clock, limiter)

    # --- owner side --------------------------------------------------------------------------

    def create(
        self,
        owner: Principal,
        *,
        target_type: str,
        target_id: str,
        expires_in: int | None,
        password: str | None,
        allow_download: bool,
        description: str | None = None,
    ) -> tuple[dict[str, Any], str]:
        """A new link to one of the owner's items; returns (share, token). The token is
        shown once: only its hash is kept. ``description`` is shown to visitors."""
        if target_type not in TARGET_TYPES:
            raise ValidationFailed(f"targetType is one of {', '.join(TARGET_TYPES)}")
        target = self._target(target_type, target_id)
        if target is None or target["ownerId"] != owner.user_id:
            raise NotFound(f"No such {target_type} of yours")  # only the owner shares
        ttl = self.settings.share_default_ttl if expires_in is None else expires_in
        self._check_lifetime(ttl)
        if password is not None and not 4 <= len(password) <= 256:
            raise ValidationFailed("A link password has 4 to 256 characters")
        description = _description(description)
        token, share_id, now = secrets.token_urlsafe(16), str(ULID()), self.clock.now()
        share = {
            "PK": share_key(share_id)[0],
            "SK": share_key(share_id)[1],
            "shareId": share_id,
            "ownerId": owner.user_id,
            "targetType": target_type,
            "targetId": target_id,
            "title": _title(target_type, target),
            "description": description or None,
            "allowDownload": allow_download,
            "passwordHash": _HASHER.hash(password) if password else None,
            "createdAt": now,
            "expiresAt": int(now + ttl),
            "tokenKey": token_key(token)[0],
            "GSI1PK": f"USER#{owner.user_id}#SHARES",
            "GSI1SK": f"{iso(now)}#{share_id}",
        }
        self.table.transact(
            [
                Put({k: v for k, v in share.items() if v is not None}, condition=ItemAbsent()),
                Put(
                    {
                        "PK": token_key(token)[0],
                        "SK": token_key(token)[1],
                        "shareId": share_id,
                        "expiresAt": share["expiresAt"],
                    },
                    condition=ItemAbsent(),
                ),
            ]
        )
        if not allow_download:
            self._ask_for_listen_copies(target_type, target)
        self.audit.record(
            audit_actions.SHARE_CREATED,
            actor=owner,
            target_type="share",
            target_id=share_id,
            details={"targetType": target_type, "targetId": target_id},
        )
        return share, token

    def list(self, owner: Principal, *, limit: int, cursor: str | None):
        page = self.table.query(
            f"USER#{owner.user_id}#SHARES", index="GSI1", forward=False, limit=limit, cursor=cursor
        )
        return [self.view(s) for s in page.items], page.next_cursor

    def view(self, share: dict[str, Any]) -> dict[str, Any]:
        return {
            "shareId": share["shareId"],
            "targetType": share["targetType"],
            "targetId": share["targetId"],
            "title": share.get("title", ""),
            "description": share.get("description") or "",
            "allowDownload": share["allowDownload"],
            "hasPassword": bool(share.get("passwordHash")),
            "createdAt": iso(share["createdAt"]),
            "expiresAt": iso(share["expiresAt"]),
            "expired": share["expiresAt"] <= self.clock.now(),
        }

    def update(
        self,
        owner: Principal,
        share_id: str,
        *,
        description: str | None = None,
        expires_in: int | None = None,
    ) -> dict[str, Any]:
        """A new description (shown to visitors; "" removes it) and/or a new expiry,
        ``expires_in`` seconds from now. An expired link stays expired: its token item may
        already be gone (the table's TTL), so it could not come back to life anyway."""
        share = self.table.get(*share_key(share_id))
        if share is None or share["ownerId"] != owner.user_id:
            raise NotFound("No such link")
        if share["expiresAt"] <= self.clock.now():
            raise NotFound("This link has expired")
        ops: list[Any] = []
        changes: dict[str, Any] = {}
        if expires_in is not None:
            self._check_lifetime(expires_in)
            changes["expiresAt"] = int(self.clock.now() + expires_in)
            # The token item carries the expiry too, for the TTL that cleans it up.
            ops.append(
                Update(
                    share["tokenKey"],
                    "SHARETOKEN",
                    set={"expiresAt": changes["expiresAt"]},
                    condition=ItemPresent(),
                )
            )
        cleared: list[str] = []
        if description is not None:
            text = _description(description)
            if text:
                changes["description"] = text
            else:
                cleared.append("description")
        if not changes and not cleared:
            return self.view(share)
        ops.append(
            Update(
                *share_key(share_id),
                set=changes,
                remove=cleared,
                condition=AttributeEquals("ownerId", owner.user_id),
            )
        )
        try:
            self.table.transact(ops)
        except TransactionFailed:
            raise NotFound("No such link") from None  # revoked meanwhile
        self.audit.record(
            audit_actions.SHARE_UPDATED, actor=owner, target_type="share", target_id=share_id
        )
        updated = {k: v for k, v in share.items() if k not in cleared}
        return self.view({**updated, **changes})

    def _check_lifetime(self, seconds: int) -> None:
        if not 60 <= seconds <= self.settings.share_max_ttl:
            raise ValidationFailed(
                f"expiresInSeconds is between 60 and {self.settings.share_max_ttl}"
            )

    def revoke(self, owner: Principal, share_id: str) -> None:
        share = self.table.get(*share_key(share_id))
        if share is None or share["ownerId"] != owner.user_id:
            raise NotFound("No such link")
        self.table.transact(
            [
                Delete(*share_key(share_id), condition=AttributeEquals("ownerId", owner.user_id)),
                Delete(share["tokenKey"], "SHARETOKEN"),
            ]
        )
        self.audit.record(
            audit_actions.SHARE_REVOKED, actor=owner, target_type="share", target_id=share_id
        )

    # --- visitor side ------------------------------------------------------------------------

    def open(self, token: str, *, password: str | None, client: str) -> dict[str, Any]:
        """What a link shows, for anyone holding it; 404 once expired or revoked.
        ``client`` is the caller's address (password guesses are throttled by it)."""
        share = self._live_share(token)
        if share.get("passwordHash"):
            self._check_password(share, password, client)
        target = self._target(share["targetType"], share["targetId"])
        owner = self.table.get(*profile_key(share["ownerId"]))
        if target is None or target.get("takenDown") or owner is None or owner.get("disabled"):
            raise NotFound("This link does not work any more")
        return {
            "targetType": share["targetType"],
            "description": share.get("description", ""),
            "expiresAt": iso(share["expiresAt"]),
            "allowDownload": share["allowDownload"],
            "owner": owner.get("displayName") or owner["username"],
            share["targetType"]: self._public_view(share, target),
        }

    def _live_share(self, token: str) -> dict[str, Any]:
        if not 10 <= len(token) <= 64:
            raise NotFound("No such link")
        pointer = self.table.get(*token_key(token))
        share = self.table.get(*share_key(pointer["shareId"])) if pointer else None
        if share is None or share["expiresAt"] <= self.clock.now() or share.get("takenDown"):
            raise NotFound("No such link")
        return share

    def _check_password(self, share: dict[str, Any], password: str | None, client: str) -> None:
        """Guesses slow down per link and source (``accounts.throttles``): one visitor's
        wrong passwords never lock the link for the others."""
        if not password:
            raise SharePasswordRequired()
        link = share["shareId"]
        failures = self.password_throttle.ensure_allowed(link, client)
        try:
            _HASHER.verify(share["passwordHash"], password)
        except (VerificationError, InvalidHashError):
            self.password_throttle.failed(link, client)
            raise WrongSharePassword() from None
        self.password_throttle.succeeded(link, client, failures=failures)

    def _target(self, target_type: str, target_id: str) -> dict[str, Any] | None:
        loaders = {
            "track": self.tracks.load,
            "album": self.albums.load,
            "playlist": self._playlist_header,
            "photo": self.photos.load,
            "file": self.files.load,
        }
        if len(target_id) > 64:
            return None
        return loaders[target_type](target_id)

    def _playlist_header(self, playlist_id: str) -> dict[str, Any] | None:
        loaded = self.playlists.load(playlist_id)
        return loaded.header if loaded else None

    def _public_view(self, share: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
        return self.present(share["targetType"], target, download=share["allowDownload"])

    def present(self, kind: str, target: dict[str, Any], *, download: bool) -> dict[str, Any]:
        """An item as a link shows it, with signed media URLs and nothing private of its
        owner's (also what an administrator reviewing a reported item sees)."""
        if kind == "track":
            return self._track(target, download)
        if kind == "album":
            tracks = self.albums.owner_tracks(target["albumId"], target["ownerId"])
            return {
                **self.albums.view(target, None, as_owner=True),
                "tracks": [self._track(t, download) for t in tracks],
            }
        if kind == "playlist":
            playlist = self.playlists.get_for_share(target["playlistId"])
            for entry in playlist["entries"]:
                if entry.get("track"):
                    track = self.tracks.load(entry["track"]["trackId"])
                    entry["track"] = self._track(track, download) if track else None
            return playlist
        if kind == "photo":
            view = self.photos.view(target, None)  # no original: it carries EXIF
            return view
        view = self.files.view(target)
        if download:
            view["downloadUrl"] = self.files.download_url(target)
        return view

    def _ask_for_listen_copies(self, kind: str, target: dict[str, Any]) -> None:
        """Have the copies made that the new listen-only link will play (bounded: an
        album's or a playlist's own limits)."""
        if kind == "track":
            tracks = [target]
        elif kind == "album":
            tracks = self.albums.owner_tracks(target["albumId"], target["ownerId"])
        elif kind == "playlist":
            entries = self.playlists.get_for_share(target["playlistId"])["entries"]
            ids = [e["track"]["trackId"] for e in entries if e.get("track")]
            tracks = [t for t in (self.tracks.load(i) for i in ids) if t is not None]
        else:
            return
        for track in tracks:
            self.listen_copies.request(track)

    def _track(self, track: dict[str, Any], download: bool) -> dict[str, Any]:
        view = self.tracks.view(track, liked=False, viewer=None)
        view["waveform"] = self.tracks.peaks(track)
        if download:
            view["streamUrl"] = self.tracks.rendition_url(track, "high")
            view["downloadUrl"] = self.tracks.download_url(track)
        else:  # an MP3 or AAC original streams as is: its URL would hand out the file
            view["streamUrl"] = self.tracks.listen_url(track)
            if view["streamUrl"] is None:  # plays once its copy is made
                self.listen_copies.request(track)
        return view


def _description(text: str | None) -> str:
    text = (text or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise ValidationFailed(f"A description has at most {MAX_DESCRIPTION} characters")
    return text


def _title(target_type: str, target: dict[str, Any]) -> str:
    return str(
        target.get("title")
        or target.get("name")
        or target.get("caption")
        or target.get("filename")
        or target_type
    )
