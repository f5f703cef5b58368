from __future__ import annotations

import json
import logging

from soundshelf.logs import JsonFormatter, request_id_var


def format_line(**extra: object) -> dict[str, object]:
    record = logging.makeLogRecord(
        {"name": "t", "levelno": 20, "levelname": "INFO", "msg": "request", **extra}
    )
    token = request_id_var.set("r1")
    try:
        return json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)


def test_a_line_is_json_with_the_request_id_and_every_extra() -> None:
    line = format_line(path="/api/v1/tracks", status=200, durationMs=0.5, what=object)
    assert line.pop("time").endswith("+00:00")
    assert line == {
        "level": "INFO",
        "logger": "t",
        "message": "request",
        "requestId": "r1",
        "path": "/api/v1/tracks",
        "status": 200,
        "durationMs": 0.5,
        "what": str(object),  # anything else as its str()
    }


def test_what_orjson_refuses_is_still_written() -> None:
    assert format_line(big=2**70)["big"] == 2**70
    assert format_line(payload={1: "a"})["payload"] == {"1": "a"}
