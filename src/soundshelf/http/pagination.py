"""The list conventions: ``?limit=`` (default 50, max 200) and ``?cursor=``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

Limit = Annotated[int, Query(ge=1, le=200, description="Items per page")]
Cursor = Annotated[str | None, Query(max_length=2048, description="From the previous page")]
