"""Serves the web app: files from the web folder, and ``index.html`` for every other
page path so deep links (``/s/{token}``, ``/albums``) work with the History API router."""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

# Paths owned by the API; a miss there is a real 404, never the app shell.
_API_PREFIXES = ("/api/", "/.well-known/", "/blobs/", "/rest/")


class WebApp(StaticFiles):
    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory, html=True, check_dir=True)
        self.index = directory / "index.html"

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404:
                raise
            response = None
        if response is not None and response.status_code != 404:
            if path.endswith((".js", ".css", ".html", ".json")) or path in ("", "."):
                response.headers["Cache-Control"] = "no-cache"
            return response
        full_path = scope["path"]
        if full_path.startswith(_API_PREFIXES) or "." in full_path.rsplit("/", 1)[-1]:
            raise HTTPException(404)
        return FileResponse(self.index, headers={"Cache-Control": "no-cache"})
