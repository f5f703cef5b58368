"""Validation errors in plain words: the one place pydantic's messages are translated.

People read these beside the field they typed in ("Use at most 100 characters"), and API
clients get the same sentence; a type we have no words for keeps pydantic's message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def _plural(count: Any, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


_MESSAGES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "missing": lambda _: "This is required.",
    "string_too_short": lambda c: (
        "This is required."
        if c.get("min_length") == 1
        else f"Use at least {_plural(c.get('min_length'), 'character')}."
    ),
    "string_too_long": lambda c: f"Use at most {_plural(c.get('max_length'), 'character')}.",
    "too_short": lambda c: f"Give at least {_plural(c.get('min_length'), 'item')}.",
    "too_long": lambda c: f"Give at most {_plural(c.get('max_length'), 'item')}.",
    "greater_than_equal": lambda c: f"Use a number of {c.get('ge')} or more.",
    "greater_than": lambda c: f"Use a number above {c.get('gt')}.",
    "less_than_equal": lambda c: f"Use a number of {c.get('le')} or less.",
    "less_than": lambda c: f"Use a number below {c.get('lt')}.",
    "literal_error": lambda c: f"Choose one of: {c.get('expected')}.",
    "enum": lambda c: f"Choose one of: {c.get('expected')}.",
    "int_parsing": lambda _: "Use a whole number.",
    "int_type": lambda _: "Use a whole number.",
    "int_from_float": lambda _: "Use a whole number.",
    "float_parsing": lambda _: "Use a number.",
    "float_type": lambda _: "Use a number.",
    "bool_parsing": lambda _: "Use true or false.",
    "bool_type": lambda _: "Use true or false.",
    "string_type": lambda _: "Use text here.",
    "string_pattern_mismatch": lambda _: "This is not in the expected form.",
    "list_type": lambda _: "Give a list here.",
    "dict_type": lambda _: "Give an object here.",
    "extra_forbidden": lambda _: "This field is not known here.",
    "json_invalid": lambda _: "The request body is not valid JSON.",
}


def plain_message(error: Mapping[str, Any]) -> str:
    """The sentence for one of pydantic's ``errors()`` entries."""
    words = _MESSAGES.get(str(error.get("type", "")))
    return words(error.get("ctx") or {}) if words else str(error.get("msg", "invalid"))
