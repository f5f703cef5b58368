"""Index keys on user profiles that administration queries (kept by the accounts service).

- GSI2 ``USERNAMES#{first character}`` / ``{username}``: find users by username prefix
  (one partition per first character, so the query is a ``begins_with`` on one of them);
- GSI3 ``ADMINS`` / ``{userId}``, only while the user is an admin: "is there another
  admin" without scanning every profile.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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
