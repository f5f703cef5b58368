"""The audit log: who did what, to what, when, and in which request. Append-only.

Entries are written with ``ItemAbsent`` under time-ordered keys and never changed or
deleted (not even when the account they name is deleted: the log is the platform's
record of what happened, and holds ids and usernames, never emails or content).

- entry ``AUDIT`` / ``{ms:015d}#{ulid}``, newest first by querying backwards;
- GSI1 ``AUDIT#ACTOR#{actorId}`` / the same sort key: one person's actions.

One partition takes every entry: audit events are security events and admin actions
(a few per minute), far below a DynamoDB partition's 1,000 writes a second.

Recording never fails the action it records: a failed write is logged (with the
request id) instead, since the action has already happened.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from ulid import ULID

from soundshelf.core.users import Principal
from soundshelf.logs import request_id_var
from soundshelf.ports.clock import Clock, iso
from soundshelf.ports.table import ItemAbsent, Table

log = logging.getLogger("soundshelf.audit")

AUDIT_PK = "AUDIT"

# What gets recorded (the ``action`` of an entry).
LOGIN_THROTTLED = "auth.login_throttled"
PASSWORD_RESET = "auth.password_reset"
PASSWORD_CHANGED = "auth.password_changed"
API_KEY_CREATED = "apikey.created"
API_KEY_REVOKED = "apikey.revoked"
SHARE_CREATED = "share.created"
SHARE_UPDATED = "share.updated"
SHARE_REVOKED = "share.revoked"
EXPORT_REQUESTED = "account.export_requested"
ACCOUNT_DELETION_REQUESTED = "account.deletion_requested"
ACCOUNT_DELETED = "account.deleted"
USER_UPDATED = "admin.user_updated"
REPORT_RESOLVED = "admin.report_resolved"
TAKEDOWN = "admin.takedown"
TAKEDOWN_RESTORED = "admin.takedown_restored"
REPORTED_ITEM_VIEWED = "admin.reported_item_viewed"


def actor_pk(actor_id: str) -> str:
    return f"AUDIT#ACTOR#{actor_id}"


class AuditRecorder(Protocol):
    def record(
        self,
        action: str,
        *,
        actor: Principal | None = None,
        target_type: str | None = None,
        target_id: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None: ...


class _NoAudit:
    """For services built without an audit log (unit and contract tests)."""

    def record(self, action: str, **_: Any) -> None:
        return None


NO_AUDIT: AuditRecorder = _NoAudit()


class AuditLog:
    def __init__(self, *, table: Table, clock: Clock) -> None:
        self.table = table
        self.clock = clock

    def record(
        self,
        action: str,
        *,
        actor: Principal | None = None,
        target_type: str | None = None,
        target_id: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Append one entry; ``actor`` None means an anonymous caller or the system."""
        now = self.clock.now()
        entry_id = str(ULID())
        sort_key = f"{int(now * 1000):015d}#{entry_id}"
        entry: dict[str, Any] = {
            "PK": AUDIT_PK,
            "SK": sort_key,
            "entryId": entry_id,
            "action": action,
            "at": now,
            "requestId": request_id_var.get(),
            "actorId": actor.user_id if actor else None,
            "actorName": actor.username if actor else None,
            "viaApiKey": actor.via_api_key if actor else None,
            "targetType": target_type,
            "targetId": target_id,
            "details": dict(details or {}),
        }
        if actor is not None:
            entry |= {"GSI1PK": actor_pk(actor.user_id), "GSI1SK": sort_key}
        try:
            self.table.put(
                {k: v for k, v in entry.items() if v is not None}, condition=ItemAbsent()
            )
        except Exception:
            log.exception("could not write an audit entry", extra={"audit": entry})

    def list(
        self, *, actor_id: str | None, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Entries newest first: everyone's, or one actor's."""
        if actor_id:
            page = self.table.query(
                actor_pk(actor_id), index="GSI1", forward=False, limit=limit, cursor=cursor
            )
        else:
            page = self.table.query(AUDIT_PK, forward=False, limit=limit, cursor=cursor)
        return [view(e) for e in page.items], page.next_cursor


def view(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "entryId": entry["entryId"],
        "action": entry["action"],
        "at": iso(entry["at"]),
        "requestId": entry.get("requestId"),
        "actorId": entry.get("actorId"),
        "actorName": entry.get("actorName"),
        "viaApiKey": entry.get("viaApiKey"),
        "targetType": entry.get("targetType"),
        "targetId": entry.get("targetId"),
        "details": entry.get("details", {}),
    }
