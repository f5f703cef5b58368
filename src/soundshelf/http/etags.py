"""Optimistic concurrency over HTTP: ``ETag: "v{version}"`` out, ``If-Match`` in."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Header, Response

from soundshelf.errors import PreconditionFailed

_ETAG = re.compile(r'^(?:W/)?"v(\d{1,12})"$')


def etag(version: int) -> str:
    return f'"v{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


async def expected_version(
    if_match: Annotated[str | None, Header(description='An ETag, e.g. "v3"')] = None,
) -> int | None:
    """The version a write expects, from ``If-Match`` (None when absent or ``*``)."""
    if if_match is None or if_match.strip() == "*":
        return None
    match = _ETAG.match(if_match.strip())
    if match is None:
        raise PreconditionFailed("If-Match does not name a version of this resource")
    return int(match.group(1))
