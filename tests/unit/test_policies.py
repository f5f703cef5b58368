"""Each role × visibility × action of the shared item policy."""

from __future__ import annotations

import pytest

from soundshelf.core.users import Principal
from soundshelf.errors import Forbidden, NotFound
from soundshelf.policies import can_view, ensure_can_edit, ensure_can_view

OWNER = Principal("owner", "owner", frozenset({"listener"}))
FRIEND = Principal("friend", "friend", frozenset({"listener"}))
STRANGER = Principal("stranger", "stranger", frozenset({"listener"}))
ADMIN = Principal("admin", "admin", frozenset({"listener", "admin"}))


def friends(a: str, b: str) -> bool:
    return {a, b} == {"friend", "owner"}


def item(visibility: str, **extra: object) -> dict[str, object]:
    return {"ownerId": "owner", "visibility": visibility, **extra}


@pytest.mark.parametrize(
    ("visibility", "viewer", "visible"),
    [
        ("private", OWNER, True),
        ("private", ADMIN, False),  # only through an open report (moderation/review.py)
        ("private", FRIEND, False),
        ("private", STRANGER, False),
        ("private", None, False),
        ("friends", OWNER, True),
        ("friends", FRIEND, True),
        ("friends", STRANGER, False),
        ("friends", None, False),
        ("friends", ADMIN, False),
        ("public", ADMIN, True),
        ("public", STRANGER, True),
        ("public", None, True),
        ("public", FRIEND, True),
    ],
)
def test_visibility(visibility: str, viewer: Principal | None, visible: bool) -> None:
    assert can_view(viewer, item(visibility), friends=friends) is visible


@pytest.mark.parametrize("viewer", [FRIEND, STRANGER, ADMIN, None])
def test_taken_down_items_are_hidden_from_everyone_else(viewer: Principal | None) -> None:
    assert not can_view(viewer, item("public", takenDown=True), friends=friends)


def test_taken_down_items_stay_visible_to_their_owner() -> None:
    assert can_view(OWNER, item("public", takenDown=True))


def test_invisible_is_404_and_visible_but_not_mine_is_403() -> None:
    with pytest.raises(NotFound):
        ensure_can_view(STRANGER, item("private"))
    with pytest.raises(NotFound):
        ensure_can_view(STRANGER, None)
    with pytest.raises(NotFound):
        ensure_can_edit(STRANGER, item("private"))
    with pytest.raises(Forbidden):
        ensure_can_edit(STRANGER, item("public"))
    with pytest.raises(Forbidden):
        ensure_can_edit(ADMIN, item("public"))  # admins moderate, they do not edit
    assert ensure_can_edit(OWNER, item("private"))["ownerId"] == "owner"
