"""Who is calling, and what the API shows of a user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from soundshelf.ports.clock import iso

Role = Literal["listener", "artist", "admin"]
ROLES: tuple[Role, ...] = ("listener", "artist", "admin")
GRANTABLE_ROLES = frozenset({"artist", "admin"})  # ``listener`` is everyone


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, as every service sees it."""

    user_id: str
    username: str
    roles: frozenset[str]
    via_api_key: str | None = None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


def profile_key(user_id: str) -> tuple[str, str]:
    return f"USER#{user_id}", "PROFILE"


def username_key(username: str) -> tuple[str, str]:
    return f"USERNAME#{username}", "USERNAME"


def email_key(email: str) -> tuple[str, str]:
    return f"EMAIL#{email.lower()}", "EMAIL"


def roles_of(profile: dict[str, Any]) -> frozenset[str]:
    return frozenset({"listener", *profile.get("roles", [])})


def principal_of(profile: dict[str, Any], *, via_api_key: str | None = None) -> Principal:
    return Principal(
        user_id=profile["userId"],
        username=profile["username"],
        roles=roles_of(profile),
        via_api_key=via_api_key,
    )


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
