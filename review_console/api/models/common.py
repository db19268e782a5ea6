"""What the API models share: the ``{data, count}`` list envelope and how times are written."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

from infra.store.timestamps import Timestamp

__all__ = ["ListOf", "Timestamp"]

T = TypeVar("T")


class ListOf(BaseModel, Generic[T]):
    """A list envelope."""

    data: list[T]
    """The items."""
    count: int
    """How many items."""
