"""Catalog pages skip their response model when served, so the tests check them."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from soundshelf.http.pages import json_page
from soundshelf.http.routes.albums import AlbumList


def test_a_page_is_its_body_as_json() -> None:
    response = json_page(AlbumList, {"items": [], "nextCursor": "é"})
    assert response.media_type == "application/json"
    assert json.loads(response.body) == {"items": [], "nextCursor": "é"}


def test_in_the_tests_a_page_that_does_not_match_its_model_fails() -> None:
    with pytest.raises(ValidationError):
        json_page(AlbumList, {"items": [], "nextCursor": None, "ownerEmail": "x@example.com"})
