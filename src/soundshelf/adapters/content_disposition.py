"""``Content-Disposition: attachment`` with a file name any browser can read (RFC 6266).

Both blob stores use this one helper, so a download is named the same whether the local
server or S3 (``ResponseContentDisposition``) answers it.
"""

from __future__ import annotations

import os
import re
import unicodedata
from urllib.parse import quote

MAX_FILENAME_LENGTH = 255
_DEFAULT_STEM = "download"
# RFC 5987 attr-char, minus the letters and digits that ``quote`` always keeps.
_ATTR_CHAR_SAFE = "!#$&+-.^_`|~"
# What may appear inside the quoted ASCII fallback: printable ASCII without the quote,
# the backslash (both would need escaping that some browsers get wrong) and separators.
_UNSAFE_FALLBACK = re.compile(r'[^\x20-\x7e]|["\\/%;]')


def clean_filename(filename: str) -> str:
    """The name the user will see: no control characters, no path, bounded length."""
    name = "".join(ch for ch in filename if unicodedata.category(ch)[0] != "C")
    name = name.replace("/", "_").replace("\\", "_").strip().strip(".")
    return name[:MAX_FILENAME_LENGTH] or _DEFAULT_STEM


def ascii_fallback(filename: str) -> str:
    """An ASCII approximation (``Café.mp3`` → ``Cafe.mp3``) for clients without RFC 5987."""
    decomposed = unicodedata.normalize("NFKD", filename)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    ascii_name = _UNSAFE_FALLBACK.sub("_", stripped.encode("ascii", "replace").decode())
    ascii_name = ascii_name.replace("?", "_")
    stem, ext = os.path.splitext(ascii_name)
    if not stem.strip("_ ."):
        # Nothing readable left of the name (e.g. all CJK): keep at least the extension.
        stem = _DEFAULT_STEM
    return stem + ext


def content_disposition(filename: str, *, disposition: str = "attachment") -> str:
    """``attachment; filename="ascii-fallback"; filename*=UTF-8''percent-encoded``."""
    name = clean_filename(filename)
    encoded = quote(name, safe=_ATTR_CHAR_SAFE, encoding="utf-8")
    return f"{disposition}; filename=\"{ascii_fallback(name)}\"; filename*=UTF-8''{encoded}"
