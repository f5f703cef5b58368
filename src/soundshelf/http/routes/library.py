"""The caller's listening: likes and history (``/api/v1/me/likes``, ``/me/history``)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from soundshelf.http.deps import CurrentUser, ServicesDep
from soundshelf.http.pages import json_page
from soundshelf.http.pagination import Cursor, Limit
from soundshelf.http.routes.tracks import TrackList

router = APIRouter(prefix="/me", tags=["music"])


@router.get("/likes", response_model=TrackList)
async def my_likes(
    user: CurrentUser, services: ServicesDep, limit: Limit = 50, cursor: Cursor = None
) -> Response:
    items, next_cursor = services.tracks.likes(user, limit=limit, cursor=cursor)
    return json_page(TrackList, {"items": items, "nextCursor": next_cursor})


@router.get("/history", response_model=TrackList)
async def my_history(
    user: CurrentUser, services: ServicesDep, limit: Limit = 50, cursor: Cursor = None
) -> Response:
    items, next_cursor = services.tracks.history(user, limit=limit, cursor=cursor)
    return json_page(TrackList, {"items": items, "nextCursor": next_cursor})
