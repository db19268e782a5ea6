"""How records write times: ``datetime.isoformat()``, as the API and the CLI always have."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import PlainSerializer, WithJsonSchema


def _isoformat(value: datetime) -> str:
    return value.isoformat()


Timestamp = Annotated[datetime, PlainSerializer(_isoformat, return_type=str, when_used="json"),
                      WithJsonSchema({"type": "string", "format": "date-time"})]
"""A time from the database, written as ``2026-12-06T13:49:17.712587+00:00`` (pydantic's default would write
``Z``); in Python it stays a ``datetime``."""
