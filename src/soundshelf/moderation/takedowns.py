"""Takedowns: hide an item from everyone but its owner, and bring it back.

A takedown sets ``takenDown`` (with ``takedown``: reason, note, by, at) on the item and
rewrites its listing index keys in the same conditional update (``listing_keys`` drops
the public GSI2/GSI3 entries of a taken-down item), so the item leaves the public feed,
the owner's public lists and artist pages at once. Everything else already checks the
flag on read: ``policies.can_view`` (item pages, streams, likes, history, feeds),
playlists (the entry shows as unavailable), share links (404), search (re-indexed as
taken down through ``events.item_changed``). The update bumps ``version``, so an
owner's edit prepared before the takedown fails (412) instead of writing the public keys
back.

An artist takedown flags the profile, which hides the artist page (``Artists._artist``)
whatever the artist does with their artist role; a share takedown kills the link.
"""

from __future__ import annotations

import logging
from typing import Any

from soundshelf.catalog.album_contents import count_ops
from soundshelf.catalog.indexes import listing_keys, split_changes
from soundshelf.core import audit
from soundshelf.core.audit import AuditRecorder
from soundshelf.core.users import Principal
from soundshelf.errors import Conflict, NotFound
from soundshelf.events import ChangeEvents
from soundshelf.moderation.targets import LISTING_KINDS, Targets, owner_of, target_key, title_of
from soundshelf.ports.clock import Clock, iso
from soundshelf.ports.table import (
    AttributeEquals,
    ConditionFailed,
    ItemPresent,
    Table,
    TransactionFailed,
    Update,
)
from soundshelf.social.notifications import Notifications

log = logging.getLogger("soundshelf.moderation")

ATTEMPTS = 5  # an owner's concurrent edit makes the conditional update start over
SEARCH_KINDS = frozenset({"track", "album", "artist", "playlist", "photo"})


class Takedowns:
    def __init__(
        self,
        *,
        table: Table,
        clock: Clock,
        targets: Targets,
        notifications: Notifications,
        audit_log: AuditRecorder,
        events: ChangeEvents,
    ) -> None:
        self.table = table
        self.clock = clock
        self.targets = targets
        self.notifications = notifications
        self.audit = audit_log
        # item_changed after a takedown or restore of a searchable kind, so search
        # re-indexes the item as (not) taken down.
        self.events = events

    def take_down(
        self, admin: Principal, target_type: str, target_id: str, *, reason: str, note: str
    ) -> dict[str, Any]:
        """Idempotent: taking down a taken-down item changes nothing and tells nobody."""
        now = self.clock.now()
        meta = {"reason": reason, "note": note, "by": admin.user_id, "at": now}
        item, changed = self._set_flag(target_type, target_id, meta)
        if changed:
            self._tell_owner(target_type, target_id, item, "takedown", reason=reason, note=note)
            self.audit.record(
                audit.TAKEDOWN,
                actor=admin,
                target_type=target_type,
                target_id=target_id,
                details={"reason": reason, "note": note},
            )
        return self.state(target_type, target_id, item)

    def restore(self, admin: Principal, target_type: str, target_id: str) -> dict[str, Any]:
        item, changed = self._set_flag(target_type, target_id, None)
        if changed:
            self._tell_owner(target_type, target_id, item, "restored")
            self.audit.record(
                audit.TAKEDOWN_RESTORED, actor=admin, target_type=target_type, target_id=target_id
            )
        return self.state(target_type, target_id, item)

    @staticmethod
    def state(target_type: str, target_id: str, item: dict[str, Any]) -> dict[str, Any]:
        meta = item.get("takedown") or {}
        return {
            "targetType": target_type,
            "targetId": target_id,
            "takenDown": bool(item.get("takenDown")),
            "reason": meta.get("reason"),
            "note": meta.get("note"),
            "takenDownAt": iso(meta["at"]) if "at" in meta else None,
        }

    def _set_flag(
        self, target_type: str, target_id: str, meta: dict[str, Any] | None
    ) -> tuple[dict[str, Any], bool]:
        """Set (``meta``) or clear (None) the flag; (item after, whether it changed)."""
        down = meta is not None
        for _ in range(ATTEMPTS):
            item = self.targets.load(target_type, target_id)
            if item is None:
                raise NotFound(f"No such {target_type}")
            if bool(item.get("takenDown")) == down:
                return item, False
            try:
                updated = self._write(target_type, target_id, item, meta)
            except ConditionFailed:
                continue  # the owner changed it meanwhile: recompute from a fresh read
            if target_type in SEARCH_KINDS:
                self.events.item_changed(target_type, target_id)
            return updated, True
        raise Conflict("The item is being changed right now; retry")

    def _write(
        self,
        target_type: str,
        target_id: str,
        item: dict[str, Any],
        meta: dict[str, Any] | None,
    ) -> dict[str, Any]:
        new = {k: v for k, v in item.items() if k not in ("takenDown", "takedown")}
        if meta is not None:
            new |= {"takenDown": True, "takedown": meta}
        changes: dict[str, Any] = {
            "takenDown": new.get("takenDown"),
            "takedown": new.get("takedown"),
        }
        if target_type in LISTING_KINDS:
            changes |= listing_keys(LISTING_KINDS[target_type], new, item["GSI1SK"])
        condition: Any = ItemPresent()
        if "version" in item:
            changes["version"] = item["version"] + 1
            condition = AttributeEquals("version", item["version"])
        set_, remove = split_changes(changes)
        key = target_key(target_type, target_id)
        counts = count_ops(item, new) if target_type == "track" else []
        if not counts:
            return self.table.update(*key, set=set_, remove=remove, condition=condition)
        # A track in an album: the album's stored counts change in the same transaction.
        try:
            self.table.transact(
                [Update(*key, set=set_, remove=remove, condition=condition), *counts]
            )
        except TransactionFailed as exc:
            raise ConditionFailed(str(exc)) from None
        updated = self.table.get(*key)
        if updated is None:
            raise ConditionFailed("The item is gone")
        return updated

    def _tell_owner(
        self,
        target_type: str,
        target_id: str,
        item: dict[str, Any],
        kind: str,
        **extra: str,
    ) -> None:
        """The owner learns what and why, never who reported it."""
        data = {
            "targetType": target_type,
            "targetId": target_id,
            "title": title_of(target_type, item),
            **extra,
        }
        at = (item.get("takedown") or {}).get("at") or self.clock.now()
        source = f"{target_type}:{target_id}:{int(at * 1000)}"
        try:
            self.notifications.notify(owner_of(target_type, item), kind, data, source_id=source)
        except Exception:
            # The takedown stands; a missed notification must not undo or fail it.
            log.exception("could not notify the owner", extra={"target": target_id})
