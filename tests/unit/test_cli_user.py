"""``soundshelf user add`` creates working accounts and refuses bad ones clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from soundshelf.bootstrap import build
from soundshelf.cli import main
from soundshelf.config import Settings

PASSWORD = "correct horse battery"


def run(tmp_path: Path, *args: str) -> int:
    return main(["user", "add", *args, "--data-dir", str(tmp_path)])


def test_user_add_with_roles_then_login(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = run(
        tmp_path,
        "root",
        "--email",
        "root@example.com",
        "--password",
        PASSWORD,
        "--role",
        "admin",
        "--role",
        "artist",
        "--confirmed",
    )
    assert code == 0
    assert "Created user root (listener, admin, artist)" in capsys.readouterr().out
    services = build(Settings(data_dir=tmp_path))
    tokens = services.accounts.login(username="root", password=PASSWORD, client="cli")
    assert services.accounts.authenticate_token(tokens.access_token).roles == {
        "listener",
        "artist",
        "admin",
    }


def test_user_add_refuses_weak_password_and_duplicates(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert run(tmp_path, "bob", "--email", "bob@example.com", "--password", "short") == 2
    assert "at least 10 characters" in capsys.readouterr().err
    assert run(tmp_path, "bob", "--email", "bob@example.com", "--password", PASSWORD) == 0
    assert run(tmp_path, "bob", "--email", "b2@example.com", "--password", PASSWORD) == 2
    assert "taken" in capsys.readouterr().err


def test_unconfirmed_user_must_confirm(tmp_path: Path) -> None:
    assert run(tmp_path, "cat", "--email", "cat@example.com", "--password", PASSWORD) == 0
    services = build(Settings(data_dir=tmp_path))
    from soundshelf.ports.identity import UserNotConfirmed

    with pytest.raises(UserNotConfirmed):
        services.accounts.login(username="cat", password=PASSWORD, client="cli")
