"""Suite-wide settings. With ``CI=true`` a skipped test is a failure: a missing browser or
an unavailable contract backend must not pass silently."""

from __future__ import annotations

import os
from typing import Any

import pytest
from pydantic import BaseModel

from soundshelf.http import pages

IN_CI = os.environ.get("CI") == "true"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if IN_CI and skipped and exitstatus == 0:
        reporter.write_line(f"CI=true: {skipped} skipped test(s) count as failures", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _check_page(model: type[BaseModel], body: dict[str, Any]) -> None:
    """Pages skip their response model at run time (soundshelf.http.pages); here each one
    served in-process must still match it, field for field."""
    model.model_validate(body)  # response models forbid fields they do not describe


def pytest_configure(config: pytest.Config) -> None:
    pages.check_page = _check_page
