"""The app as ``uvicorn`` imports it in each HTTP process of ``soundshelf serve``.

The parent process has already prepared the data dir (keys, demo catalog) and put its
settings in the environment; each process builds its own services from them.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from soundshelf.bootstrap import build
from soundshelf.config import Settings
from soundshelf.http.app import create_app
from soundshelf.logs import configure_logging
from soundshelf.process_tree import die_with_parent

SERVE_PID = "SOUNDSHELF_SERVE_PID"  # set by `serve` for its HTTP processes


def app_from_environment() -> FastAPI:
    if parent := os.environ.get(SERVE_PID):
        die_with_parent(int(parent))  # even a killed `serve` leaves no HTTP process behind
    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(build(settings))
