from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from soundshelf.errors import Conflict, RateLimited
from soundshelf.http.plain_errors import plain_message
from soundshelf.http.problems import install_problem_handlers


class Album(BaseModel):
    title: str = Field(min_length=1)
    year: int


def make_client() -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/albums")
    def create(album: Album) -> dict[str, str]:
        raise Conflict("An album with this title already exists")

    @app.get("/limited")
    def limited() -> None:
        raise RateLimited("Slow down", retry_after=42)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    return TestClient(app, raise_server_exceptions=False)


def test_domain_error_becomes_problem_json_with_its_code() -> None:
    response = make_client().post("/albums", json={"title": "A", "year": 2020})
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "conflict"
    assert response.json()["detail"] == "An album with this title already exists"


def test_validation_error_names_the_field() -> None:
    response = make_client().post("/albums", json={"title": "", "year": "not a year"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert {tuple(e["location"]) for e in body["errors"]} == {
        ("body", "title"),
        ("body", "year"),
    }


def test_garbage_body_is_a_4xx_not_a_500() -> None:
    client = make_client()
    for body in (b"{not json", b"\x00\xff", b"[]", b'"; DROP TABLE items;--'):
        response = client.post(
            "/albums", content=body, headers={"Content-Type": "application/json"}
        )
        assert 400 <= response.status_code < 500, body


def test_rate_limit_carries_retry_after() -> None:
    response = make_client().get("/limited")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "42"


def test_unexpected_error_hides_its_detail() -> None:
    response = make_client().get("/boom")
    assert response.status_code == 500
    assert "secret" not in response.text
    assert response.json()["code"] == "internal_error"


def test_validation_messages_are_plain_words_for_every_field() -> None:
    response = make_client().post("/albums", json={"title": "", "year": "not a year"})
    messages = {e["location"][-1]: e["message"] for e in response.json()["errors"]}
    assert messages == {"title": "This is required.", "year": "Use a whole number."}


def test_length_and_range_messages_name_the_limit() -> None:
    too_long = {"type": "string_too_long", "ctx": {"max_length": 100}, "msg": "String should"}
    assert plain_message(too_long) == "Use at most 100 characters."
    assert plain_message({"type": "less_than_equal", "ctx": {"le": 5}}) == (
        "Use a number of 5 or less."
    )
    # A type without words of ours keeps pydantic's sentence rather than hiding it.
    assert plain_message({"type": "url_parsing", "msg": "Input should be a URL"}) == (
        "Input should be a URL"
    )
