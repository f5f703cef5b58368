"""Files: the caller's other uploads (``/api/v1/files``)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from soundshelf.http.deps import CurrentUser, ServicesDep
from soundshelf.http.models import ApiModel, ItemStatus
from soundshelf.http.pages import json_page
from soundshelf.http.pagination import Cursor, Limit

router = APIRouter(prefix="/files", tags=["files"])
NO_CONTENT = {"status_code": status.HTTP_204_NO_CONTENT, "response_class": Response}


class FileSummary(ApiModel):
    file_id: str
    filename: str
    size: int
    content_type: str
    status: ItemStatus
    created_at: str


class FileDetail(FileSummary):
    download_url: str


class FileList(ApiModel):
    items: list[FileSummary]
    next_cursor: str | None


@router.get("", response_model=FileList)
async def list_files(
    user: CurrentUser, services: ServicesDep, limit: Limit = 50, cursor: Cursor = None
) -> Response:
    """The caller's files, newest first (files are private to their owner)."""
    items, next_cursor = services.files.list(user, limit=limit, cursor=cursor)
    return json_page(FileList, {"items": items, "nextCursor": next_cursor})


@router.get("/{file_id}")
async def get_file(
    file_id: str, user: CurrentUser, services: ServicesDep, response: Response
) -> FileDetail:
    """``downloadUrl`` is signed and short-lived; it downloads the file under its
    original name."""
    response.headers["Cache-Control"] = "no-store"
    return FileDetail(**services.files.get(user, file_id))


@router.delete("/{file_id}", **NO_CONTENT)
def delete_file(file_id: str, user: CurrentUser, services: ServicesDep) -> None:
    services.files.delete(user, file_id)
