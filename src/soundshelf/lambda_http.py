"""The API Lambda: API Gateway HTTP API (payload 2.0) → Mangum → the FastAPI app.

Importing this module does nothing but define ``handler``: the app, its services and
every heavy import (FastAPI, boto3, the adapters) are made on the first invocation and
kept for the container's lifetime. Nothing talks to AWS until a request needs it.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mangum import Mangum


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _asgi_handler()(event, context)


@cache
def _asgi_handler() -> Mangum:
    from mangum import Mangum
    from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

    from soundshelf.bootstrap import build
    from soundshelf.config import Settings
    from soundshelf.http.app import create_app
    from soundshelf.logs import configure_logging

    settings = Settings()
    configure_logging(settings.log_level)
    # Our middleware writes the access log; Mangum's own line per request would repeat it.
    logging.getLogger("mangum.http").setLevel(logging.WARNING)
    return Mangum(
        create_app(build(settings)),
        # The app has no startup/shutdown work, and API Gateway has no lifespan events.
        lifespan="off",
        # Errors are problem+json; without this Mangum would base64 them as binary.
        text_mime_types=[*DEFAULT_TEXT_MIME_TYPES, "application/problem+json"],
    )
