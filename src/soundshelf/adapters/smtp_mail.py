"""A ``Mailer`` that relays through an SMTP server named by ``SOUNDSHELF_SMTP_URL``.

Accepted URLs (user and password are optional and percent-decoded)::

    smtp://user:pass@host:25            plain SMTP (local relays such as Mailpit)
    smtp+starttls://user:pass@host:587  upgraded with STARTTLS before authenticating
    smtps://user:pass@host:465          TLS from the first byte

One connection per message: sign-up and reset mails are rare, and a fresh connection
never trips over a server that dropped an idle one.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from typing import Literal
from urllib.parse import unquote, urlsplit

from soundshelf.adapters.outbox_mail import DEFAULT_SENDER, compose
from soundshelf.ports.mail import Message

Security = Literal["plain", "starttls", "tls"]

_SCHEMES: dict[str, tuple[Security, int]] = {
    "smtp": ("plain", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}
TIMEOUT_SECONDS = 10.0

log = logging.getLogger("soundshelf.mail")


class SmtpMailer:
    def __init__(
        self,
        url: str,
        *,
        sender: str = DEFAULT_SENDER,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``ssl_context`` replaces the default (system CAs, hostname checked), e.g. to
        trust a private CA; it is never used to turn verification off implicitly."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _SCHEMES:
            # The scheme only: the URL itself may carry a password.
            supported = ", ".join(f"{name}://" for name in _SCHEMES)
            raise ValueError(f"unsupported SMTP URL scheme {scheme!r}; use {supported}")
        if not parts.hostname:
            raise ValueError("SMTP URL has no host")
        self.security, default_port = _SCHEMES[scheme]
        self.host = parts.hostname
        self.port = parts.port or default_port  # .port raises ValueError if not a number
        self.username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else ""
        if not (self.username or "").isascii() or not self._password.isascii():
            # smtplib would fail at the first send, with the password in the exception.
            raise ValueError("SMTP user and password must be ASCII")
        self.sender = sender
        self._ssl_context = ssl_context

    def __repr__(self) -> str:
        # Spelled out so the password never lands in a log line or traceback.
        return f"SmtpMailer({self.security} {self.username or ''}@{self.host}:{self.port})"

    def send(self, message: Message) -> None:
        email = compose(message, sender=self.sender)
        with self._connect() as client:
            if self.username is not None:
                client.login(self.username, self._password)
            client.send_message(email)
        # Never the body (verification codes) nor the credentials.
        log.info(
            "mail to %s sent via %s:%d",
            message.to,
            self.host,
            self.port,
            extra={"to": message.to, "host": self.host, "port": self.port},
        )

    def _connect(self) -> smtplib.SMTP:
        context = self._ssl_context or ssl.create_default_context()
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT_SECONDS, context=context)
        client = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS)
        if self.security == "starttls":
            try:
                # Raises SMTPNotSupportedError if the server does not offer STARTTLS: the
                # credentials must not then go out in the clear.
                client.starttls(context=context)
            except BaseException:
                client.close()
                raise
        return client
