"""Media test fixtures: every file is generated once per session by tests/mediagen.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests import mediagen

SECONDS = 3.0
SILENT = (1.0, 2.0)  # seconds of silence inside every generated track


@pytest.fixture(scope="session")
def cover() -> bytes:
    return mediagen.cover_jpeg()


@pytest.fixture(scope="session")
def audio_file(tmp_path_factory: pytest.TempPathFactory, cover: bytes) -> Callable[[str], Path]:
    """fmt -> a 3 s tagged track with cover art (raw ADTS AAC cannot carry tags)."""
    folder = tmp_path_factory.mktemp("audio")
    made: dict[str, Path] = {}

    def get(fmt: str) -> Path:
        if fmt not in made:
            taggable = fmt != "aac"
            made[fmt] = mediagen.make_audio(
                folder / f"01 - My Song.{fmt}",
                fmt,
                SECONDS,
                tags=mediagen.TAGS if taggable else None,
                cover=cover if taggable else None,
                silent=SILENT,
            )
        return made[fmt]

    return get
