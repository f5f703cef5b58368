"""Small helpers shared by tests."""

from __future__ import annotations

import re
import time
from pathlib import Path

from soundshelf.adapters.outbox_mail import latest_message_to


class FakeClock:
    """A clock tests move by hand; starts at the real time so tokens look normal."""

    def __init__(self, start: float | None = None) -> None:
        self.time = time.time() if start is None else start

    def now(self) -> float:
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += seconds


def code_from_outbox(data_dir: Path, email: str) -> str:
    """The 6-digit code of the newest message to ``email`` in the embedded outbox."""
    message = latest_message_to(data_dir / "outbox", email)
    assert message is not None, f"no message to {email}"
    body = message.get_body(("plain",))
    assert body is not None
    codes = re.findall(r"\b\d{6}\b", body.get_content())
    assert len(codes) == 1, codes
    return codes[0]
