from __future__ import annotations

import inspect

import anyio.to_thread
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from soundshelf import __version__
from soundshelf.http.app import THREADPOOL_SIZE


def test_health_reports_the_backend(client: TestClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "backend": "local", "version": __version__}


def test_every_response_carries_a_request_id_and_security_headers(client: TestClient) -> None:
    response = client.get("/api/health")
    assert len(response.headers["x-request-id"]) == 26  # a ULID
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_a_safe_incoming_request_id_is_kept_and_an_unsafe_one_replaced(
    client: TestClient,
) -> None:
    assert (
        client.get("/api/health", headers={"X-Request-Id": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    replaced = client.get("/api/health", headers={"X-Request-Id": "bad id\n<script>"})
    assert replaced.headers["x-request-id"] != "bad id\n<script>"


def test_unknown_api_route_is_a_problem_json_404(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert body["code"] == "not_found"


def test_wrong_method_is_a_problem_json_405(client: TestClient) -> None:
    response = client.delete("/api/health")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert "/api/health" in spec["paths"]
    assert client.get("/api/docs").status_code == 200


def test_openapi_lists_the_security_schemes_on_the_routes_that_authenticate(
    client: TestClient,
) -> None:
    spec = client.get("/api/openapi.json").json()
    assert spec["components"]["securitySchemes"] == {
        "HTTPBearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "An access token from /auth/login",
        },
        "APIKeyHeader": {
            "type": "apiKey",
            "in": "header",
            "name": "X-Api-Key",
            "description": "A key from /me/api-keys",
        },
    }
    both = [{"HTTPBearer": []}, {"APIKeyHeader": []}]
    paths = spec["paths"]
    assert paths["/api/v1/tracks"]["get"]["security"] == both  # optional
    assert paths["/api/v1/tracks/{track_id}"]["patch"]["security"] == both  # signed in
    assert paths["/api/v1/admin/users"]["get"]["security"] == both  # admins
    assert paths["/api/v1/auth/logout"]["post"]["security"] == both  # and the token
    assert "security" not in paths["/api/health"]["get"]
    assert "security" not in paths["/api/v1/auth/login"]["post"]


def test_web_app_is_served_at_root_and_deep_links_get_the_shell(client: TestClient) -> None:
    root = client.get("/")
    assert root.status_code == 200
    assert "<title>Soundshelf</title>" in root.text
    deep = client.get("/s/some-share-token")
    assert deep.status_code == 200
    assert deep.text == root.text
    import re

    script = re.search(r'<script type="module" src="([^"]+)"', root.text)
    assert script is not None
    assert client.get(script.group(1)).headers["content-type"].startswith("text/javascript")


def test_missing_asset_is_404_not_the_shell(client: TestClient) -> None:
    assert client.get("/missing.js").status_code == 404
    assert client.get("/.well-known/nothing").status_code == 404


def test_the_threadpool_is_capped(client: TestClient) -> None:
    # Writes run in threads; dozens of them only take turns holding the GIL.
    limiter = client.portal.call(anyio.to_thread.current_default_thread_limiter)
    assert limiter.total_tokens == THREADPOOL_SIZE == 8


# GET endpoints that must not run on the event loop: they read blob bytes (a waveform),
# may hash a password (a share link's) or write an audit entry (a reported item).
THREADED_READS = {"track_waveform", "open_share", "reported_item"}


def test_reads_run_on_the_event_loop(client: TestClient) -> None:
    """docs/architecture.md: a GET that only reads the table is ``async def``; a ``def``
    one hops to the threadpool, which halved the bare endpoint's requests/s."""
    threaded = {
        context.original_route.endpoint.__name__
        for context in iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
        if isinstance(context.original_route, APIRoute)
        and "GET" in context.methods
        and not inspect.iscoroutinefunction(context.original_route.endpoint)
    }
    assert threaded == THREADED_READS
