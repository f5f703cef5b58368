"""The OpenAPI document, truthful about errors.

Every error the API answers is ``application/problem+json`` (``problems.py``). Which
statuses an operation can answer comes from two places:

- what its dependencies, parameters and kind can raise, derived here from the route
  itself: signing in: 401, and 429 for an API key over its rate; administrators only:
  403; ``If-Match``: 412; an id in the path: 404; a cursor, or a body that does not
  parse: 400; any input: 422; a signed-in write: 409 (a concurrent change that won),
  and 403 when the path names an item (someone else's, that the caller can see);
- what its service can refuse beyond that, declared on the route with ``raises(...)``
  (e.g. 404 for an unknown username in the query, 413 for a file over the limit).

``document_problems`` writes both into the document, each with the problem schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from soundshelf.http.deps import admin_user, current_user, optional_user
from soundshelf.http.etags import expected_version
from soundshelf.http.problems import PROBLEM_JSON

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem: what went wrong, and a stable machine code",
    "type": "object",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "code": {"type": "string", "description": "e.g. not_found, conflict, rate_limited"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "Each invalid input (validation_error only)",
            "items": {
                "type": "object",
                "properties": {
                    "location": {"type": "array", "items": {"type": "string"}},
                    "message": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}


def raises(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: the statuses its service may refuse with, beyond the
    ones ``document_problems`` derives from the route itself."""
    return {status: {"description": HTTPStatus(status).phrase} for status in statuses}


def document_problems(schema: dict[str, Any], routes: Sequence[BaseRoute]) -> None:
    """Adds to every operation of ``schema`` the error statuses it can answer, and gives
    every error response the problem+json schema."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for route in iter_route_contexts(routes):
        if not (isinstance(route.original_route, APIRoute) and route.include_in_schema):
            continue
        derived = _derived_statuses(route.original_route, route.dependant)
        for method in route.methods:
            responses = schema["paths"][route.path_format][method.lower()]["responses"]
            for status in derived:
                responses.setdefault(str(status), {"description": HTTPStatus(status).phrase})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
    # FastAPI's own 422 bodies are not what we answer (problems.py reshapes them).
    for name in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(name, None)


def _derived_statuses(route: APIRoute, dependant: Dependant) -> set[int]:
    calls = set(_calls(dependant))
    statuses: set[int] = set()
    if optional_user in calls:
        statuses |= {401, 429}  # a bad token or key; an API key over its rate
    if current_user in calls:
        statuses.add(401)
    if admin_user in calls:
        statuses.add(403)
    if expected_version in calls:
        statuses.add(412)
    if _all_params(dependant, "path_params"):
        statuses.add(404)
    if any(p.alias == "cursor" for p in _all_params(dependant, "query_params")):
        statuses.add(400)  # a cursor that is not one of ours
    if route.body_field is not None:
        statuses |= {400, 422}  # not JSON; not the model
    if any(
        _all_params(dependant, kind) for kind in ("path_params", "query_params", "header_params")
    ):
        statuses.add(422)
    writes = bool(route.methods - {"GET", "HEAD"})
    if writes and current_user in calls:
        statuses.add(409)
        if _all_params(dependant, "path_params"):
            statuses.add(403)
    return statuses


def _calls(dependant: Dependant):
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def _all_params(dependant: Dependant, kind: str) -> list:
    found = list(getattr(dependant, kind))
    for dependency in dependant.dependencies:
        found += _all_params(dependency, kind)
    return found
