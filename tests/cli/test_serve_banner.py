"""What `soundshelf serve` prints first: where to open the app and how to sign in."""

from __future__ import annotations

from pathlib import Path

import pytest

from soundshelf.bootstrap import build
from soundshelf.cli import start_banner
from soundshelf.config import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, port=8080)


def test_loopback_names_the_url_and_how_to_make_an_account(settings: Settings) -> None:
    banner = start_banner(settings, build(settings), demo=False)
    assert "Open http://127.0.0.1:8080 in a web browser." in banner
    assert "another device" not in banner
    add_user = "soundshelf user add NAME --email ADDRESS --role admin --confirmed --data-dir"
    assert f"{add_user} {settings.resolved_data_dir}" in banner
    assert str(settings.resolved_data_dir / "outbox") in banner
    assert "Demo accounts" not in banner


def test_every_interface_says_how_to_reach_it_from_another_device(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, host="0.0.0.0", port=8080)  # noqa: S104
    banner = start_banner(settings, build(settings), demo=False)
    assert "Open http://127.0.0.1:8080 in a web browser on this machine." in banner
    assert "every network interface (0.0.0.0)" in banner
    assert "from another device, open http://" in banner
    assert ":8080 (this machine's address)" in banner


def test_a_public_url_is_what_people_open(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, public_url="https://music.example.org")
    assert "Open https://music.example.org in a web browser." in start_banner(
        settings, build(settings), demo=False
    )


def test_demo_accounts_only_where_the_demo_catalog_is(settings: Settings) -> None:
    services = build(settings)
    assert "Demo accounts" not in start_banner(settings, services, demo=True)
    services.table.put({"PK": "DEMO", "SK": "DEMO", "loaded": True})  # as load_demo marks it
    banner = start_banner(settings, services, demo=True)
    assert "Demo accounts: listener, admin, nova, kite, ember, lumen" in banner
    assert "(password: soundshelf-demo)" in banner
