"""The one error media processing raises for a file the user got wrong."""

from __future__ import annotations

from soundshelf.errors import DomainError


class UnsupportedMedia(DomainError):
    """The file is not what it claims, not allowed, damaged or over a limit.

    ``detail`` says why in words fit for the uploader; the worker stores it with the
    failed item. Infrastructure failures (disk full, missing file) are never this.
    """

    status, code, title = 415, "unsupported_media", "Unsupported media"
