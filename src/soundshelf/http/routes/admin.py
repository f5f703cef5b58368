"""Administration (``/api/v1/admin``): the moderation queue, takedowns, users, platform
statistics and the audit log. Every route here is for admins only: the router itself
depends on ``admin_user``, so a route added later cannot forget the guard."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from pydantic import Field

from soundshelf.http.deps import AdminUser, ServicesDep, admin_user
from soundshelf.http.models import ApiModel
from soundshelf.http.pagination import Cursor, Limit
from soundshelf.http.routes.reports import Reason, Report, TargetType

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(admin_user)])


# --- reports and takedowns -------------------------------------------------------------------


class TargetSummary(ApiModel):
    title: str
    owner: str | None
    owner_id: str
    visibility: str | None
    taken_down: bool


class Resolution(ApiModel):
    action: Literal["dismiss", "takedown"]
    note: str
    reason: str | None
    by: str | None
    at: str
    reports: int


class ReportGroup(ApiModel):
    report_id: str = Field(description="The latest report: resolve the group with it")
    target_type: TargetType
    target_id: str
    status: Literal["open", "resolved"]
    open_count: int
    total_count: int
    reasons: dict[str, int] = Field(description="Open reports per reason")
    first_reported_at: str
    last_reported_at: str
    target: TargetSummary | None = Field(description="None once the item is gone")
    resolution: Resolution | None


class ReportGroupList(ApiModel):
    items: list[ReportGroup]
    next_cursor: str | None


class ReportWithReporter(Report):
    reporter: str | None


class ReportGroupDetail(ReportGroup):
    reports: list[ReportWithReporter]
    next_cursor: str | None


class ResolvedGroup(ReportGroup):
    resolved: int = Field(description="How many open reports this resolved")


class ResolveRequest(ApiModel):
    action: Literal["dismiss", "takedown"]
    note: str = Field(default="", max_length=2000, description="Shown to the owner")
    reason: Reason | None = Field(
        default=None, description="For a takedown; the most reported reason by default"
    )


class TakedownRequest(ApiModel):
    reason: Reason
    note: str = Field(default="", max_length=2000, description="Shown to the owner")


class TakedownState(ApiModel):
    target_type: TargetType
    target_id: str
    taken_down: bool
    reason: str | None
    note: str | None
    taken_down_at: str | None


@router.get("/reports")
async def list_reports(
    services: ServicesDep,
    status_: Annotated[Literal["open", "resolved"], Query(alias="status")] = "open",
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ReportGroupList:
    """Reported items with their report counts, the most recently reported (or resolved)
    first."""
    items, next_cursor = services.reports.queue(status=status_, limit=limit, cursor=cursor)
    return ReportGroupList(items=items, next_cursor=next_cursor)


@router.get("/reports/{report_id}")
async def get_report(
    report_id: str, services: ServicesDep, limit: Limit = 50, cursor: Cursor = None
) -> ReportGroupDetail:
    """A report's item with every report of the same round (who reported, and why)."""
    return ReportGroupDetail(**services.reports.group(report_id, limit=limit, cursor=cursor))


class ReportedItem(ApiModel):
    report_id: str
    target_type: TargetType
    target_id: str
    item: dict[str, Any] = Field(
        description="The item as a share link shows it, with short-lived media URLs"
    )


@router.get("/reports/{report_id}/item")
def reported_item(report_id: str, admin: AdminUser, services: ServicesDep) -> ReportedItem:
    """The reported item itself, to judge the report: only while the item has open
    reports (404 after), and every look is recorded in the audit log. Administrators
    see nobody's private items any other way."""
    return ReportedItem(**services.reported_items.open(admin, report_id))


@router.post("/reports/{report_id}/resolve")
def resolve_report(
    report_id: str, body: ResolveRequest, admin: AdminUser, services: ServicesDep
) -> ResolvedGroup:
    """Resolve every open report of the item: dismiss them, or take the item down (its
    owner is told the reason and note, never who reported it)."""
    group = services.reports.resolve(
        admin, report_id, action=body.action, note=body.note, reason=body.reason
    )
    return ResolvedGroup(**group)


