"""The caller's listening: likes and history (``/api/v1/me/likes``, ``/me/history``)."""

from __future__ import annotations

from fastapi import APIRouter

from soundshelf.http.deps import CurrentUser, ServicesDep
from soundshelf.http.pagination import Cursor, Limit
from soundshelf.http.routes.tracks import TrackList

router = APIRouter(prefix="/me", tags=["music"])


@router.get("/likes")
async def my_likes(
    user: CurrentUser, services: ServicesDep, limit: Limit = 50, cursor: Cursor = None
) -> TrackList:
    items, next_cursor = services.tracks.likes(user, limit=limit, cursor=cursor)
    return TrackList(items=items, next_cursor=next_cursor)


@router.get("/history")
async def my_history(
    user: CurrentUser, services: ServicesDep, limit: Limit = 50, cursor: Cursor = None
) -> TrackList:
    items, next_cursor = services.tracks.history(user, limit=limit, cursor=cursor)
    return TrackList(items=items, next_cursor=next_cursor)
