"""Browse the platform's public music (``/api/v1/browse``): albums in several orders,
artists A–Z, genres with their albums and tracks. Keyset pages (``random`` is one draw)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from soundshelf.http.deps import OptionalUser, ServicesDep
from soundshelf.http.models import ApiModel
from soundshelf.http.openapi import raises
from soundshelf.http.pages import json_page
from soundshelf.http.pagination import Cursor, Limit
from soundshelf.http.routes.albums import Album
from soundshelf.http.routes.tracks import TrackList

router = APIRouter(prefix="/browse", tags=["music"])
GenreName = Annotated[str, Path(min_length=1, max_length=60)]


class BrowseAlbums(ApiModel):
    items: list[Album]
    next_cursor: str | None


class Artist(ApiModel):
    username: str
    name: str
    follower_count: int
    image_url: str | None


class ArtistList(ApiModel):
    items: list[Artist]
    next_cursor: str | None


class Genre(ApiModel):
    genre: str
    name: str
    album_count: int
    track_count: int


class GenreList(ApiModel):
    items: list[Genre]
    next_cursor: str | None


@router.get("/albums", response_model=BrowseAlbums, responses=raises(400, 422))
async def browse_albums(
    viewer: OptionalUser,
    services: ServicesDep,
    sort: Literal["newest", "alpha", "year", "played", "random"] = "newest",
    genre: Annotated[str | None, Query(min_length=1, max_length=60)] = None,
    year: Annotated[int | None, Query(ge=0, le=3000)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """Public albums: newest first, A–Z (``alpha``), newest year first (``year``), most
    played, or a random draw (no next page). ``genre`` gives that genre's albums A–Z and
    ``year`` that year's A–Z, whatever ``sort`` says."""
    items, next_cursor = services.browse.album_page(
        viewer, sort=sort, genre=genre, year=year, limit=limit, cursor=cursor
    )
    return json_page(BrowseAlbums, {"items": items, "nextCursor": next_cursor})


@router.get("/artists", response_model=ArtistList, responses=raises(400))
async def browse_artists(
    services: ServicesDep, limit: Limit = 50, cursor: Cursor = None
) -> Response:
    """Artists A–Z."""
    items, next_cursor = services.browse.artists(limit=limit, cursor=cursor)
    return json_page(ArtistList, {"items": items, "nextCursor": next_cursor})


@router.get("/genres", response_model=GenreList, responses=raises(400))
async def browse_genres(
    services: ServicesDep, limit: Limit = 50, cursor: Cursor = None
) -> Response:
    """Genres with public albums or tracks, A–Z."""
    items, next_cursor = services.browse.genres(limit=limit, cursor=cursor)
    return json_page(GenreList, {"items": items, "nextCursor": next_cursor})


@router.get("/genres/{genre}", responses=raises(404))
async def browse_genre(genre: GenreName, services: ServicesDep) -> Genre:
    """One genre (any spelling of it) and how many public albums and tracks it has."""
    return Genre(**services.browse.genre(genre))


@router.get("/genres/{genre}/tracks", response_model=TrackList, responses=raises(400, 422))
async def browse_genre_tracks(
    genre: GenreName,
    viewer: OptionalUser,
    services: ServicesDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """The genre's public tracks, newest first (its albums: ``/browse/albums?genre=``)."""
    items, next_cursor = services.browse.genre_tracks(viewer, genre, limit=limit, cursor=cursor)
    return json_page(TrackList, {"items": items, "nextCursor": next_cursor})
