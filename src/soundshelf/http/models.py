"""Base for request and response bodies: camelCase on the wire, snake_case in Python."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

# A track, album, playlist, photo or file as moderation left it. Only the owner ever
# gets a taken-down item; everyone else gets 404, as if it did not exist.
ItemStatus = Literal["ready", "taken_down"]


class ApiModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", str_max_length=10_000
    )
