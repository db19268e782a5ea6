"""Postgres access: the connection pool and the ordered SQL migrations."""

from __future__ import annotations

import asyncio
import json
from importlib import resources
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg
import asyncpg.pool

MIGRATION_LOCK = 7_204_2026
"""Advisory lock id so that concurrent processes never apply migrations twice."""


if TYPE_CHECKING:
    Connection: TypeAlias = asyncpg.Connection[Any] | asyncpg.pool.PoolConnectionProxy[Any]
    Queryable: TypeAlias = Connection | asyncpg.Pool[Any]
else:  # asyncpg's classes are generic only in its stubs
    Connection = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy
    Queryable = Connection | asyncpg.Pool
# Queryable: a connection, or the pool itself for a single statement (a read outside any transaction)


async def _init_connection(conn: asyncpg.Connection[Any]) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool[Any]:
    """Open a pool whose connections decode ``jsonb`` into Python objects."""
    pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size, init=_init_connection)
    assert pool is not None
    return pool


DATABASE_AWAY: tuple[type[Exception], ...] = (
    asyncpg.exceptions.PostgresConnectionError,  # a connection closed under the query (a restart, a crash)
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CannotConnectNowError,  # starting up or shutting down
    asyncpg.exceptions.CrashShutdownError,
    ConnectionError,
)
"""Errors that mean Postgres went away under a request, not that the request was wrong."""


async def answers(pool: asyncpg.Pool[Any], *, timeout: float = 2.0) -> bool:
    """Whether Postgres answers a trivial query now (False while it restarts or is unreachable)."""
    try:
        await asyncio.wait_for(pool.fetchval("SELECT 1"), timeout)
    except Exception:
        return False
    return True


def migration_files() -> list[tuple[str, str]]:
    """The shipped migrations as ``(name, sql)``, in the order they apply."""
    folder = resources.files("infra") / "migrations"
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(name, (folder / name).read_text()) for name in names]


async def migrate(pool: asyncpg.Pool[Any]) -> list[str]:
    """Apply the migrations not yet applied; return the names applied now."""
    applied_now: list[str] = []
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for name, sql in migration_files():
            if name in done:
                continue
            await conn.execute(sql)
            await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
            applied_now.append(name)
    return applied_now
