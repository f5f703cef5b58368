"""A ``Mailer`` that delivers into a folder of ``.eml`` files (development and tests).

Each message becomes one RFC 5322 file any mail client can open. File names start with a
UTC timestamp so a plain sort gives delivery order; ``latest_message_to`` reads the newest
message for an address (how tests and the CLI fetch verification codes).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import tempfile
import threading
import time
from datetime import UTC, datetime
from email import message_from_binary_file, policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from pathlib import Path
from typing import cast

from soundshelf.ports.mail import Message

DEFAULT_SENDER = "Soundshelf <no-reply@soundshelf.local>"

log = logging.getLogger("soundshelf.mail")


def compose(message: Message, *, sender: str, sent_at: datetime | None = None) -> EmailMessage:
    """Build the RFC 5322 message both adapters send: plain UTF-8 text, no HTML part.

    Header values containing CR or LF are refused by the email policy (``ValueError``),
    so a crafted subject or address cannot inject headers.
    """
    email = EmailMessage(policy=policy.default)
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(sent_at or datetime.now(UTC))
    # An explicit domain: make_msgid's default looks up the host's FQDN, which can be slow.
    email["Message-ID"] = make_msgid(domain=_domain_of(sender))
    # Quoted-printable keeps the message 7-bit clean for any relay (no 8BITMIME needed)
    # while ASCII such as codes stays readable in the raw file.
    email.set_content(message.body, charset="utf-8", cte="quoted-printable")
    return email


def _domain_of(sender: str) -> str:
    _, address = parseaddr(sender)
    return address.rpartition("@")[2] or "soundshelf.local"


class OutboxMailer:
    def __init__(self, folder: Path, *, sender: str = DEFAULT_SENDER) -> None:
        self.folder = Path(folder)
        self.sender = sender
        self._lock = threading.Lock()
        self._last_us = 0

    def send(self, message: Message) -> None:
        sent_at, stamp = self._next_timestamp()
        email = compose(message, sender=self.sender, sent_at=sent_at)
        path = self.folder / f"{stamp}-{secrets.token_hex(4)}.eml"
        # CRLF line endings, as RFC 5322 and mail clients opening .eml files expect.
        _write_atomically(path, email.as_bytes(policy=policy.SMTP))
        # Never the body: it carries verification codes.
        log.info(
            "mail to %s written to %s",
            message.to,
            path,
            extra={"path": str(path), "to": message.to},
        )

    def _next_timestamp(self) -> tuple[datetime, str]:
        """Microsecond UTC stamp, strictly increasing within this mailer so two messages
        sent in the same clock tick still sort in the order they were sent."""
        with self._lock:
            self._last_us = max(time.time_ns() // 1000, self._last_us + 1)
            us = self._last_us
        sent_at = datetime.fromtimestamp(us // 1_000_000, UTC).replace(microsecond=us % 1_000_000)
        return sent_at, sent_at.strftime("%Y%m%dT%H%M%S.%fZ")


def _write_atomically(path: Path, data: bytes) -> None:
    """Readers polling the folder never see a half-written ``.eml``: write a hidden temp
    file (not matching ``*.eml``) and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file 0600, which the rename keeps: the codes stay private.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def read_message(path: Path) -> EmailMessage:
    with path.open("rb") as f:
        return cast(EmailMessage, message_from_binary_file(f, policy=policy.default))


def recipients_of(email: EmailMessage) -> list[str]:
    """Bare, lower-cased addresses from the ``To`` header(s)."""
    return [address.lower() for _, address in getaddresses(email.get_all("To", [])) if address]


def latest_message_to(folder: Path, address: str) -> EmailMessage | None:
    """The newest message in ``folder`` addressed to ``address`` (case-insensitive, with or
    without a display name), or ``None`` if there is none or the folder does not exist."""
    wanted = parseaddr(address)[1].lower()
    if not wanted or not folder.is_dir():
        return None
    for path in sorted(folder.glob("*.eml"), reverse=True):
        email = read_message(path)
        if wanted in recipients_of(email):
            return email
    return None
