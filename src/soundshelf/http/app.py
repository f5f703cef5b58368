"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from soundshelf import __version__
from soundshelf.bootstrap import Services
from soundshelf.errors import NotFound
from soundshelf.http.deps import document_security
from soundshelf.http.health import CachedVerdict, Health
from soundshelf.http.middleware import RequestContextMiddleware
from soundshelf.http.open_cors import OpenCorsMiddleware
from soundshelf.http.openapi import document_problems, raises
from soundshelf.http.problems import install_problem_handlers
from soundshelf.http.routes import (
    admin,
    albums,
    app_passwords,
    artists,
    auth,
    browse,
    export,
    files,
    library,
    me,
    photos,
    playlists,
    reports,
    search,
    shares,
    social,
    tracks,
    uploads,
)
from soundshelf.http.static import WebApp
from soundshelf.subsonic.router import router as subsonic_router

WEB_DIR = Path(str(resources.files("soundshelf") / "web"))
# Endpoints that write, hash passwords or move bytes run in threads (reads of the table
# run on the event loop). A few threads keep a core busy; dozens only take turns holding
# the GIL: with 40, a request cost about twice the CPU time under load.
THREADPOOL_SIZE = 8


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = THREADPOOL_SIZE
    yield


class _App(FastAPI):
    """FastAPI with a shortcut: requests under a prefix of ``direct`` go straight to
    their app, which carries its own middleware, instead of through FastAPI's layers and
    router (signed blob URLs: a player seeking in a track sends many ranged reads). Its
    OpenAPI document names the security schemes that ``optional_user`` reads itself, and
    the errors each operation can answer (``openapi.py``)."""

    direct: tuple[tuple[str, ASGIApp], ...] = ()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for prefix, target in self.direct:
                if scope["path"].startswith(prefix):
                    await target(scope, receive, send)
                    return
        await super().__call__(scope, receive, send)

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            self.openapi_schema = super().openapi()
            document_security(self.openapi_schema, self.routes)
            document_problems(self.openapi_schema, self.routes)
        return self.openapi_schema


# What the sign-in routes (codes, passwords, throttles) may refuse with, for all of them:
# their module declares no statuses of its own yet (openapi.py derives the rest).
_SIGN_IN_ERRORS = raises(400, 401, 403, 409, 429)


def create_app(services: Services) -> FastAPI:
    app = _App(
        title="Soundshelf API",
        version=__version__,
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=_lifespan,
        # Soundshelf exports no traces or metrics (its JSON logs carry request ids);
        # left on, FastAPI looks for OpenTelemetry providers on every request (~5 us).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.services = services
    install_problem_handlers(app)

    workers = CachedVerdict(services.worker_status)

    @app.get("/api/health", tags=["service"], response_model_exclude_none=True)
    async def health() -> Health:
        """Whether this server works, and which backend it runs on.

        ``status`` is ``ok``, ``degraded`` (a processing worker died recently, is being
        restarted or is stalled) or ``down`` (nothing processes uploads and the server is
        not fixing it). Always 200 while the API answers: a load balancer should keep
        sending requests; monitoring alerts on ``status``. ``processing`` shows each
        worker."""
        verdict = workers.current()
        return Health(
            status=verdict.status,
            backend=services.settings.backend,
            version=__version__,
            processing=verdict.processing,
        )

    @app.get("/.well-known/jwks.json", tags=["service"])
    async def jwks() -> dict[str, Any]:
        """Public keys of the embedded identity provider (Cognito publishes its own)."""
        if services.jwks_document is None:
            raise NotFound("This server's identity provider publishes its keys elsewhere")
        return services.jwks_document

    # Blob URLs (under /blobs/) take the shortcut set up below; the mounts stay in the
    # router too, for whatever reaches it (the bare mount path answers there).
    for path, asgi_app in services.mounts.items():
        app.mount(path, asgi_app)
    # FastAPI tries routes in order (twice per request); the catalog's hot reads come
    # first, which saves ~100 us per request over alphabetical order.
    for router in (
        tracks.router,
        albums.router,
        search.router,
        browse.router,
        playlists.router,
        library.router,
        artists.router,
        photos.router,
        files.router,
        me.router,
        social.router,
        shares.router,
        uploads.router,
        auth.router,
        app_passwords.router,
        export.router,
        reports.router,
        admin.router,
    ):
        app.include_router(
            router,
            prefix="/api/v1",
            responses=_SIGN_IN_ERRORS if router in (auth.router, app_passwords.router) else None,
        )
    app.include_router(subsonic_router)  # /rest/: OpenSubsonic clients
    app.mount("/", WebApp(WEB_DIR), name="web")

    if services.settings.web_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=services.settings.web_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "X-Api-Key",
                "X-Request-Id",
                "X-Share-Password",
            ],
            expose_headers=["ETag", "X-Request-Id", "Retry-After"],
            max_age=600,
        )
    # Subsonic clients in browsers, from any origin: outside the configured CORS above.
    app.add_middleware(OpenCorsMiddleware)
    app.add_middleware(RequestContextMiddleware, trusted_proxies=services.settings.trusted_proxies)
    # The mounts again, taken before FastAPI's own layers and router but behind the same
    # middleware of ours (request id, security headers, access log; CORS if configured).
    for path, asgi_app in services.mounts.items():
        direct = asgi_app
        for cls, args, kwargs in reversed(app.user_middleware):
            direct = cls(direct, *args, **kwargs)
        app.direct += ((path.rstrip("/") + "/", direct),)
    return app
