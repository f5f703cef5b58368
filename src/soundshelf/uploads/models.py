"""Upload records, kinds and the rules for what may be uploaded."""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Literal

from soundshelf.errors import ValidationFailed
from soundshelf.ports.clock import iso

Kind = Literal["audio", "image", "file"]
Status = Literal["pending", "processing", "ready", "failed"]

AUDIO_TYPES = frozenset(
    {
        "audio/mpeg",
        "audio/mp3",
        "audio/mp4",
        "audio/x-m4a",
        "audio/m4a",
        "audio/aac",
        "audio/flac",
        "audio/x-flac",
        "audio/ogg",
        "audio/opus",
        "audio/vorbis",
        "audio/wav",
        "audio/x-wav",
        "audio/wave",
        "audio/vnd.wave",
    }
)
IMAGE_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/gif",
        "image/heic",
        "image/heif",
        "image/avif",
    }
)
MAX_FILENAME_LENGTH = 255


def kind_of(content_type: str) -> Kind:
    """The kind a declared type asks for; the worker checks the bytes later."""
    base = content_type.split(";", 1)[0].strip().lower()
    if base in AUDIO_TYPES:
        return "audio"
    if base in IMAGE_TYPES:
        return "image"
    return "file"


def clean_filename(filename: str) -> str:
    """The name as shown to people. Never used for storage keys."""
    name = unicodedata.normalize("NFC", filename).strip()
    if not name or len(name) > MAX_FILENAME_LENGTH:
        raise ValidationFailed(f"File names are 1 to {MAX_FILENAME_LENGTH} characters")
    if "/" in name or "\\" in name or name in {".", ".."}:
        raise ValidationFailed("Send the file name without any folder")
    if any(unicodedata.category(c) in {"Cc", "Cf", "Cs"} for c in name):
        raise ValidationFailed("The file name contains control characters")
    return name


def clean_content_type(content_type: str) -> str:
    base = content_type.split(";", 1)[0].strip().lower()
    type_, _, subtype = base.partition("/")
    if not type_ or not subtype or len(base) > 100 or not base.isascii() or " " in base:
        raise ValidationFailed("contentType must be a media type such as audio/mpeg")
    return base


_UPLOAD_ID_RE = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")  # a ULID


def upload_id_of(blob_key: str) -> str | None:
    """The upload whose URL writes ``blob_key``; ``None`` for any other key (a
    processed original, a derivative)."""
    parts = blob_key.split("/")
    if len(parts) == 3 and parts[0] == "originals" and _UPLOAD_ID_RE.fullmatch(parts[2]):
        return parts[2]
    return None


def upload_view(item: dict[str, Any]) -> dict[str, Any]:
    view = {
        "uploadId": item["uploadId"],
        "filename": item["filename"],
        "kind": item["kind"],
        "size": item["size"],
        "status": item["status"],
        "createdAt": iso(item["createdAt"]),
    }
    for name in ("error", "resultType", "resultId"):
        if item.get(name):
            view[name] = item[name]
    return view
