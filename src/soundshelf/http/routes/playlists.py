"""Playlists and their entries (``/api/v1/playlists``).

Every write takes ``If-Match`` (a stale one is 412) and answers the new ``ETag``. A GET
returns one page of entries (``?limit=`` default 200, max 1000; ``?cursor=`` from
``nextCursor``); an entry whose track was deleted, hidden or taken down comes back as
``{entryId, position, track: null, unavailable: true}``. Positions are 0-based; one out
of range is 422 (never clamped). A playlist holds at most 5,000 entries.
"""

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
from soundshelf.http.routes.tracks import Track
from soundshelf.playlists.service import (
    DEFAULT_PAGE,
    MAX_DESCRIPTION,
    MAX_ENTRIES,
    MAX_NAME,
    MAX_PAGE,
)

router = APIRouter(prefix="/playlists", tags=["music"])
Visibility = Literal["private", "friends", "public"]
Version = Annotated[int | None, Depends(expected_version)]
EntryLimit = Annotated[
    int, Query(ge=1, le=MAX_PAGE, description="Entries per page (the playlist has up to 5,000)")
]
TrackId = Annotated[str, Field(min_length=1, max_length=40)]


class PlaylistSummary(ApiModel):
    playlist_id: str
    name: str
    description: str
    visibility: Visibility
    owner: str
    status: ItemStatus
    version: int
    entry_count: int
    created_at: str
    updated_at: str


class Entry(ApiModel):
    entry_id: str
    position: int
    track: Track | None
    unavailable: bool


class Playlist(PlaylistSummary):
    entries: list[Entry]
    next_cursor: str | None


class PlaylistList(ApiModel):
    items: list[PlaylistSummary]
    next_cursor: str | None


class PlaylistFields(ApiModel):
    name: str = Field(min_length=1, max_length=MAX_NAME)
    description: str = Field(default="", max_length=MAX_DESCRIPTION)
    visibility: Visibility = "private"


class PlaylistChanges(ApiModel):
    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    visibility: Visibility | None = None


class NewEntry(ApiModel):
    track_id: TrackId
    position: int | None = Field(
        default=None, ge=0, le=MAX_ENTRIES, description="0-based; appends when absent"
    )


class Move(ApiModel):
    position: int = Field(
        ge=0, le=MAX_ENTRIES, description="The entry's 0-based position after the move"
    )


class EntryChange(ApiModel):
    """The outcome of adding or moving an entry (the playlist's new version is the ETag)."""

    playlist_id: str
    version: int
    entry_count: int
    entry_id: str
    position: int


def _playlist(playlist: dict[str, Any], response: Response) -> Playlist:
    set_etag(response, playlist["version"])
    return Playlist(**playlist)


def _change(change: dict[str, Any], response: Response) -> EntryChange:
    set_etag(response, change["version"])
    return EntryChange(**change)


@router.get("", response_model=PlaylistList, responses=raises(404))
async def list_playlists(
    viewer: OptionalUser,
    services: ServicesDep,
    owner: Annotated[
        str | None, Query(max_length=64, description="me or a username; absent: public ones")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """Playlists newest first (without entries): mine, someone's as I may see them, or
    every public playlist when no owner is given."""
    items, next_cursor = services.playlists.list(viewer, owner=owner, limit=limit, cursor=cursor)
    return json_page(PlaylistList, {"items": items, "nextCursor": next_cursor})


@router.post("", status_code=status.HTTP_201_CREATED)
def create_playlist(
    body: PlaylistFields, user: CurrentUser, services: ServicesDep, response: Response
) -> Playlist:
    return _playlist(services.playlists.create(user, body.model_dump()), response)


@router.get("/{playlist_id}")
async def get_playlist(
    playlist_id: str,
    viewer: OptionalUser,
    services: ServicesDep,
    response: Response,
    limit: EntryLimit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> Playlist:
    """The playlist with one page of entries, in order."""
    playlist = services.playlists.get(viewer, playlist_id, limit=limit, cursor=cursor)
    return _playlist(playlist, response)


@router.patch("/{playlist_id}")
def update_playlist(
    playlist_id: str,
    body: PlaylistChanges,
    user: CurrentUser,
    services: ServicesDep,
    response: Response,
    version: Version,
) -> Playlist:
    changes = body.model_dump(exclude_unset=True)
    playlist = services.playlists.update(user, playlist_id, changes, expected_version=version)
    return _playlist(playlist, response)


@router.delete("/{playlist_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_playlist(
    playlist_id: str, user: CurrentUser, services: ServicesDep, version: Version
) -> None:
    services.playlists.delete(user, playlist_id, expected_version=version)


@router.post("/{playlist_id}/entries", status_code=status.HTTP_201_CREATED)
def add_entry(
    playlist_id: str,
    body: NewEntry,
    user: CurrentUser,
    services: ServicesDep,
    response: Response,
    version: Version,
) -> EntryChange:
    """Add a track the caller may see; the same track may be added more than once."""
    change = services.playlists.add_entry(
        user, playlist_id, body.track_id, position=body.position, expected_version=version
    )
    return _change(change, response)


@router.delete(
    "/{playlist_id}/entries/{entry_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
def remove_entry(
    playlist_id: str, entry_id: str, user: CurrentUser, services: ServicesDep, version: Version
) -> Response:
    change = services.playlists.remove_entry(user, playlist_id, entry_id, expected_version=version)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    set_etag(response, change["version"])
    return response


@router.post("/{playlist_id}/entries/{entry_id}/move")
def move_entry(
    playlist_id: str,
    entry_id: str,
    body: Move,
    user: CurrentUser,
    services: ServicesDep,
    response: Response,
    version: Version,
) -> EntryChange:
    change = services.playlists.move_entry(
        user, playlist_id, entry_id, body.position, expected_version=version
    )
    return _change(change, response)
