"""Typed FastAPI dependencies: the services, and who is calling.

They are ``async def`` so that FastAPI does not send each of them to the threadpool: a
thread hop costs more than what they do (a remembered token signature and one profile
read). The API-key path writes a rate-limit counter, so it goes to a thread.

``optional_user`` reads both credentials itself instead of taking the two security
schemes as dependencies: FastAPI solves each dependency at a cost (~10 us per request
each). OpenAPI lists a route's schemes from its dependencies, so ``document_security``
adds them to every route that authenticates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.encoders import jsonable_encoder
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.routing import BaseRoute

from soundshelf.bootstrap import Services
from soundshelf.core.users import Principal
from soundshelf.errors import Forbidden, NotAuthenticated

# auto_error=False: we answer problem+json ourselves; these also document the schemes.
_bearer = HTTPBearer(auto_error=False, description="An access token from /auth/login")
_api_key = APIKeyHeader(name="X-Api-Key", auto_error=False, description="A key from /me/api-keys")


async def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


async def optional_user(request: Request) -> Principal | None:
    services: Services = request.app.state.services
    if (bearer := await _bearer(request)) is not None:
        return services.accounts.authenticate_token(bearer.credentials)
    if api_key := await _api_key(request):
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


def document_security(schema: dict[str, Any], routes: Sequence[BaseRoute]) -> None:
    """Lists the bearer and API-key schemes in ``schema`` (OpenAPI) on every route that
    depends on ``optional_user``, as FastAPI would if it took them as dependencies."""
    schemes = {
        scheme.scheme_name: jsonable_encoder(scheme.model, by_alias=True, exclude_none=True)
        for scheme in (_bearer, _api_key)
    }
    schema.setdefault("components", {}).setdefault("securitySchemes", {}).update(schemes)
    for route in iter_route_contexts(routes):  # with the prefixes they are included under
        if (
            isinstance(route.original_route, APIRoute)
            and route.include_in_schema
            and _authenticates(route.dependant)
        ):
            for method in route.methods:
                operation = schema["paths"][route.path_format][method.lower()]
                security = operation.setdefault("security", [])
                security.extend({name: []} for name in schemes if {name: []} not in security)


def _authenticates(dependant: Dependant) -> bool:
    return any(d.call is optional_user or _authenticates(d) for d in dependant.dependencies)
