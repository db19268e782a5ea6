"""What the API models share: the ``{data, count}`` list envelope and how times are written."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, PlainSerializer, WithJsonSchema

T = TypeVar("T")


class ListOf(BaseModel, Generic[T]):
    """A list envelope."""

    data: list[T]
    """The items."""
    count: int
    """How many items."""


def _isoformat(value: datetime) -> str:
    return value.isoformat()


Timestamp = Annotated[datetime, PlainSerializer(_isoformat, return_type=str, when_used="json"),
                      WithJsonSchema({"type": "string", "format": "date-time"})]
"""A time from the database, written as ``datetime.isoformat()`` (``2026-12-06T13:49:17.712587+00:00``), as the
goal, review, audit, trust-ramp and skills endpoints have always written it (pydantic's default would write ``Z``)."""
