"""The Subsonic response envelope, its XML and JSON renderings, and its error codes.

Payloads are built once as JSON-shaped dicts; the XML rendering follows the Subsonic
convention: scalar values are attributes, dicts are child elements, lists are repeated
child elements, and a ``value`` key is the element's text (genres, lyrics).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree as ET

from fastapi import Response

from soundshelf import __version__

API_VERSION = "1.16.1"
XMLNS = "http://subsonic.org/restapi"
SERVER_TYPE = "soundshelf"

# Error codes from the specification.
GENERIC = 0
MISSING_PARAMETER = 10
CLIENT_TOO_NEW = 20
WRONG_CREDENTIALS = 40
TOKEN_AUTH_NOT_SUPPORTED = 41
AUTH_MECHANISM_NOT_SUPPORTED = 42
CONFLICTING_AUTH = 43
INVALID_API_KEY = 44
NOT_AUTHORIZED = 50
NOT_FOUND = 70

_CALLBACK = re.compile(r"^[A-Za-z_$][\w$.]{0,63}$")
# Characters XML 1.0 cannot carry at all (tags and user text may hold them).
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


class SubsonicError(Exception):
    """Answered as ``status="failed"`` with HTTP 200, as the specification asks."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def envelope(payload: Mapping[str, Any] | None = None, *, failed: bool = False) -> dict:
    return {
        "status": "failed" if failed else "ok",
        "version": API_VERSION,
        "type": SERVER_TYPE,
        "serverVersion": __version__,
        "openSubsonic": True,
        **(payload or {}),
    }


def error_payload(error: SubsonicError) -> dict[str, Any]:
    return envelope({"error": {"code": error.code, "message": error.message}}, failed=True)


def render(body: Mapping[str, Any], *, fmt: str | None, callback: str | None) -> Response:
    """``f=json``/``jsonp`` as JSON (JSONP with a safe ``callback``), anything else XML."""
    if fmt in {"json", "jsonp"}:
        text = json.dumps({"subsonic-response": body}, separators=(",", ":"))
        if fmt == "jsonp" and callback and _CALLBACK.match(callback):
            return Response(f"{callback}({text});", media_type="application/javascript")
        return Response(text, media_type="application/json")
    return Response(to_xml(body), media_type="application/xml")


def to_xml(body: Mapping[str, Any]) -> bytes:
    root = ET.Element("subsonic-response", {"xmlns": XMLNS})
    _fill(root, body)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _fill(element: ET.Element, node: Mapping[str, Any]) -> None:
    for key, value in node.items():
        if value is None:
            continue
        if key == "value" and not isinstance(value, dict | list):
            element.text = _scalar(value)
        elif isinstance(value, Mapping):
            _fill(ET.SubElement(element, key), value)
        elif isinstance(value, list):
            for entry in value:
                child = ET.SubElement(element, key)
                if isinstance(entry, Mapping):
                    _fill(child, entry)
                else:
                    child.text = _scalar(entry)  # e.g. <genre> inside a list of strings
        else:
            element.set(key, _scalar(value))


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))
