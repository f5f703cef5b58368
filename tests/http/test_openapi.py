"""The OpenAPI document tells the truth: required fields are sent, every error status an
operation answers is documented as problem+json, and a 405 names the methods the path
really allows."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.http.helpers import bearer

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


@pytest.fixture
def spec(client: TestClient) -> dict:
    return client.get("/api/openapi.json").json()


def test_the_uploads_list_sends_the_required_next_cursor(
    client: TestClient, sign_up: Callable, spec: dict
) -> None:
    required = spec["components"]["schemas"]["UploadList"]["required"]
    assert "nextCursor" in required
    answer = client.get("/api/v1/uploads", headers=bearer(sign_up("alice"))).json()
    assert answer == {"items": [], "nextCursor": None}


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("patch", "/api/v1/tracks/{track_id}", {400, 401, 403, 404, 409, 412, 422, 429}),
        ("get", "/api/v1/tracks", {400, 401, 404, 422, 429}),
        ("get", "/api/v1/admin/users", {400, 401, 403, 422, 429}),
        ("post", "/api/v1/uploads", {400, 401, 409, 413, 415, 422, 429}),
        ("post", "/api/v1/albums", {400, 401, 409, 422, 429}),
        ("post", "/api/v1/auth/login", {400, 401, 403, 429}),
    ],
)
def test_operations_document_their_errors_as_problems(
    spec: dict, method: str, path: str, statuses: set[int]
) -> None:
    responses = spec["paths"][path][method]["responses"]
    errors = {int(s) for s in responses if int(s) >= 400}
    assert statuses <= errors
    for status in errors:
        assert responses[str(status)]["content"] == PROBLEM, status


def test_health_documents_no_error_it_cannot_answer(spec: dict) -> None:
    assert set(spec["paths"]["/api/health"]["get"]["responses"]) == {"200"}


def test_every_error_response_of_every_operation_is_a_problem(spec: dict) -> None:
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert response["content"] == PROBLEM, (method, path, status)
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    problem = spec["components"]["schemas"]["Problem"]
    assert {"status", "code", "title", "detail"} <= set(problem["required"])


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/api/v1/tracks/abc", "DELETE, GET, PATCH"),
        ("POST", "/api/v1/tracks/abc/like", "DELETE, PUT"),
        ("DELETE", "/api/health", "GET"),
        ("PUT", "/api/v1/playlists", "GET, POST"),
        ("DELETE", "/rest/ping", "GET, HEAD, POST"),
    ],
)
def test_a_405_names_the_methods_the_path_allows(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.headers["content-type"] == "application/problem+json"
