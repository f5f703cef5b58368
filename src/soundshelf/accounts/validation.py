"""Rules for usernames, emails and passwords, the same for both identity providers."""

from __future__ import annotations

import re
from importlib import resources

from soundshelf.errors import DomainError, ValidationFailed
from soundshelf.ports.identity import WeakPassword

USERNAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{1,30}[a-z0-9])$")
EMAIL_RE = re.compile(r"^[^@\s\x00-\x1f]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253})\.[A-Za-z]{2,}$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256

# Common passwords of 10+ characters from public breach lists (shorter ones fail the
# length rule anyway), plus the obvious ones for this site.
COMMON_PASSWORDS = frozenset(
    (resources.files("soundshelf") / "data" / "common-passwords.txt").read_text().split()
)


def normalize_username(username: str) -> str:
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise ValidationFailed(
            "Usernames are 3 to 32 characters: lowercase letters, digits, '.', '_' or '-', "
            "starting and ending with a letter or digit"
        )
    return username


def normalize_email(email: str) -> str:
    email = email.strip()
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise ValidationFailed("This is not a valid email address")
    local, domain = email.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def check_password(password: str, *, username: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"Use at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"Use at most {MAX_PASSWORD_LENGTH} characters")
    lowered = password.lower()
    if username and username.lower() in lowered:
        raise WeakPassword("The password must not contain the username")
    if lowered in COMMON_PASSWORDS or len(set(password)) < 4:
        raise WeakPassword("This password is too common; choose another")


def check_sign_up(username: str, email: str, password: str) -> tuple[str, str]:
    """The normalized (username, email), or the first field's error carrying every
    field's (``errors``, located like request validation errors) so a form shows all at
    once instead of one per attempt."""
    failures: list[tuple[str, DomainError]] = []
    try:
        username = normalize_username(username)
    except DomainError as error:
        failures.append(("username", error))
    try:
        email = normalize_email(email)
    except DomainError as error:
        failures.append(("email", error))
    try:
        check_password(password, username=username)
    except DomainError as error:
        failures.append(("password", error))
    if failures:
        first = failures[0][1]
        first.extra["errors"] = [
            {"location": ["body", name], "message": error.detail} for name, error in failures
        ]
        raise first
    return username, email
