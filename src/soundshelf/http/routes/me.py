"""The caller's own account: profile and API keys (``/api/v1/me``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import Field

from soundshelf.accounts.views import me_view
from soundshelf.http.deps import ClientAddress, CurrentUser, ServicesDep
from soundshelf.http.models import ApiModel
from soundshelf.http.openapi import raises
from soundshelf.http.routes.auth import TokenPair
from soundshelf.ports.clock import iso

router = APIRouter(prefix="/me", tags=["accounts"])


class Me(ApiModel):
    user_id: str
    username: str
    email: str
    display_name: str
    bio: str
    roles: list[str]
    created_at: datetime


class ProfileChanges(ApiModel):
    display_name: str | None = Field(default=None, max_length=80)
    bio: str | None = Field(default=None, max_length=2000)


class PasswordChange(ApiModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class AccountDeletion(ApiModel):
    password: str = Field(min_length=1, max_length=256)


class DeletionStarted(ApiModel):
    deleting: bool


class NewApiKeyRequest(ApiModel):
    name: str = Field(min_length=1, max_length=64)


class ApiKeyView(ApiModel):
    key_id: str
    name: str
    created_at: datetime


class CreatedApiKey(ApiKeyView):
    key: str = Field(description="The secret key; shown only this once")


class ApiKeyList(ApiModel):
    items: list[ApiKeyView]
    next_cursor: str | None = None


def _key_view(item: dict[str, Any]) -> ApiKeyView:
    return ApiKeyView(key_id=item["keyId"], name=item["name"], created_at=iso(item["createdAt"]))


@router.get("")
async def get_me(user: CurrentUser, services: ServicesDep) -> Me:
    return Me(**me_view(services.accounts.get_profile(user.user_id)))


@router.patch("")
def update_me(body: ProfileChanges, user: CurrentUser, services: ServicesDep) -> Me:
    profile = services.accounts.update_profile(user, display_name=body.display_name, bio=body.bio)
    return Me(**me_view(profile))


@router.post("/password", responses=raises(403))  # 403: the current password retyped wrong
def change_password(
    body: PasswordChange, user: CurrentUser, services: ServicesDep, client: ClientAddress
) -> TokenPair:
    """Ends every other session: this one goes on with the tokens answered (the ones it
    held end too)."""
    tokens = services.accounts.change_password(
        user,
        current_password=body.current_password,
        new_password=body.new_password,
        client=client,
    )
    return TokenPair.of(tokens)


@router.post(
    "/deletion",
    status_code=status.HTTP_202_ACCEPTED,
    responses=raises(403, 409),  # the password retyped wrong; the last admin
)
def delete_my_account(
    body: AccountDeletion, user: CurrentUser, services: ServicesDep, client: ClientAddress
) -> DeletionStarted:
    """Deletes the account and everything it holds (ask for the export first): every
    session ends at once, the data goes in the background and cannot be brought back."""
    services.accounts.check_password(user, password=body.password, client=client)
    services.user_admin.delete_own(user)
    return DeletionStarted(deleting=True)


@router.post("/api-keys", status_code=status.HTTP_201_CREATED)
def create_api_key(
    body: NewApiKeyRequest, user: CurrentUser, services: ServicesDep
) -> CreatedApiKey:
    new = services.accounts.create_api_key(user, name=body.name)
    return CreatedApiKey(
        key_id=new.key_id, name=new.name, created_at=iso(new.created_at), key=new.secret
    )


@router.get("/api-keys")
async def list_api_keys(user: CurrentUser, services: ServicesDep) -> ApiKeyList:
    return ApiKeyList(items=[_key_view(i) for i in services.accounts.list_api_keys(user)])


@router.delete(
    "/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response
)
def revoke_api_key(key_id: str, user: CurrentUser, services: ServicesDep) -> None:
    services.accounts.revoke_api_key(user, key_id)
