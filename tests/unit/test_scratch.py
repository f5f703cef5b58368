"""Scratch folders: named after the process that works in them, swept once it is gone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from soundshelf.scratch import scratch_folder, sweep


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_scratch_folder_lives_under_the_root_named_after_its_process(tmp_path: Path) -> None:
    root = tmp_path / "tmp"
    with scratch_folder(root) as work:
        assert work.parent == root
        assert work.name.startswith(f"{os.getpid()}-")
        (work / "original").write_bytes(b"x")
    assert list(root.iterdir()) == []


def test_sweep_removes_what_stopped_processes_left_and_nothing_else(tmp_path: Path) -> None:
    crashed = tmp_path / f"{dead_pid()}-abc"
    crashed.mkdir()
    (crashed / "original").write_bytes(b"a copy of an original")
    stray = tmp_path / "not-ours.tmp"
    stray.write_bytes(b"?")
    with scratch_folder(tmp_path) as mine:
        assert sweep(tmp_path) == 2
        assert mine.exists()  # this process still works in it
    assert not crashed.exists()
    assert not stray.exists()
    assert sweep(tmp_path / "missing") == 0
