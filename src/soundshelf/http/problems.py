"""RFC 9457 problem+json answers: every error the API returns goes through here."""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path, get_route_path

from soundshelf.errors import DomainError, RateLimited
from soundshelf.http.plain_errors import plain_message

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("soundshelf.http")

_CODES_BY_STATUS = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "too_large",
    415: "unsupported_media",
    422: "validation_error",
    429: "rate_limited",
}


def problem(
    status: int,
    *,
    code: str,
    title: str,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "code": code,
        "detail": detail or title,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    return problem(
        exc.status, code=exc.code, title=exc.title, detail=exc.detail, headers=headers, **exc.extra
    )


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "location": [str(p) for p in err.get("loc", ())],
            "message": plain_message(err),
        }
        for err in exc.errors()
    ]
    first = errors[0] if errors else None
    detail = (
        f"{'.'.join(first['location'][1:]) or 'request'}: {first['message']}"
        if first
        else "The request is not valid"
    )
    return problem(
        422, code="validation_error", title="Invalid input", detail=detail, errors=errors
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405 and (methods := allowed_methods(request)):
        headers["Allow"] = ", ".join(methods)  # else the web app's files: its GET, HEAD
    return problem(
        exc.status_code,
        code=_CODES_BY_STATUS.get(exc.status_code, "error"),
        title=str(exc.detail) if exc.detail else "Error",
        headers=headers,
    )


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of this path answers. Starlette's 405 names only the
    first route that matched the path, while each method of a path is its own route."""
    path = get_route_path(request.scope)
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):  # with their prefixes
        if route.methods and route.path and _path_regex(route.path).match(path):
            methods |= route.methods
    return sorted(methods)


@functools.cache
def _path_regex(path: str) -> re.Pattern[str]:
    return compile_path(path)[0]


async def _unexpected_error(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem(
        500,
        code="internal_error",
        title="Internal error",
        detail="Something went wrong on our side; it has been logged.",
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
