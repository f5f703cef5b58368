"""Share links (``/api/v1/shares``) and what a link opens (``/api/v1/public/shares``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Response, status
from pydantic import Field

from soundshelf import client_origin
from soundshelf.http.deps import ClientAddress, CurrentUser, ServicesDep
from soundshelf.http.models import ApiModel
from soundshelf.http.openapi import raises
from soundshelf.http.pagination import Cursor, Limit

router = APIRouter(tags=["sharing"])


# The schema's bound; the server's setting share_max_ttl (30 days by default) is the real one.
MAX_LIFETIME = 10 * 365 * 24 * 3600


class NewShare(ApiModel):
    target_type: Literal["track", "album", "playlist", "photo", "file"]
    target_id: str = Field(min_length=1, max_length=64)
    expires_in_seconds: int | None = Field(default=None, ge=60, le=MAX_LIFETIME)
    password: str | None = Field(default=None, max_length=256)
    allow_download: bool = False
    description: str | None = Field(default=None, max_length=1_000, description="Shown to visitors")


class ShareChanges(ApiModel):
    description: str | None = Field(default=None, max_length=1_000, description='"" removes it')
    expires_in_seconds: int | None = Field(
        default=None, ge=60, le=MAX_LIFETIME, description="From now"
    )


class Share(ApiModel):
    share_id: str
    target_type: str
    target_id: str
    title: str
    description: str
    allow_download: bool
    has_password: bool
    created_at: str
    expires_at: str
    expired: bool


class CreatedShare(Share):
    token: str = Field(description="Shown only this once")
    url: str


class ShareList(ApiModel):
    items: list[Share]
    next_cursor: str | None


@router.post("/shares", status_code=status.HTTP_201_CREATED, responses=raises(404))
def create_share(body: NewShare, user: CurrentUser, services: ServicesDep) -> CreatedShare:
    """A link to one of my items; the token in it is shown once."""
    share, token = services.shares.create(
        user,
        target_type=body.target_type,
        target_id=body.target_id,
        expires_in=body.expires_in_seconds,
        password=body.password,
        allow_download=body.allow_download,
        description=body.description,
    )
    url = f"{client_origin.base_url(services.settings)}/s/{token}"
    return CreatedShare(**services.shares.view(share), token=token, url=url)


@router.get("/shares")
async def list_shares(
    user: CurrentUser, services: ServicesDep, limit: Limit = 50, cursor: Cursor = None
) -> ShareList:
    items, next_cursor = services.shares.list(user, limit=limit, cursor=cursor)
    return ShareList(items=items, next_cursor=next_cursor)


@router.patch("/shares/{share_id}")
def update_share(
    share_id: str, body: ShareChanges, user: CurrentUser, services: ServicesDep
) -> Share:
    """A new description and/or a new expiry; an expired link stays expired."""
    share = services.shares.update(
        user, share_id, description=body.description, expires_in=body.expires_in_seconds
    )
    return Share(**share)


@router.delete(
    "/shares/{share_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response
)
def revoke_share(share_id: str, user: CurrentUser, services: ServicesDep) -> None:
    """The link stops working at once."""
    services.shares.revoke(user, share_id)


@router.get("/public/shares/{token}")
def open_share(
    token: str,
    services: ServicesDep,
    response: Response,
    client: ClientAddress,
    x_share_password: Annotated[str | None, Header(max_length=256)] = None,
) -> dict[str, Any]:
    """No account needed: the shared item with short-lived signed media URLs. 404 once
    the link expired or was revoked; 401 when it needs a password (``X-Share-Password``)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the page URL
    return services.shares.open(token, password=x_share_password, client=client)
