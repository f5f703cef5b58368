"""The caller's app passwords for Subsonic clients (``/api/v1/me/app-passwords``)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import Field

from soundshelf import client_origin
from soundshelf.http.deps import CurrentUser, ServicesDep
from soundshelf.http.models import ApiModel
from soundshelf.ports.clock import iso

router = APIRouter(prefix="/me/app-passwords", tags=["accounts"])


class NewAppPasswordRequest(ApiModel):
    name: str = Field(min_length=1, max_length=64)


class AppPasswordView(ApiModel):
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None = None


class CreatedAppPassword(AppPasswordView):
    password: str = Field(description="Shown once; type it into the music app")
    username: str
    server_url: str = Field(description="What to enter as the server address in the app")


class AppPasswordList(ApiModel):
    items: list[AppPasswordView]
    server_url: str
    enabled: bool


@router.post("", status_code=status.HTTP_201_CREATED)
def create_app_password(
    body: NewAppPasswordRequest, user: CurrentUser, services: ServicesDep
) -> CreatedAppPassword:
    new = services.app_passwords.create(user, name=body.name)
    return CreatedAppPassword(
        id=new.password_id,
        name=new.name,
        created_at=iso(new.created_at),
        password=new.password,
        username=user.username,
        server_url=client_origin.base_url(services.settings),
    )


@router.get("")
async def list_app_passwords(user: CurrentUser, services: ServicesDep) -> AppPasswordList:
    return AppPasswordList(
        items=[AppPasswordView(**v) for v in services.app_passwords.list(user)],
        server_url=client_origin.base_url(services.settings),
        enabled=services.app_passwords.enabled,
    )


@router.delete("/{password_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def revoke_app_password(password_id: str, user: CurrentUser, services: ServicesDep) -> None:
    services.app_passwords.revoke(user, password_id)
