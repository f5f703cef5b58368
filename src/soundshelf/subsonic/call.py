"""One Subsonic request as the handlers see it: caller, parameters, services."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from starlette.datastructures import MultiDict

from soundshelf.bootstrap import Services
from soundshelf.core.users import Principal
from soundshelf.subsonic.library import Library, Pool
from soundshelf.subsonic.protocol import MISSING_PARAMETER, SubsonicError

# A repeated parameter (songIdToAdd, songIndexToRemove, id...) carries at most this many
# values: a playlist holds up to 5,000 entries, changed a page at a time by clients.
MAX_REPEATED = 500
# Numbers are parsed from at most this many characters (an int64 with its sign); a
# longer one is refused rather than parsed (int() of thousands of digits is slow).
MAX_NUMBER_CHARS = 20


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

    @cached_property
    def pool(self) -> Pool:
        """Everything this caller's lists are drawn from, read once per call (search3 and
        the artist calls need it twice: artists, then albums or songs)."""
        return self.library.pool(self.principal)

    def pool_if_read(self) -> Pool | None:
        """The pool when this call has read it already, else None (not read for it)."""
        return self.__dict__.get("pool")  # where cached_property keeps it

    def get(self, name: str) -> str | None:
        value = self.params.get(name)
        return value if value not in (None, "") else None

    def required(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise SubsonicError(MISSING_PARAMETER, f"Required parameter is missing: {name}")
        return value

    def all(self, name: str) -> list[str]:
        values = [v for v in self.params.getlist(name) if v]
        if len(values) > MAX_REPEATED:
            raise SubsonicError(MISSING_PARAMETER, f"{name} is given at most {MAX_REPEATED} times")
        return values

    def int(self, name: str, default: int, *, low: int = 0, high: int = 10_000) -> int:
        value = self.get(name)
        number = _number(name, value) if value is not None else default
        return max(low, min(high, number))

    def ints(self, name: str, *, low: int = 0, high: int = 10_000) -> list[int]:
        """Every value of a repeated numeric parameter, each within ``low``..``high``."""
        numbers = [_number(name, value) for value in self.all(name)]
        if any(not low <= n <= high for n in numbers):
            raise SubsonicError(MISSING_PARAMETER, f"{name} is a number from {low} to {high}")
        return numbers

    def flag(self, name: str, default: bool) -> bool:
        value = self.get(name)
        return default if value is None else value.lower() == "true"


def _number(name: str, value: str) -> int:
    if len(value) > MAX_NUMBER_CHARS or not value.lstrip("-").isdecimal():
        raise SubsonicError(MISSING_PARAMETER, f"{name} must be a number")
    return int(value)
