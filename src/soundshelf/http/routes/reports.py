"""Reporting something to the moderators (``POST /api/v1/reports``)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, status
from pydantic import Field

from soundshelf.http.deps import CurrentUser, ServicesDep
from soundshelf.http.models import ApiModel
from soundshelf.http.openapi import raises

router = APIRouter(tags=["moderation"])

TargetType = Literal["track", "album", "playlist", "photo", "file", "artist", "share"]
Reason = Literal["copyright", "offensive", "illegal", "spam", "other"]


class NewReport(ApiModel):
    target_type: TargetType
    target_id: str = Field(
        min_length=1,
        max_length=64,
        description="The item's id; an artist's username; a share link's token",
    )
    reason: Reason
    details: str | None = Field(default=None, max_length=2000)


class Report(ApiModel):
    report_id: str
    target_type: TargetType
    target_id: str
    reason: Reason
    details: str
    status: str
    created_at: str


@router.post("/reports", status_code=status.HTTP_201_CREATED, responses=raises(404))
def create_report(body: NewReport, user: CurrentUser, services: ServicesDep) -> Report:
    """Report something you can see. One open report per person and item (409 for a
    second while the first is open); the owner is never told who reported."""
    report = services.reports.create(
        user,
        target_type=body.target_type,
        target_id=body.target_id,
        reason=body.reason,
        details=body.details,
    )
    return Report(**report)
