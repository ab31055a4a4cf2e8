"""Bounded query and path parameters, so absurd numbers get a 422 instead of a database error."""

from typing import Annotated

from fastapi import Path, Query

MAX_ID = 2**31 - 1

ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Limit = Annotated[int, Query(ge=1, le=500)]
Count = Annotated[int, Query(ge=0, le=1_000_000)]
