"""What the API shows of a user."""

from __future__ import annotations

from typing import Any

from soundshelf.core.users import ROLES, roles_of
from soundshelf.ports.clock import iso


def me_view(profile: dict[str, Any]) -> dict[str, Any]:
    return {
        "userId": profile["userId"],
        "username": profile["username"],
        "email": profile["email"],
        "displayName": profile.get("displayName") or profile["username"],
        "bio": profile.get("bio", ""),
        "roles": [r for r in ROLES if r in roles_of(profile)],
        "createdAt": iso(profile["createdAt"]),
    }
