"""Photos: galleries, the friends' feed, tags, edit, delete (``/api/v1/photos``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import Field

from soundshelf.http.deps import CurrentUser, OptionalUser, ServicesDep
from soundshelf.http.etags import expected_version, set_etag
from soundshelf.http.models import ApiModel, ItemStatus
from soundshelf.http.openapi import raises
from soundshelf.http.pages import json_page
from soundshelf.http.pagination import Cursor, Limit

router = APIRouter(prefix="/photos", tags=["photos"])
NO_CONTENT = {"status_code": status.HTTP_204_NO_CONTENT, "response_class": Response}
Visibility = Literal["private", "friends", "public"]


class PhotoUrls(ApiModel):
    """Short-lived signed URLs. ``original`` (with the camera's metadata) is given to the
    owner only; everyone else's biggest size is ``large``."""

    thumb: str | None
    medium: str | None
    large: str | None
    original: str | None


class Photo(ApiModel):
    photo_id: str
    owner: str
    caption: str
    tags: list[str]
    visibility: Visibility
    width: int
    height: int
    taken_at: str | None
    placeholder: str | None
    urls: PhotoUrls
    status: ItemStatus
    created_at: str
    version: int


class PhotoList(ApiModel):
    items: list[Photo]
    next_cursor: str | None


class PhotoChanges(ApiModel):
    caption: str | None = Field(default=None, max_length=2000)
    tags: list[Annotated[str, Field(max_length=100)]] | None = Field(default=None, max_length=100)
    visibility: Visibility | None = None


@router.get("", response_model=PhotoList, responses=raises(404))
async def list_photos(
    viewer: OptionalUser,
    services: ServicesDep,
    owner: Annotated[
        str | None, Query(max_length=64, description="me (default), friends or a username")
    ] = None,
    tag: Annotated[
        str | None, Query(max_length=100, description="only photos with this tag")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """Photos the caller may see, newest taken first (upload date when the camera did
    not say): mine, my friends' (their friends-only and public photos) or a user's."""
    items, next_cursor = services.photos.list(
        viewer, owner=owner, tag=tag, limit=limit, cursor=cursor
    )
    return json_page(PhotoList, {"items": items, "nextCursor": next_cursor})


@router.get("/{photo_id}")
async def get_photo(
    photo_id: str, viewer: OptionalUser, services: ServicesDep, response: Response
) -> Photo:
    photo = services.photos.get(viewer, photo_id)
    set_etag(response, photo["version"])
    response.headers["Cache-Control"] = "no-store"  # it carries signed URLs
    return Photo(**photo)


@router.patch("/{photo_id}")
def update_photo(
    photo_id: str,
    body: PhotoChanges,
    user: CurrentUser,
    services: ServicesDep,
    response: Response,
    version: Annotated[int | None, Depends(expected_version)],
) -> Photo:
    """Caption, tags (normalized: lower case, ``-`` for spaces, at most 20) and
    visibility. Making a photo visible to friends tells them (in the background)."""
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    photo = services.photos.update(user, photo_id, changes, expected_version=version)
    set_etag(response, photo["version"])
    return Photo(**photo)


@router.delete("/{photo_id}", **NO_CONTENT)
def delete_photo(photo_id: str, user: CurrentUser, services: ServicesDep) -> None:
    """Deletes the photo, every size of it and its original."""
    services.photos.delete(user, photo_id)
