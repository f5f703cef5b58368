"""Uploads straight to storage (``/api/v1/uploads``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, status
from pydantic import Field

from soundshelf.http.deps import CurrentUser, ServicesDep
from soundshelf.http.models import ApiModel
from soundshelf.http.openapi import raises
from soundshelf.http.pagination import Cursor, Limit
from soundshelf.ports.blobs import CompletedPart
from soundshelf.ports.clock import iso
from soundshelf.uploads.models import upload_view

router = APIRouter(prefix="/uploads", tags=["uploads"])


class NewUploadRequest(ApiModel):
    filename: str = Field(min_length=1, max_length=1000)
    content_type: str = Field(min_length=3, max_length=200)
    size: int = Field(ge=0, le=10**13)


class DirectUpload(ApiModel):
    method: str
    url: str
    fields: dict[str, str] | None = None
    headers: dict[str, str] | None = None


class PartUrl(ApiModel):
    part_number: int
    url: str


class MultipartUpload(ApiModel):
    part_size: int
    parts: list[PartUrl]


class CreatedUpload(ApiModel):
    upload_id: str
    kind: Literal["audio", "image", "file"]
    upload: DirectUpload | None = None
    multipart: MultipartUpload | None = None
    expires_at: datetime


class UploadedPart(ApiModel):
    part_number: int = Field(ge=1, le=10_000)
    etag: str = Field(min_length=1, max_length=200)


class CompleteRequest(ApiModel):
    parts: list[UploadedPart] = Field(default_factory=list, max_length=10_000)


class UploadStatus(ApiModel):
    upload_id: str
    filename: str
    kind: str
    size: int
    status: Literal["pending", "processing", "ready", "failed"]
    created_at: datetime
    error: str | None = None
    result_type: str | None = None
    result_id: str | None = None


class UploadList(ApiModel):
    items: list[UploadStatus]
    next_cursor: str | None


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model_exclude_none=True,
    # 409: quota_busy (many creates at once for one owner); 413: too_large, quota_exceeded.
    responses=raises(409, 413, 415),
)
def create_upload(
    body: NewUploadRequest, user: CurrentUser, services: ServicesDep
) -> CreatedUpload:
    """Reserve an upload. Send the bytes to ``upload.url`` (POST: a form with every
    ``fields`` entry, then the file as ``file``; PUT: the bytes with ``headers``), or each
    part to ``multipart.parts[].url``; then call ``complete``."""
    new = services.uploads.create(
        user, filename=body.filename, content_type=body.content_type, size=body.size
    )
    answer: dict[str, Any] = {
        "upload_id": new.item["uploadId"],
        "kind": new.item["kind"],
        "expires_at": iso(new.expires_at),
    }
    if new.part_urls is not None:
        answer["multipart"] = MultipartUpload(
            part_size=new.part_size or 0,
            parts=[PartUrl(part_number=n, url=url) for n, url in enumerate(new.part_urls, 1)],
        )
    else:
        answer["upload"] = DirectUpload(
            method=new.method or "PUT",
            url=new.url or "",
            fields=new.fields or None,
            headers=new.headers or None,
        )
    return CreatedUpload(**answer)


@router.post(
    "/{upload_id}/complete",
    status_code=status.HTTP_202_ACCEPTED,
    response_model_exclude_none=True,
    # Bytes not there yet (409), or another size than declared (400 size_mismatch, 413).
    responses=raises(400, 409, 413),
)
def complete_upload(
    upload_id: str, user: CurrentUser, services: ServicesDep, body: CompleteRequest | None = None
) -> UploadStatus:
    parts = [CompletedPart(p.part_number, p.etag) for p in (body.parts if body else [])]
    item = services.uploads.complete(user, upload_id, parts=parts)
    return UploadStatus(**upload_view(item))


@router.get("/{upload_id}", response_model_exclude_none=True)
async def get_upload(upload_id: str, user: CurrentUser, services: ServicesDep) -> UploadStatus:
    return UploadStatus(**upload_view(services.uploads.get(user, upload_id)))


# Not response_model_exclude_none: nextCursor is required, null on the last page.
@router.get("")
async def list_uploads(
    user: CurrentUser, services: ServicesDep, limit: Limit = 50, cursor: Cursor = None
) -> UploadList:
    page = services.uploads.list_mine(user, limit=limit, cursor=cursor)
    return UploadList(
        items=[UploadStatus(**upload_view(i)) for i in page.items], next_cursor=page.next_cursor
    )
