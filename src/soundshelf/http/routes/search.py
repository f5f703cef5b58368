"""Search across tracks, albums, artists, playlists and photos (``/api/v1/search``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from soundshelf.errors import ValidationFailed
from soundshelf.http.deps import OptionalUser, ServicesDep
from soundshelf.search.service import TYPES

router = APIRouter(tags=["search"])


@router.get("/search")
async def search(
    viewer: OptionalUser,
    services: ServicesDep,
    q: Annotated[str, Query(max_length=200, description="Words or word beginnings")] = "",
    types: Annotated[str, Query(max_length=100, description="Comma-separated kinds")] = (
        ",".join(TYPES)
    ),
    limit: Annotated[int, Query(ge=1, le=50, description="Results per kind")] = 20,
) -> dict[str, list[dict[str, Any]]]:
    """Prefix matching on words ("beat" finds "Beatles"), case- and accent-insensitive;
    only what the caller may see: public items, their own, and friends' friends-only ones.
    Answers ``{tracks, albums, artists, playlists, photos}``."""
    wanted = {t.strip().rstrip("s") for t in types.split(",") if t.strip()}
    if unknown := wanted - set(TYPES):
        raise ValidationFailed(f"Unknown type(s): {', '.join(sorted(unknown))}")
    return services.search.search(viewer, q=q, types=wanted, limit=limit)
