"""Domain errors. Services raise these; the HTTP layer maps each to a problem+json answer."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: ``status`` and ``code`` are the HTTP mapping, ``detail`` the human text."""

    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str | None = None, **extra: object) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class ValidationFailed(DomainError):
    status, code, title = 422, "validation_error", "Invalid input"


class NotAuthenticated(DomainError):
    status, code, title = 401, "not_authenticated", "Authentication required"


class Forbidden(DomainError):
    status, code, title = 403, "forbidden", "Not allowed"


class NotFound(DomainError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(DomainError):
    status, code, title = 409, "conflict", "Conflict"


class PreconditionFailed(DomainError):
    status, code, title = 412, "precondition_failed", "The resource has changed"


class RangeNotSatisfiable(DomainError):
    status, code, title = 416, "range_not_satisfiable", "Range not satisfiable"


class RateLimited(DomainError):
    status, code, title = 429, "rate_limited", "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int = 60) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
