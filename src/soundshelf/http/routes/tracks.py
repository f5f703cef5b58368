"""Tracks: list, read, edit, delete, stream, waveform, like, play (``/api/v1/tracks``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import Field

from soundshelf.http.deps import CurrentUser, OptionalUser, ServicesDep
from soundshelf.http.etags import expected_version, set_etag
from soundshelf.http.models import ApiModel, ItemStatus
from soundshelf.http.openapi import raises
from soundshelf.http.pages import json_page
from soundshelf.http.pagination import Cursor, Limit

router = APIRouter(prefix="/tracks", tags=["music"])
NO_CONTENT = {"status_code": status.HTTP_204_NO_CONTENT, "response_class": Response}
Visibility = Literal["private", "friends", "public"]


class Track(ApiModel):
    track_id: str
    title: str
    artist: str
    album: str
    album_id: str | None
    track_number: int | None
    disc_number: int | None
    genre: str
    year: int | None
    duration_ms: int
    visibility: Visibility
    owner: str
    cover_url: str | None
    status: ItemStatus
    play_count: int
    like_count: int
    liked_by_me: bool
    created_at: str
    version: int
    filename: str | None = None


class TrackList(ApiModel):
    items: list[Track]
    next_cursor: str | None


class TrackChanges(ApiModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    artist: str | None = Field(default=None, max_length=200)
    album: str | None = Field(default=None, max_length=200)
    album_id: str | None = Field(default=None, max_length=40)
    genre: str | None = Field(default=None, max_length=60)
    year: int | None = Field(default=None, ge=0, le=3000)
    track_number: int | None = Field(default=None, ge=0, le=9999)
    disc_number: int | None = Field(default=None, ge=1, le=999)
    visibility: Visibility | None = None


class Waveform(ApiModel):
    peaks: list[float]


class StreamUrl(ApiModel):
    url: str


@router.get("", response_model=TrackList, responses=raises(404))
async def list_tracks(
    viewer: OptionalUser,
    services: ServicesDep,
    owner: Annotated[str | None, Query(max_length=64, description="me or a username")] = None,
    album: Annotated[str | None, Query(max_length=40, description="an album id")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """Visible tracks, newest first: mine, someone's, an album's (in order), or the public
    feed when no filter is given."""
    if album:
        items, next_cursor = services.albums.album_tracks(viewer, album), None
    else:
        items, next_cursor = services.tracks.list(viewer, owner=owner, limit=limit, cursor=cursor)
    return json_page(TrackList, {"items": items, "nextCursor": next_cursor})


@router.get("/{track_id}")
async def get_track(
    track_id: str, viewer: OptionalUser, services: ServicesDep, response: Response
) -> Track:
    track = services.tracks.get(viewer, track_id)
    set_etag(response, track["version"])
    return Track(**track)


@router.patch("/{track_id}")
def update_track(
    track_id: str,
    body: TrackChanges,
    user: CurrentUser,
    services: ServicesDep,
    response: Response,
    version: Annotated[int | None, Depends(expected_version)],
) -> Track:
    changes: dict[str, Any] = body.model_dump(by_alias=True, exclude_unset=True)
    track = services.tracks.update(user, track_id, changes, expected_version=version)
    set_etag(response, track["version"])
    return Track(**track)


@router.delete("/{track_id}", **NO_CONTENT)
def delete_track(track_id: str, user: CurrentUser, services: ServicesDep) -> None:
    services.tracks.delete(user, track_id)


@router.get(
    "/{track_id}/stream",
    status_code=status.HTTP_302_FOUND,
    response_class=RedirectResponse,
    responses={200: {"model": StreamUrl, "description": "With `Accept: application/json`"}},
)
async def stream_track(
    track_id: str,
    viewer: OptionalUser,
    services: ServicesDep,
    request: Request,
    quality: Literal["original", "high", "low"] = "high",
) -> Response:
    """Redirects to a short-lived signed URL of the chosen rendition; that URL honours
    ``Range`` (206), so players can seek. With ``Accept: application/json`` the answer is
    ``{"url": ...}`` instead: an ``<audio>`` element cannot send ``Authorization``, so the
    web app asks for the URL with its token and gives the signed URL to the element."""
    url = services.tracks.stream_url(viewer, track_id, quality)
    headers = {"Cache-Control": "no-store", "Vary": "Accept"}
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(StreamUrl(url=url).model_dump(), headers=headers)
    return RedirectResponse(url, status_code=302, headers=headers)


@router.get("/{track_id}/waveform")
def track_waveform(track_id: str, viewer: OptionalUser, services: ServicesDep) -> Waveform:
    return Waveform(peaks=services.tracks.waveform(viewer, track_id))


@router.put("/{track_id}/like", **NO_CONTENT)
def like_track(track_id: str, user: CurrentUser, services: ServicesDep) -> None:
    services.tracks.like(user, track_id)


@router.delete("/{track_id}/like", **NO_CONTENT)
def unlike_track(track_id: str, user: CurrentUser, services: ServicesDep) -> None:
    services.tracks.unlike(user, track_id)


@router.post("/{track_id}/plays", **NO_CONTENT)
def record_play(track_id: str, user: CurrentUser, services: ServicesDep) -> None:
    services.tracks.record_play(user, track_id)
