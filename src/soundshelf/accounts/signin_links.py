"""Mailed sign-in links: the real owner's way in while someone guesses at the account.

A link carries 256 random bits (stored hashed), is valid 15 minutes for one sign-in and
5 password tries, and lets its holder sign in past the throttles that other people's
guesses filled. It does not replace the password: both identity providers (Cognito
without a custom auth flow included) only issue tokens for one.
"""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import quote

from soundshelf.accounts.throttles import SIGN_IN_LINK_TRIES, SIGN_IN_LINK_TTL
from soundshelf.ports.clock import Clock
from soundshelf.ports.mail import Mailer, Message
from soundshelf.ports.table import AttributeEquals, ConditionFailed, Table

MAX_LINK_LENGTH = 128


def _link_key(token: str) -> tuple[str, str]:
    return f"SIGNINLINK#{hashlib.sha256(token.encode()).hexdigest()}", "SIGNINLINK"


class SignInLinks:
    def __init__(self, *, table: Table, clock: Clock, mailer: Mailer | None) -> None:
        self.table = table
        self.clock = clock
        self.mailer = mailer

    @property
    def enabled(self) -> bool:
        return self.mailer is not None

    def send(self, *, username: str, email: str, base_url: str) -> None:
        if self.mailer is None:
            return
        token = secrets.token_urlsafe(32)
        pk, sk = _link_key(token)
        now = self.clock.now()
        self.table.put(
            {
                "PK": pk,
                "SK": sk,
                "username": username,
                "tries": 0,
                "expiresAt": int(now + SIGN_IN_LINK_TTL),
            }
        )
        url = f"{base_url.rstrip('/')}/signin?link={quote(token)}"
        body = (
            f"Hello {username},\n\nSomeone (we hope you) asked to sign in to Soundshelf while "
            "sign-ins to your account are being slowed down by failed attempts.\n\n"
            f"Open this link within 15 minutes and sign in with your password:\n{url}\n\n"
            "If you did not ask for it, ignore this message; someone may be guessing at "
            "your password, so choose a long one.\n"
        )
        self.mailer.send(Message(to=email, subject="Your Soundshelf sign-in link", body=body))

    def proves(self, token: str | None, *, username: str) -> bool:
        """Whether ``token`` is a live link for ``username``; uses up one of its tries."""
        if not token or len(token) > MAX_LINK_LENGTH:
            return False
        key = _link_key(token)
        link = self.table.get(*key)
        if link is None or link["username"] != username or link["expiresAt"] <= self.clock.now():
            return False
        tries = int(link["tries"])
        if tries >= SIGN_IN_LINK_TRIES:
            return False
        try:
            self.table.update(
                *key, set={"tries": tries + 1}, condition=AttributeEquals("tries", tries)
            )
        except ConditionFailed:
            return False  # a parallel try took it
        return True

    def used(self, token: str) -> None:
        """One sign-in per link."""
        self.table.delete(*_link_key(token))
