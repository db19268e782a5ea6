"""Fixtures of the workflow tests (the shared ones are in ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from support import withdrawing_at_the_end


@pytest.fixture(scope="module", autouse=True)
async def withdraw_what_the_module_booked(pool: asyncpg.Pool[Any]) -> AsyncIterator[None]:
    """See ``support.withdrawing_at_the_end``: this module's bookings are withdrawn when it ends."""
    async for _ in withdrawing_at_the_end(pool):
        yield
