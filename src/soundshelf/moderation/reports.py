"""Reports by users and the moderation queue.

Storage (see docs/data-model.md, "Moderation and administration"):

- **report** ``REPORT#{reportId}`` / ``REPORT``: reporter, target, reason, details,
  status, the target's ``round`` it belongs to. GSI1 ``REPORTTARGET#{type}#{id}`` /
  ``{round:06d}#{ms}#{reportId}`` (a target's reports, by round); GSI2
  ``USER#{reporter}#REPORTS`` (a reporter's reports, for account deletion);
- **lock** ``REPORTLOCK#{type}#{id}#{reporter}`` / ``LOCK``: exists while the reporter
  has an open report on the target; its ``ItemAbsent`` put is the "one open report per
  reporter and target" rule (409);
- **target aggregate** ``REPORTTARGET#{type}#{id}`` / ``TARGET``: ``round``, counts
  (open, total, open per reason), first/last report time. While it has open reports
  it is in GSI1 ``REPORTS#open`` sorted by the last report time: the moderation queue
  is one Query, newest first. Once resolved it moves to GSI2 ``REPORTS#resolved``.
  GSI3 ``USER#{owner}#REPORTED`` finds the reports against a user's items.

A report is one transaction: put the report and the lock, ADD to the aggregate
(condition: its ``round`` is the one read) and to the open-reports counter. Resolving a
target bumps ``round`` (condition: ``round`` and ``openCount`` unchanged) in one
transaction with the counter, so a report that races with a resolution either counts
in the round being resolved or lands in the next one, never in between. The round's
report items are then closed in batches (the rest through the ``resolve_reports``
job). The owner of a target is never told who reported it.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any, Literal

from ulid import ULID

from soundshelf.core import audit
from soundshelf.core.audit import AuditRecorder
from soundshelf.core.stats import counter_update
from soundshelf.core.users import Principal
from soundshelf.errors import Conflict, NotFound, ValidationFailed
from soundshelf.moderation.takedowns import Takedowns
from soundshelf.moderation.targets import Targets, check_type, owner_of
from soundshelf.ports.clock import Clock, iso
from soundshelf.ports.jobs import JobQueue
from soundshelf.ports.table import (
    AttributeAbsent,
    AttributeEquals,
    Delete,
    Item,
    ItemAbsent,
    Key,
    Put,
    Table,
    TransactionFailed,
    Update,
    WriteOp,
)

log = logging.getLogger("soundshelf.moderation")

Reason = Literal["copyright", "offensive", "illegal", "spam", "other"]
REASONS: tuple[Reason, ...] = ("copyright", "offensive", "illegal", "spam", "other")
RESOLVE_REPORTS = "resolve_reports"
MAX_DETAILS = 2_000
ATTEMPTS = 5  # transactions that lost a race are rebuilt from a fresh read this often
CLOSE_BATCH = 49  # reports closed per transaction: an update and a lock delete each
INLINE_CLOSE_BATCHES = 4  # closed in the resolving request, then the job goes on
OPEN, RESOLVED = "REPORTS#open", "REPORTS#resolved"


def report_key(report_id: str) -> Key:
    return f"REPORT#{report_id}", "REPORT"


def aggregate_key(target_type: str, target_id: str) -> Key:
    return f"REPORTTARGET#{target_type}#{target_id}", "TARGET"


def lock_key(target_type: str, target_id: str, reporter_id: str) -> Key:
    return f"REPORTLOCK#{target_type}#{target_id}#{reporter_id}", "LOCK"


def reporter_pk(user_id: str) -> str:
    return f"USER#{user_id}#REPORTS"


def reported_pk(owner_id: str) -> str:
    return f"USER#{owner_id}#REPORTED"


def _ms(ts: float) -> str:
    return f"{int(ts * 1000):015d}"


def _round_prefix(round_: int) -> str:
    return f"{round_:06d}#"


def _reason_attr(reason: str) -> str:
    return f"open{reason.capitalize()}"


class Reports:
    def __init__(
        self,
        *,
        table: Table,
        clock: Clock,
        jobs: JobQueue,
        targets: Targets,
        takedowns: Takedowns,
        audit_log: AuditRecorder,
    ) -> None:
        self.table = table
        self.clock = clock
        self.jobs = jobs
        self.targets = targets
        self.takedowns = takedowns
        self.audit = audit_log

    # --- reporting -------------------------------------------------------------------------

    def create(
        self,
        reporter: Principal,
        *,
        target_type: str,
        target_id: str,
        reason: str,
        details: str | None,
    ) -> dict[str, Any]:
        check_type(target_type)
        if reason not in REASONS:
            raise ValidationFailed(f"reason is one of {', '.join(REASONS)}")
        details = (details or "").strip()
        if len(details) > MAX_DETAILS:
            raise ValidationFailed(f"details has at most {MAX_DETAILS} characters")
        stored_id, item = self.targets.visible_to(reporter, target_type, target_id)
        owner_id = owner_of(target_type, item)
        if owner_id == reporter.user_id:
            raise ValidationFailed(f"You cannot report your own {target_type}")
        for _ in range(ATTEMPTS):
            aggregate = self.table.get(*aggregate_key(target_type, stored_id))
            report = self._new_report(reporter, target_type, stored_id, reason, details, aggregate)
            try:
                self.table.transact(self._report_ops(report, owner_id, aggregate))
            except TransactionFailed as exc:
                if 1 in exc.failed_indexes:
                    raise Conflict(
                        f"You already reported this {target_type}; it is being reviewed"
                    ) from None
                continue  # resolved (or first reported) meanwhile: join the current round
            return report_view(report)
        raise Conflict("This item is being moderated right now; retry")

    def _new_report(
        self,
        reporter: Principal,
        target_type: str,
        target_id: str,
        reason: str,
        details: str,
        aggregate: Item | None,
    ) -> Item:
        report_id, now = str(ULID()), self.clock.now()
        round_ = aggregate["round"] if aggregate else 1
        return {
            "PK": report_key(report_id)[0],
            "SK": report_key(report_id)[1],
            "reportId": report_id,
            "reporterId": reporter.user_id,
            "reporterName": reporter.username,
            "targetType": target_type,
            "targetId": target_id,
            "reason": reason,
            "details": details,
            "status": "open",
            "round": round_,
            "createdAt": now,
            "GSI1PK": aggregate_key(target_type, target_id)[0],
            "GSI1SK": f"{_round_prefix(round_)}{_ms(now)}#{report_id}",
            "GSI2PK": reporter_pk(reporter.user_id),
            "GSI2SK": f"{_ms(now)}#{report_id}",
        }

    @staticmethod
    def _report_ops(report: Item, owner_id: str, aggregate: Item | None) -> list[WriteOp]:
        target_type, target_id, now = report["targetType"], report["targetId"], report["createdAt"]
        first_open = aggregate is None or not aggregate.get("openCount")
        set_: dict[str, Any] = {
            "targetType": target_type,
            "targetId": target_id,
            "ownerId": owner_id,
            "status": "open",
            "lastReportAt": now,
            "lastReportId": report["reportId"],
            "GSI1PK": OPEN,
            "GSI1SK": f"{_ms(now)}#{target_type}#{target_id}",
            "GSI3PK": reported_pk(owner_id),
            "GSI3SK": f"{target_type}#{target_id}",
        }
        if first_open:
            set_["firstReportAt"] = now
        if aggregate is None:
            set_["round"] = 1
        aggregate_update = Update(
            *aggregate_key(target_type, target_id),
            set=set_,
            add={"openCount": 1, "totalCount": 1, _reason_attr(report["reason"]): 1},
            remove=["GSI2PK", "GSI2SK"],  # out of the resolved list while open again
            condition=(
                AttributeAbsent("round")
                if aggregate is None
                else AttributeEquals("round", aggregate["round"])
            ),
        )
        lock_pk, lock_sk = lock_key(target_type, target_id, report["reporterId"])
        return [
            Put(report, condition=ItemAbsent()),
            Put({"PK": lock_pk, "SK": lock_sk, "reportId": report["reportId"]}, ItemAbsent()),
            aggregate_update,
            counter_update({"openReports": 1}),
        ]

    # --- the queue ---------------------------------------------------------------------------

    def queue(
        self, *, status: str, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Reported targets, most recently reported (or resolved) first."""
        if status not in ("open", "resolved"):
            raise ValidationFailed("status is open or resolved")
        index, pk = ("GSI1", OPEN) if status == "open" else ("GSI2", RESOLVED)
        page = self.table.query(pk, index=index, forward=False, limit=limit, cursor=cursor)
        summaries = self.targets.summaries((a["targetType"], a["targetId"]) for a in page.items)
        groups = [group_view(a, summaries[(a["targetType"], a["targetId"])]) for a in page.items]
        return groups, page.next_cursor

    def group(self, report_id: str, *, limit: int, cursor: str | None) -> dict[str, Any]:
        """A report's target with the reports of the same round (newest first)."""
        report = self._report(report_id)
        ref = (report["targetType"], report["targetId"])
        aggregate = self.table.get(*aggregate_key(*ref))
        if aggregate is None:
            raise NotFound("No such report")
        page = self.table.query(
            aggregate_key(*ref)[0],
            index="GSI1",
            begins_with=_round_prefix(report["round"]),
            forward=False,
            limit=limit,
            cursor=cursor,
        )
        summary = self.targets.summaries([ref])[ref]
        return {
            **group_view(aggregate, summary),
            "reports": [report_view(r, with_reporter=True) for r in page.items],
            "nextCursor": page.next_cursor,
        }

    def _report(self, report_id: str) -> Item:
        report = self.table.get(*report_key(report_id)) if len(report_id) <= 64 else None
        if report is None:
            raise NotFound("No such report")
        return report

    # --- resolving ---------------------------------------------------------------------------

    def resolve(
        self,
        admin: Principal,
        report_id: str,
        *,
        action: str,
        note: str,
        reason: str | None = None,
    ) -> dict[str, Any]:
        """Resolve every open report of the report's target; ``takedown`` also hides the
        target (with ``reason``, by default the most reported one, and ``note``, both
        shown to the owner)."""
        if action not in ("dismiss", "takedown"):
            raise ValidationFailed("action is dismiss or takedown")
        if reason is not None and reason not in REASONS:
            raise ValidationFailed(f"reason is one of {', '.join(REASONS)}")
        report = self._report(report_id)
        ref = (report["targetType"], report["targetId"])
        aggregate = self._open_round(report)
        if action == "takedown":
            reason = reason or _top_reason(aggregate)
            try:
                self.takedowns.take_down(admin, *ref, reason=reason, note=note)
            except NotFound:
                raise Conflict("The reported item no longer exists; dismiss the reports") from None
        resolution = {
            "action": action,
            "note": note,
            "reason": reason,
            "by": admin.user_id,
            "at": self.clock.now(),
        }
        closed = self._close_aggregate(report, resolution)
        self.close_round(
            *ref, report["round"], resolution, cursor=None, max_batches=INLINE_CLOSE_BATCHES
        )
        self.audit.record(
            audit.REPORT_RESOLVED,
            actor=admin,
            target_type=ref[0],
            target_id=ref[1],
            details={"reportId": report_id, "action": action, "note": note, "reports": closed},
        )
        aggregate = self.table.get(*aggregate_key(*ref)) or aggregate
        return {**group_view(aggregate, self.targets.summaries([ref])[ref]), "resolved": closed}

    def _open_round(self, report: Item) -> Item:
        aggregate = self.table.get(*aggregate_key(report["targetType"], report["targetId"]))
        if (
            aggregate is None
            or aggregate["round"] != report["round"]
            or not aggregate.get("openCount")
        ):
            raise Conflict("These reports were already resolved")
        return aggregate

    def _close_aggregate(self, report: Item, resolution: dict[str, Any]) -> int:
        """Move the target to its next round; returns how many open reports it had."""
        for _ in range(ATTEMPTS):
            aggregate = self._open_round(report)
            count = int(aggregate["openCount"])
            target = f"{report['targetType']}#{report['targetId']}"
            update = Update(
                *aggregate_key(report["targetType"], report["targetId"]),
                set={
                    "round": aggregate["round"] + 1,
                    "openCount": 0,
                    **{_reason_attr(r): 0 for r in REASONS},
                    "status": "resolved",
                    "resolution": {**resolution, "reports": count},
                    "GSI2PK": RESOLVED,
                    "GSI2SK": f"{_ms(resolution['at'])}#{target}",
                },
                remove=["GSI1PK", "GSI1SK"],
                condition=[
                    AttributeEquals("round", aggregate["round"]),
                    AttributeEquals("openCount", aggregate["openCount"]),
                ],
            )
            try:
                self.table.transact([update, counter_update({"openReports": -count})])
            except TransactionFailed:
                continue  # another report arrived meanwhile: it joins this resolution
            return count
        raise Conflict("This item is being reported right now; retry")

    def close_round(
        self,
        target_type: str,
        target_id: str,
        round_: int,
        resolution: dict[str, Any],
        *,
        cursor: str | None,
        max_batches: int,
    ) -> None:
        """Mark the round's reports resolved and drop their locks (reporters may report
        again); what does not fit in ``max_batches`` goes on in the job."""
        for _ in range(max_batches):
            page = self.table.query(
                aggregate_key(target_type, target_id)[0],
                index="GSI1",
                begins_with=_round_prefix(round_),
                limit=CLOSE_BATCH,
                cursor=cursor,
            )
            ops: list[WriteOp] = []
            for report in page.items:
                if report["status"] != "open":
                    continue  # closed by an earlier delivery
                ops.append(
                    Update(
                        report["PK"],
                        report["SK"],
                        set={
                            "status": "dismissed"
                            if resolution["action"] == "dismiss"
                            else "taken_down",
                            "resolvedAt": resolution["at"],
                            "resolvedBy": resolution["by"],
                        },
                    )
                )
                if "reporterId" in report:  # gone when the reporter's account was deleted
                    ops.append(Delete(*lock_key(target_type, target_id, report["reporterId"])))
            if ops:
                self.table.transact(ops)
            cursor = page.next_cursor
            if cursor is None:
                return
        payload = {
            "targetType": target_type,
            "targetId": target_id,
            "round": round_,
            "resolution": resolution,
            "cursor": cursor,
        }
        self.jobs.enqueue(RESOLVE_REPORTS, payload)

    # --- account deletion ------------------------------------------------------------------

    def forget_reporter(self, user_id: str, *, limit: int) -> int:
        """Strip one page of a deleted user's reports of who made them (the reports
        stay for the items' history); returns how many were changed."""
        page = self.table.query(reporter_pk(user_id), index="GSI2", limit=limit)
        for report in page.items:
            self.table.transact(
                [
                    Update(
                        report["PK"],
                        report["SK"],
                        set={"reporterName": "(deleted account)"},
                        remove=["reporterId", "GSI2PK", "GSI2SK"],
                    ),
                    Delete(*lock_key(report["targetType"], report["targetId"], user_id)),
                ]
            )
        return len(page.items)

    def forget_target_page(self, owner_id: str, *, limit: int) -> int:
        """One step of removing the reports against a deleted user's items: a page of
        one target's reports, or the target's aggregate once they are gone (open
        reports leave the counter with it). Returns how many items were deleted."""
        page = self.table.query(reported_pk(owner_id), index="GSI3", limit=1)
        if not page.items:
            return 0
        aggregate = page.items[0]
        ref = (aggregate["targetType"], aggregate["targetId"])
        reports = self.table.query(aggregate_key(*ref)[0], index="GSI1", limit=limit).items
        if reports:
            ops: list[WriteOp] = [Delete(r["PK"], r["SK"]) for r in reports]
            ops += [Delete(*lock_key(*ref, r["reporterId"])) for r in reports if "reporterId" in r]
            for start in range(0, len(ops), 100):
                self.table.transact(ops[start : start + 100])
            return len(reports)
        try:
            self.table.transact(
                [
                    Delete(
                        *aggregate_key(*ref),
                        condition=AttributeEquals("openCount", aggregate.get("openCount", 0)),
                    ),
                    counter_update({"openReports": -int(aggregate.get("openCount", 0))}),
                ]
            )
        except TransactionFailed:
            pass  # changed meanwhile: the next step reads it again
        return 1


