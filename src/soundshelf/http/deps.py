"""Typed FastAPI dependencies: the services, and who is calling.

They are ``async def`` so that FastAPI does not send each of them to the threadpool: a
thread hop costs more than what they do (a remembered token signature and one profile
read). The API-key path writes a rate-limit counter, so it goes to a thread.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from soundshelf.accounts.models import Principal
from soundshelf.bootstrap import Services
from soundshelf.errors import Forbidden, NotAuthenticated

# auto_error=False: we answer problem+json ourselves; these also document the schemes.
_bearer = HTTPBearer(auto_error=False, description="An access token from /auth/login")
_api_key = APIKeyHeader(name="X-Api-Key", auto_error=False, description="A key from /me/api-keys")


async def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


async def optional_user(
    services: ServicesDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal | None:
    if bearer is not None:
        return services.accounts.authenticate_token(bearer.credentials)
    if api_key:
        return await run_in_threadpool(services.accounts.authenticate_api_key, api_key)
    return None


async def current_user(user: Annotated[Principal | None, Depends(optional_user)]) -> Principal:
    if user is None:
        raise NotAuthenticated("Sign in, or send an API key")
    return user


async def admin_user(user: Annotated[Principal, Depends(current_user)]) -> Principal:
    if not user.is_admin:
        raise Forbidden("Administrators only")
    return user


async def access_token(
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    if bearer is None:
        raise NotAuthenticated("This needs an access token")
    return bearer.credentials


OptionalUser = Annotated[Principal | None, Depends(optional_user)]
CurrentUser = Annotated[Principal, Depends(current_user)]
AdminUser = Annotated[Principal, Depends(admin_user)]
AccessToken = Annotated[str, Depends(access_token)]


async def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


ClientAddress = Annotated[str, Depends(client_address)]
