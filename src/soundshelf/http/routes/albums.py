"""Albums: the album dashboard and album pages (``/api/v1/albums``)."""

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

router = APIRouter(prefix="/albums", tags=["music"])
Visibility = Literal["private", "friends", "public"]
Version = Annotated[int | None, Depends(expected_version)]


class Album(ApiModel):
    album_id: str
    title: str
    artist: str
    year: int | None
    genre: str
    rank: int | None
    visibility: Visibility
    owner: str
    status: ItemStatus
    created_at: str
    version: int
    track_count: int = Field(description="Its tracks the caller may count: all for the owner")
    duration_ms: int = Field(description="Their total duration")
    cover_url: str | None


class AlbumWithTracks(Album):
    tracks: list[Track]


class AlbumList(ApiModel):
    items: list[Album]
    next_cursor: str | None


class AlbumFields(ApiModel):
    """Every field (create, PUT)."""

    title: str = Field(min_length=1, max_length=200)
    artist: str = Field(min_length=1, max_length=200)
    year: int | None = Field(default=None, ge=0, le=3000)
    genre: str = Field(default="", max_length=60)
    rank: int | None = Field(default=None, ge=0, le=1_000_000_000)
    visibility: Visibility = "private"


class AlbumChanges(ApiModel):
    """Some fields (PATCH)."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    artist: str | None = Field(default=None, min_length=1, max_length=200)
    year: int | None = Field(default=None, ge=0, le=3000)
    genre: str | None = Field(default=None, max_length=60)
    rank: int | None = Field(default=None, ge=0, le=1_000_000_000)
    visibility: Visibility | None = None


def _album(album: dict[str, Any], response: Response) -> AlbumWithTracks:
    set_etag(response, album["version"])
    return AlbumWithTracks(**album)


@router.get("", response_model=AlbumList, responses=raises(404))
async def list_albums(
    viewer: OptionalUser,
    services: ServicesDep,
    owner: Annotated[str, Query(max_length=64, description="me or a username")] = "me",
    sort: Literal["rank"] = "rank",
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """An owner's albums, ascending by rank (the owner sees all, others public ones)."""
    items, next_cursor = services.albums.list(viewer, owner=owner, limit=limit, cursor=cursor)
    return json_page(AlbumList, {"items": items, "nextCursor": next_cursor})


@router.post("", status_code=status.HTTP_201_CREATED)
def create_album(
    body: AlbumFields, user: CurrentUser, services: ServicesDep, response: Response
) -> AlbumWithTracks:
    album = services.albums.create(user, body.model_dump())
    return _album(services.albums.get(user, album["albumId"]), response)


@router.get("/{album_id}")
async def get_album(
    album_id: str, viewer: OptionalUser, services: ServicesDep, response: Response
) -> AlbumWithTracks:
    return _album(services.albums.get(viewer, album_id), response)


@router.put("/{album_id}")
def replace_album(
    album_id: str,
    body: AlbumFields,
    user: CurrentUser,
    services: ServicesDep,
    response: Response,
    version: Version,
) -> AlbumWithTracks:
    album = services.albums.update(
        user, album_id, body.model_dump(), partial=False, expected_version=version
    )
    return _album(album, response)


@router.patch("/{album_id}")
def update_album(
    album_id: str,
    body: AlbumChanges,
    user: CurrentUser,
    services: ServicesDep,
    response: Response,
    version: Version,
) -> AlbumWithTracks:
    album = services.albums.update(
        user, album_id, body.model_dump(exclude_unset=True), partial=True, expected_version=version
    )
    return _album(album, response)


@router.delete("/{album_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_album(album_id: str, user: CurrentUser, services: ServicesDep) -> None:
    services.albums.delete(user, album_id)


# --- the tracklist (the album's owner) ------------------------------------------------------

MAX_ID = 64


class AlbumTrackAdd(ApiModel):
    track_id: str = Field(min_length=1, max_length=MAX_ID)
    disc_number: int | None = Field(default=None, ge=1, le=99)
    track_number: int | None = Field(
        default=None, ge=1, le=9999, description="Default: after the last track of its disc"
    )


class AlbumPlace(ApiModel):
    track_id: str = Field(min_length=1, max_length=MAX_ID)
    disc_number: int | None = Field(default=None, ge=1, le=99)


class AlbumOrder(ApiModel):
    """Every track of the album once, in the new order; each is numbered 1, 2… on its disc
    (``discNumber`` moves it to another disc). Give either ``tracks`` or ``trackIds``."""

    track_ids: list[Annotated[str, Field(min_length=1, max_length=MAX_ID)]] | None = Field(
        default=None, max_length=500
    )
    tracks: list[AlbumPlace] | None = Field(default=None, max_length=500)


class AlbumCover(ApiModel):
    """``fromTrackId`` (a track of the album with embedded art) or ``uploadId`` (an image
    the owner uploaded, processed); neither removes the cover."""

    from_track_id: str | None = Field(default=None, min_length=1, max_length=MAX_ID)
    upload_id: str | None = Field(default=None, min_length=1, max_length=MAX_ID)


@router.post(
    "/{album_id}/tracks",
    status_code=status.HTTP_201_CREATED,
    responses=raises(404, 422),
)
def add_album_track(
    album_id: str,
    body: AlbumTrackAdd,
    user: CurrentUser,
    services: ServicesDep,
    response: Response,
) -> AlbumWithTracks:
    """Put one of your tracks in your album (moving it from any other album)."""
    album = services.tracklists.add(
        user, album_id, body.track_id, disc=body.disc_number, number=body.track_number
    )
    return _album(album, response)


@router.put("/{album_id}/tracks", responses=raises(404, 412, 422))
def reorder_album_tracks(
    album_id: str,
    body: AlbumOrder,
    user: CurrentUser,
    services: ServicesDep,
    response: Response,
    version: Version,
) -> AlbumWithTracks:
    """Reorder the album's tracks (``If-Match``: the album's ETag)."""
    places = body.tracks or [AlbumPlace(track_id=i) for i in body.track_ids or []]
    order = [{"trackId": p.track_id, "discNumber": p.disc_number} for p in places]
    album = services.tracklists.reorder(user, album_id, order, expected_version=version)
    return _album(album, response)


@router.delete(
    "/{album_id}/tracks/{track_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=raises(404),
)
def remove_album_track(
    album_id: str, track_id: str, user: CurrentUser, services: ServicesDep
) -> None:
    """Take a track out of the album (the track stays, without an album)."""
    services.tracklists.remove(user, album_id, track_id)


@router.put("/{album_id}/cover", responses=raises(404, 422))
def set_album_cover(
    album_id: str, body: AlbumCover, user: CurrentUser, services: ServicesDep, response: Response
) -> AlbumWithTracks:
    album = services.tracklists.set_cover(
        user, album_id, from_track=body.from_track_id, upload_id=body.upload_id
    )
    return _album(album, response)
