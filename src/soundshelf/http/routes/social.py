"""Friends, friend requests and notifications (``/api/v1/friends``,
``/api/v1/notifications``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from soundshelf.http.deps import CurrentUser, ServicesDep
from soundshelf.http.models import ApiModel
from soundshelf.http.openapi import raises
from soundshelf.http.pagination import Cursor, Limit

router = APIRouter(tags=["social"])
NO_CONTENT = {"status_code": status.HTTP_204_NO_CONTENT, "response_class": Response}
Direction = Literal["incoming", "outgoing"]


# --- models ------------------------------------------------------------------------------


class NewFriendRequest(ApiModel):
    username: str = Field(min_length=1, max_length=64)


class FriendRequest(ApiModel):
    request_id: str
    from_: str = Field(alias="from")
    to: str
    direction: Direction
    status: Literal["pending", "accepted"]
    created_at: str


class FriendRequestPage(ApiModel):
    items: list[FriendRequest]
    next_cursor: str | None


class FriendRequestLists(ApiModel):
    incoming: FriendRequestPage
    outgoing: FriendRequestPage


class Friend(ApiModel):
    username: str
    display_name: str
    since: str


class FriendList(ApiModel):
    items: list[Friend]
    next_cursor: str | None


class Notification(ApiModel):
    notification_id: str
    kind: str
    data: dict[str, Any]
    read: bool
    created_at: str


class NotificationList(ApiModel):
    items: list[Notification]
    next_cursor: str | None
    unread_count: int


class MarkRead(ApiModel):
    ids: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        default=None, max_length=200, description="Up to 200 notification ids"
    )


class UnreadCount(ApiModel):
    unread_count: int


# --- friend requests ---------------------------------------------------------------------


@router.post("/friends/requests", status_code=status.HTTP_201_CREATED, responses=raises(404))
def send_friend_request(
    body: NewFriendRequest, user: CurrentUser, services: ServicesDep, response: Response
) -> FriendRequest:
    """Ask someone to be friends (201). If they already asked you, that request is
    accepted instead (200, ``status: accepted``); asking again answers the pending
    request (200). Yourself: 422; already friends: 409."""
    request, created = services.friend_requests.send(user, body.username)
    if not created:
        response.status_code = status.HTTP_200_OK
    return FriendRequest(**request)


@router.get("/friends/requests")
async def list_friend_requests(
    user: CurrentUser,
    services: ServicesDep,
    direction: Annotated[
        Direction | None, Query(description="continue one list with its cursor")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> FriendRequestLists:
    """Pending requests, newest first: sent to me (incoming) and by me (outgoing)."""
    lists = services.friend_requests.list(user, direction=direction, limit=limit, cursor=cursor)
    return FriendRequestLists(
        **{
            name: FriendRequestPage(
                items=[FriendRequest(**r) for r in items], next_cursor=next_cursor
            )
            for name, (items, next_cursor) in lists.items()
        }
    )


@router.post("/friends/requests/{request_id}/accept")
def accept_friend_request(
    request_id: str, user: CurrentUser, services: ServicesDep
) -> FriendRequest:
    """The addressee accepts: friends at once (friends-only items become visible)."""
    return FriendRequest(**services.friend_requests.accept(user, request_id))


@router.post("/friends/requests/{request_id}/decline", **NO_CONTENT)
def decline_friend_request(request_id: str, user: CurrentUser, services: ServicesDep) -> None:
    services.friend_requests.decline(user, request_id)


@router.delete("/friends/requests/{request_id}", **NO_CONTENT)
def cancel_friend_request(request_id: str, user: CurrentUser, services: ServicesDep) -> None:
    """The sender takes a pending request back."""
    services.friend_requests.cancel(user, request_id)


# --- friends -----------------------------------------------------------------------------


@router.get("/friends")
async def list_friends(
    user: CurrentUser, services: ServicesDep, limit: Limit = 50, cursor: Cursor = None
) -> FriendList:
    items, next_cursor = services.friend_requests.friends_of(user, limit=limit, cursor=cursor)
    return FriendList(items=items, next_cursor=next_cursor)


@router.delete("/friends/{username}", **NO_CONTENT)
def unfriend(username: str, user: CurrentUser, services: ServicesDep) -> None:
    """Both sides stop being friends; friends-only items disappear at once."""
    services.friend_requests.unfriend(user, username)


# --- notifications -----------------------------------------------------------------------


@router.get("/notifications")
async def list_notifications(
    user: CurrentUser, services: ServicesDep, limit: Limit = 50, cursor: Cursor = None
) -> NotificationList:
    """Newest first, with the number still unread. Kinds: ``friend_request``,
    ``friend_accepted``, ``new_track``, ``new_photo``, ``share``."""
    items, next_cursor, unread = services.notifications.list(user, limit=limit, cursor=cursor)
    return NotificationList(items=items, next_cursor=next_cursor, unread_count=unread)


@router.post("/notifications/read")
def mark_notifications_read(
    user: CurrentUser, services: ServicesDep, body: MarkRead | None = None
) -> UnreadCount:
    """Mark the listed notifications read, or all of them when ``ids`` is omitted."""
    ids = body.ids if body is not None else None
    return UnreadCount(unread_count=services.notifications.mark_read(user, ids))
