"""Embedded identity provider details that the service journeys do not reach."""

from __future__ import annotations

from pathlib import Path

import pytest

from soundshelf.adapters.local_identity import LocalIdentityProvider
from soundshelf.adapters.outbox_mail import OutboxMailer
from soundshelf.adapters.sqlite_table import SqliteTable
from soundshelf.ports.clock import SystemClock
from soundshelf.ports.identity import InvalidCredentials

PASSWORD = "correct horse battery"


def test_a_reused_username_does_not_inherit_old_refresh_tokens(tmp_path: Path) -> None:
    idp = LocalIdentityProvider(
        SqliteTable(tmp_path / "t.db"),
        OutboxMailer(tmp_path / "out"),
        SystemClock(),
        key_dir=tmp_path / "keys",
        issuer="http://x",
    )
    idp.admin_create_user(username="ann", email="a@example.com", password=PASSWORD, confirmed=True)
    old = idp.login(username="ann", password=PASSWORD)
    idp.admin_delete_user(username="ann")
    idp.admin_create_user(username="ann", email="b@example.com", password=PASSWORD, confirmed=True)
    with pytest.raises(InvalidCredentials):
        idp.refresh(refresh_token=old.refresh_token)
    fresh = idp.login(username="ann", password=PASSWORD)
    assert idp.refresh(refresh_token=fresh.refresh_token).access_token