@router.post("/takedowns/{target_type}/{target_id}")
def take_down(
    target_type: TargetType,
    target_id: str,
    body: TakedownRequest,
    admin: AdminUser,
    services: ServicesDep,
) -> TakedownState:
    """Take an item down without a report (artist: user id; share: share id)."""
    state = services.takedowns.take_down(
        admin, target_type, target_id, reason=body.reason, note=body.note
    )
    return TakedownState(**state)


@router.post("/takedowns/{target_type}/{target_id}/restore")
def restore(
    target_type: TargetType, target_id: str, admin: AdminUser, services: ServicesDep
) -> TakedownState:
    """Bring a taken-down item back where it was listed; its owner is told."""
    return TakedownState(**services.takedowns.restore(admin, target_type, target_id))


# --- users -------------------------------------------------------------------------------------


class AdminUserView(ApiModel):
    user_id: str
    username: str
    email: str
    display_name: str
    roles: list[str]
    disabled: bool
    deleting: bool
    artist_taken_down: bool
    created_at: str
    storage_bytes: int
    track_count: int
    photo_count: int
    file_count: int


class UserList(ApiModel):
    items: list[AdminUserView]
    next_cursor: str | None


class UserChanges(ApiModel):
    roles: list[Literal["listener", "artist", "admin"]] | None = Field(
        default=None,
        max_length=3,
        description="The complete set of roles (listener is everyone's)",
    )
    disabled: bool | None = None


@router.get("/users")
async def list_users(
    services: ServicesDep,
    q: Annotated[str | None, Query(max_length=64, description="Username prefix")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> UserList:
    """Users whose username starts with ``q`` (alphabetical), or everyone, newest first."""
    items, next_cursor = services.user_admin.list(q=q, limit=limit, cursor=cursor)
    return UserList(items=items, next_cursor=next_cursor)


@router.get("/users/{user_id}")
async def get_user(user_id: str, services: ServicesDep) -> AdminUserView:
    return AdminUserView(**services.user_admin.get(user_id))


@router.patch("/users/{user_id}")
def update_user(
    user_id: str, body: UserChanges, admin: AdminUser, services: ServicesDep
) -> AdminUserView:
    """Grant or revoke roles, disable or enable: effective from the user's next request.
    409 ``last_admin`` when it would leave no active admin."""
    user = services.user_admin.update(admin, user_id, roles=body.roles, disabled=body.disabled)
    return AdminUserView(**user)


@router.delete("/users/{user_id}", status_code=status.HTTP_202_ACCEPTED)
def delete_user(user_id: str, admin: AdminUser, services: ServicesDep) -> AdminUserView:
    """Disable the account at once and delete it with all its data in the background."""
    return AdminUserView(**services.user_admin.delete(admin, user_id))


# --- statistics and audit --------------------------------------------------------------------


class DayCount(ApiModel):
    date: str
    count: int


class UserStats(ApiModel):
    total: int
    new_per_day: list[DayCount]


class PlatformStats(ApiModel):
    users: UserStats
    items: dict[str, int] = Field(description="tracks, photos, files")
    storage_bytes: dict[str, int] = Field(description="tracks, photos, files, total")
    plays_per_day: list[DayCount]
    open_reports: int


class AuditEntry(ApiModel):
    entry_id: str
    action: str
    at: str
    request_id: str | None
    actor_id: str | None
    actor_name: str | None
    via_api_key: str | None
    target_type: str | None
    target_id: str | None
    details: dict[str, Any]


class AuditList(ApiModel):
    items: list[AuditEntry]
    next_cursor: str | None


@router.get("/stats")
async def platform_stats(services: ServicesDep) -> PlatformStats:
    """Totals and the last 30 days (UTC), from counters kept as things happen."""
    return PlatformStats(**services.platform_stats.summary())


@router.get("/audit")
async def audit_log(
    services: ServicesDep,
    actor: Annotated[str | None, Query(max_length=64, description="An actor's user id")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> AuditList:
    """Who did what, when and in which request, newest first."""
    items, next_cursor = services.audit.list(actor_id=actor, limit=limit, cursor=cursor)
    return AuditList(items=items, next_cursor=next_cursor)
