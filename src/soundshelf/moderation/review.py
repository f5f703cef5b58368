"""What an administrator sees of a reported item: the one way someone's private items
reach an administrator.

``policies.can_view`` gives administrators nothing beyond what anyone else sees. To judge
a report, an administrator opens its item here, and only while the item has open
reports; every such look is recorded in the audit log (who, which item, which report).
Once the reports are resolved, the item is private again, to administrators too.
"""

from __future__ import annotations

from typing import Any

from soundshelf.core import audit
from soundshelf.core.audit import AuditRecorder
from soundshelf.core.users import Principal
from soundshelf.errors import NotFound
from soundshelf.moderation.reports import aggregate_key, report_key
from soundshelf.moderation.targets import Targets
from soundshelf.ports.table import Table
from soundshelf.shares.service import Shares

# An artist's page is public already: its profile fields are what is reported.
_PROFILE_FIELDS = ("userId", "username", "displayName", "artistName", "bio")
_SHARE_FIELDS = ("shareId", "targetType", "targetId", "description", "allowDownload")
MAX_REPORT_ID = 64


class ReportedItems:
    def __init__(
        self, *, table: Table, targets: Targets, shares: Shares, audit_log: AuditRecorder
    ) -> None:
        self.table = table
        self.targets = targets
        self.shares = shares
        self.audit = audit_log

    def open(self, admin: Principal, report_id: str) -> dict[str, Any]:
        """The item of ``report_id`` with its media URLs, while it has open reports;
        404 otherwise (resolved, or the item is gone). Recorded in the audit log."""
        report = self.table.get(*report_key(report_id)) if len(report_id) <= MAX_REPORT_ID else None
        if report is None:
            raise NotFound("No such report")
        kind, target_id = report["targetType"], report["targetId"]
        aggregate = self.table.get(*aggregate_key(kind, target_id))
        if (
            aggregate is None
            or aggregate.get("status", "open") != "open"
            or int(aggregate.get("openCount", 0)) <= 0
        ):
            raise NotFound("This item has no open report: it is its owner's alone again")
        item = self.targets.load(kind, target_id)
        if item is None:
            raise NotFound("The reported item is gone")
        self.audit.record(
            audit.REPORTED_ITEM_VIEWED,
            actor=admin,
            target_type=kind,
            target_id=target_id,
            details={"reportId": report_id},
        )
        return {
            "reportId": report_id,
            "targetType": kind,
            "targetId": target_id,
            "item": self._present(kind, item),
        }

    def _present(self, kind: str, item: dict[str, Any]) -> dict[str, Any]:
        if kind == "artist":
            return {k: item[k] for k in _PROFILE_FIELDS if k in item}
        if kind == "share":  # the link, and what it shows (often a private item)
            shared = self.targets.load(item["targetType"], item["targetId"])
            return {
                **{k: item[k] for k in _SHARE_FIELDS if k in item},
                "shared": self._present(item["targetType"], shared) if shared else None,
            }
        # Files are downloaded: judging one means opening it.
        return self.shares.present(kind, item, download=kind == "file")
