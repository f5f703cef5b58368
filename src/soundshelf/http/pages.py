"""Pages of catalog items (tracks, albums, playlists, photos, files, search results),
answered as the services built them.

The services build each view field by field, so nothing but those fields can leak out.
A page is therefore encoded once with orjson instead of being validated and serialized
again through its response model, which was ~15% of the CPU time of a page of 50 tracks.
The model still describes the page in OpenAPI, and the test suites check every page
against it (``check_page``, set by tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from fastapi import Response
from pydantic import BaseModel

# Tests set this to validate each page against its model before it is sent.
check_page: Callable[[type[BaseModel], dict[str, Any]], None] | None = None


def json_page(model: type[BaseModel], body: dict[str, Any]) -> Response:
    """``body`` (camelCase keys, as the API shows them) as a ``model`` page."""
    if check_page is not None:
        check_page(model, body)
    return Response(orjson.dumps(body), media_type="application/json")