class ResolveReportsJob:
    """``resolve_reports``: closes the rest of a big resolution, a few batches a job."""

    def __init__(self, reports: Reports) -> None:
        self.reports = reports

    def handle(self, payload: dict[str, Any]) -> None:
        self.reports.close_round(
            payload["targetType"],
            payload["targetId"],
            payload["round"],
            payload["resolution"],
            cursor=payload.get("cursor"),
            max_batches=20,
        )

    def give_up(self, payload: dict[str, Any], error: str) -> None:
        # The target is resolved; some reports stay "open" and keep their reporters'
        # locks until an admin resolves the target again.
        log.warning("closing reports abandoned", extra={"payload": payload, "error": error})


def _top_reason(aggregate: Item) -> str:
    counts = Counter({r: int(aggregate.get(_reason_attr(r), 0)) for r in REASONS})
    return counts.most_common(1)[0][0]


def report_view(report: Item, *, with_reporter: bool = False) -> dict[str, Any]:
    view = {
        "reportId": report["reportId"],
        "targetType": report["targetType"],
        "targetId": report["targetId"],
        "reason": report["reason"],
        "details": report.get("details", ""),
        "status": report["status"],
        "createdAt": iso(report["createdAt"]),
    }
    if with_reporter:
        view["reporter"] = report.get("reporterName")
    return view


def group_view(aggregate: Item, target: dict[str, Any] | None) -> dict[str, Any]:
    resolution = aggregate.get("resolution")
    return {
        "reportId": aggregate["lastReportId"],
        "targetType": aggregate["targetType"],
        "targetId": aggregate["targetId"],
        "status": aggregate.get("status", "open"),
        "openCount": int(aggregate.get("openCount", 0)),
        "totalCount": int(aggregate.get("totalCount", 0)),
        "reasons": {r: int(aggregate.get(_reason_attr(r), 0)) for r in REASONS},
        "firstReportedAt": iso(aggregate["firstReportAt"]),
        "lastReportedAt": iso(aggregate["lastReportAt"]),
        "target": target,
        "resolution": (
            {
                "action": resolution["action"],
                "note": resolution.get("note", ""),
                "reason": resolution.get("reason"),
                "by": resolution.get("by"),
                "at": iso(resolution["at"]),
                "reports": int(resolution.get("reports", 0)),
            }
            if resolution
            else None
        ),
    }
