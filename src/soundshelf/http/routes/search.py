"""Search across tracks, albums, artists, playlists and photos (``/api/v1/search``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from soundshelf.errors import ValidationFailed
from soundshelf.http.deps import OptionalUser, ServicesDep
from soundshelf.http.models import ApiModel
from soundshelf.http.pages import json_page
from soundshelf.http.routes.albums import Album
from soundshelf.http.routes.photos import Photo
from soundshelf.http.routes.playlists import PlaylistSummary
from soundshelf.http.routes.tracks import Track
from soundshelf.search.service import TYPES

router = APIRouter(tags=["search"])


class ArtistHit(ApiModel):
    username: str
    name: str
    follower_count: int


class SearchResults(ApiModel):
    tracks: list[Track]
    albums: list[Album]
    artists: list[ArtistHit]
    playlists: list[PlaylistSummary]
    photos: list[Photo]


@router.get("/search", response_model=SearchResults)
async def search(
    viewer: OptionalUser,
    services: ServicesDep,
    q: Annotated[str, Query(max_length=200, description="Words or word beginnings")] = "",
    types: Annotated[str, Query(max_length=100, description="Comma-separated kinds")] = (
        ",".join(TYPES)
    ),
    limit: Annotated[int, Query(ge=1, le=50, description="Results per kind")] = 20,
) -> Response:
    """Prefix matching on words ("beat" finds "Beatles"), case- and accent-insensitive;
    only what the caller may see: public items, their own, and friends' friends-only ones.
    Answers ``{tracks, albums, artists, playlists, photos}``."""
    wanted = {t.strip().rstrip("s") for t in types.split(",") if t.strip()}
    if unknown := wanted - set(TYPES):
        raise ValidationFailed(f"Unknown type(s): {', '.join(sorted(unknown))}")
    return json_page(SearchResults, services.search.search(viewer, q=q, types=wanted, limit=limit))
