"""The caller's personal data export (``/api/v1/me/export``)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, status

from soundshelf.http.deps import CurrentUser, ServicesDep
from soundshelf.http.models import ApiModel
from soundshelf.http.openapi import raises

router = APIRouter(prefix="/me", tags=["accounts"])


class ExportStatus(ApiModel):
    export_id: str
    status: Literal["pending", "ready", "failed", "expired"]
    requested_at: str
    finished_at: str | None
    expires_at: str | None
    size: int | None
    error: str | None
    download_url: str | None


@router.post("/export", status_code=status.HTTP_202_ACCEPTED)
def request_export(user: CurrentUser, services: ServicesDep) -> ExportStatus:
    """Start building a zip of everything the account holds (metadata as JSON and the
    original uploads); answers the export under way or just made instead of a new one."""
    return ExportStatus(**services.exports.request(user))


@router.get("/export", responses=raises(404))
async def export_status(user: CurrentUser, services: ServicesDep) -> ExportStatus:
    """The latest export: ``pending`` until it is built, then ``ready`` with a
    short-lived ``downloadUrl`` (ask again for a fresh one) until it expires."""
    return ExportStatus(**services.exports.status(user))
