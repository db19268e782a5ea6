"""Process-wide handles that activities and agent tools reach for (set once by the worker)."""

from __future__ import annotations

from typing import Any

import asyncpg

_pool: asyncpg.Pool[Any] | None = None


def set_pool(pool: asyncpg.Pool[Any] | None) -> None:
    """Install (or clear) the Postgres pool of this process."""
    global _pool
    _pool = pool


def get_pool() -> asyncpg.Pool[Any]:
    """The Postgres pool of this process; fails loudly if the worker did not set one."""
    if _pool is None:
        raise RuntimeError("no database pool: start the worker through workers.main")
    return _pool
