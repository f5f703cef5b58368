"""Demo data for ``soundshelf serve --demo``: loaded once, into an empty data dir only."""

from __future__ import annotations

import logging

from soundshelf.bootstrap import Services
from soundshelf.ports.table import ConditionFailed, ItemAbsent

log = logging.getLogger("soundshelf.demo")

DEMO_PASSWORD = "soundshelf-demo"
DEMO_USERS = [
    # (username, roles)
    ("admin", ["admin"]),
    ("nova", ["artist"]),
    ("listener", []),
]


def load_demo(services: Services) -> bool:
    """Create the demo accounts unless this data dir was used before; True if loaded."""
    if services.table.query("USERS", index="GSI1", limit=1).items:
        return False
    try:
        services.table.put({"PK": "DEMO", "SK": "DEMO", "loaded": True}, condition=ItemAbsent())
    except ConditionFailed:
        return False  # another process is loading it
    for username, roles in DEMO_USERS:
        services.accounts.create_user(
            username=username,
            email=f"{username}@demo.soundshelf.local",
            password=DEMO_PASSWORD,
            roles=roles,
        )
    return True


def login_hint() -> str:
    names = ", ".join(name for name, _ in DEMO_USERS)
    return f"Demo accounts: {names} (password: {DEMO_PASSWORD})"
