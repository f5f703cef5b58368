"""One Subsonic request as the handlers see it: caller, parameters, services."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from starlette.datastructures import MultiDict

from soundshelf.accounts.models import Principal
from soundshelf.bootstrap import Services
from soundshelf.subsonic.library import Library
from soundshelf.subsonic.protocol import MISSING_PARAMETER, SubsonicError


@dataclass
class Call:
    services: Services
    principal: Principal
    params: MultiDict

    @cached_property
    def library(self) -> Library:
        return Library(
            table=self.services.table, tracks=self.services.tracks, albums=self.services.albums
        )

    def get(self, name: str) -> str | None:
        value = self.params.get(name)
        return value if value not in (None, "") else None

    def required(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise SubsonicError(MISSING_PARAMETER, f"Required parameter is missing: {name}")
        return value

    def all(self, name: str) -> list[str]:
        return [v for v in self.params.getlist(name) if v]

    def int(self, name: str, default: int, *, low: int = 0, high: int = 10_000) -> int:
        value = self.get(name)
        try:
            number = int(value) if value is not None else default
        except ValueError:
            raise SubsonicError(MISSING_PARAMETER, f"{name} must be a number") from None
        return max(low, min(high, number))

    def flag(self, name: str, default: bool) -> bool:
        value = self.get(name)
        return default if value is None else value.lower() == "true"
