"""The user item and who is calling: what every feature needs to know about users.

- profile ``USER#{userId}`` / ``PROFILE``; ``USERNAME#{username}`` / ``USERNAME`` and
  ``EMAIL#{email}`` / ``EMAIL`` keep usernames and emails unique;
- index keys on profiles that administration queries (kept by the accounts service):
  GSI2 ``USERNAMES#{first character}`` / ``{username}``: find users by username prefix
  (one partition per first character, so the query is a ``begins_with`` on one of them);
  GSI3 ``ADMINS`` / ``{userId}``, only while the user is an admin: "is there another
  admin" without scanning every profile.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

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


ADMINS_PK = "ADMINS"
ADMIN_INDEX = ("GSI3PK", "GSI3SK")


def usernames_pk(prefix: str) -> str:
    return f"USERNAMES#{prefix[:1]}"


def profile_index_keys(user_id: str, username: str, roles: Iterable[str]) -> dict[str, str]:
    """The index attributes of a new profile."""
    keys = {"GSI2PK": usernames_pk(username), "GSI2SK": username}
    if "admin" in set(roles):
        keys |= {"GSI3PK": ADMINS_PK, "GSI3SK": user_id}
    return keys


def roles_update(user_id: str, roles: Iterable[str]) -> dict[str, Any]:
    """``Table.update`` arguments that store ``roles`` and move the admin index entry."""
    granted = sorted(set(roles))
    if "admin" in granted:
        return {"set": {"roles": granted, "GSI3PK": ADMINS_PK, "GSI3SK": user_id}}
    return {"set": {"roles": granted}, "remove": list(ADMIN_INDEX)}
