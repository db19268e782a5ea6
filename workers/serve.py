"""``talentops worker`` and ``talentops console``: one role per process, for deployments beyond one machine.

Both need an external Postgres (``TALENTOPS_DATABASE_URL``) and Temporal (``TALENTOPS_TEMPORAL_ADDRESS``);
run as many of each as the load needs. Workers poll the task queue and deliver the notification outbox
(deliveries are leased, so several workers never send one twice); consoles are stateless apart from the
session secret, which every replica must share (``TALENTOPS_SESSION_SECRET``). Both apply pending migrations
at start (under an advisory lock, so concurrent starts are safe) and stop cleanly on SIGINT/SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Iterator
from typing import Any

import asyncpg
import uvicorn
from temporalio.client import Client

from agents.models import ModelConfigError
from infra import db
from infra.audit_anchor import keep_checkpointing
from infra.embedded import EmbeddedError
from infra.outbox.settings import NotificationSettings
from infra.settings import Settings
from infra.telemetry import setup_tracing
from review_console.app import create_app
from tools.matching import employee_index
from tools.taxonomy.adjacency import get_occupation_space
from tools.taxonomy.store import sync_taxonomy
from workers.agent_runs import AgentModels, build_agent_models
from workers.certification_schedule import ensure_reconcile_schedule
from workers.health import keep_probing, worker_name
from workers.main import build_worker, connect_client
from workers.outbox import run_outbox
from workflows.usecases import Services


class ConsoleServer(uvicorn.Server):
    """Uvicorn without its own signal handling: the process stops the server, then closes its pool, in order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def say(message: str) -> None:
    """Progress for the operator (stderr, so stdout stays clean for tools)."""
    print(message, file=sys.stderr, flush=True)


def external_services(settings: Settings, role: str) -> tuple[str, str]:
    """The database URL and Temporal address a single-role process needs.

    Raises:
        EmbeddedError: When either is unset (the embedded ones belong to ``talentops up``).
    """
    missing = [name for name, value in (("TALENTOPS_DATABASE_URL", settings.database_url),
                                        ("TALENTOPS_TEMPORAL_ADDRESS", settings.temporal_address)) if not value]
    if missing:
        raise EmbeddedError(f"`talentops {role}` runs against an external Postgres and Temporal: set "
                            f"{' and '.join(missing)} (or run everything on this machine with `talentops up`)")
    assert settings.database_url is not None and settings.temporal_address is not None
    return settings.database_url, settings.temporal_address


async def warm_matcher(pool: asyncpg.Pool[Any]) -> None:
    """Build the matcher's index now (embedding missing vectors) and load the planner's vectors, so the first
    goal does not wait for either."""
    from agents.planning.understand import warm_up

    await asyncio.to_thread(warm_up)
    try:
        built = await employee_index.employee_index(pool)
    except Exception as err:  # the first staffing call builds it again and reports its own error
        say(f"matcher index not built yet ({err}); the first staffing call will build it")
        return
    if built is not None:
        say(f"matcher ready: {len(built.index):,} employees ({built.embedded:,} vectors computed, "
            f"{built.reused:,} reused from Postgres) in {built.seconds:.1f} s")


async def _connect_database(url: str) -> asyncpg.Pool[Any]:
    try:
        pool = await db.create_pool(url)
    except (OSError, asyncpg.PostgresError) as err:
        raise EmbeddedError(f"cannot reach Postgres at {url}: {err}") from err
    applied = await db.migrate(pool)
    if applied:
        say(f"applied migrations: {', '.join(applied)}")
    if await sync_taxonomy(pool):
        say("loaded the O*NET and ESCO taxonomy into Postgres")
    return pool


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def _connect(settings: Settings, role: str) -> tuple[asyncpg.Pool[Any], Client, str]:
    """Tracing, a migrated pool and a Temporal client for a single-role process; the pool is closed on failure."""
    database_url, address = external_services(settings, role)
    setup_tracing(f"talentops-{role}", console_export=settings.otel_console_export)
    pool = await _connect_database(database_url)
    try:
        return pool, await connect_client(address, settings.temporal_namespace), address
    except RuntimeError as err:
        await pool.close()
        raise EmbeddedError(f"cannot reach Temporal at {address}: {err}") from err


def agent_models(settings: Settings) -> AgentModels:
    """Every agent's model, built once at start.

    Raises:
        EmbeddedError: A model setting cannot work; the message says which and why.
    """
    try:
        return build_agent_models(settings)
    except ModelConfigError as err:
        raise EmbeddedError(str(err)) from err


async def stop_task(task: asyncio.Task[Any]) -> None:
    """Cancel a background task and wait until it has stopped."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def run_worker(settings: Settings) -> None:
    """Poll the task queue (goal workflows, their activities, the agents) and deliver the outbox until stopped;
    probe the agents' models at start and every few minutes."""
    models = agent_models(settings)
    pool, client, address = await _connect(settings, "worker")
    try:
        stop = _stop_event()
        outbox = asyncio.create_task(run_outbox(pool, NotificationSettings.from_settings(settings), stop))
        warm = asyncio.create_task(warm_matcher(pool))
        health = asyncio.create_task(keep_probing(models, pool, worker_name()))
        anchor = asyncio.create_task(keep_checkpointing(pool, settings))  # the audit chain's head, signed
        try:
            async with build_worker(client, settings.task_queue, pool=pool, models=models):
                await ensure_reconcile_schedule(client, settings)
                say(f"worker polling task queue {settings.task_queue!r} on {address} (drafting: "
                    f"{models.draft_tasks.where}; staffing: {models.propose_staffing.where})")
                await stop.wait()
                say("stopping …")
        finally:
            warm.cancel()
            await stop_task(health)
            await stop_task(anchor)
        await outbox
    finally:
        await pool.close()
        say("stopped.")


async def run_console(settings: Settings) -> None:
    """Serve the review console and its API on ``console_host:console_port`` until stopped."""
    pool, client, address = await _connect(settings, "console")
    try:
        app = create_app(Services(pool=pool, client=client, settings=settings))
        # the occupation space behind the skills pages takes seconds to build: not on the first visitor's time
        warm = asyncio.create_task(asyncio.to_thread(get_occupation_space))
        server = ConsoleServer(uvicorn.Config(app, host=settings.console_host, port=settings.console_port,
                                              log_level="warning"))
        stop = _stop_event()
        serving = asyncio.create_task(server.serve())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if serving.done() and not server.started:
            stopping.cancel()
            raise EmbeddedError(f"the console could not listen on {settings.console_host}:{settings.console_port}")
        if not serving.done():
            say(f"console on http://{settings.console_host}:{settings.console_port} (Temporal {address}, "
                f"task queue {settings.task_queue!r})")
            await stopping
            say("stopping …")
        server.should_exit = True
        await serving
        await warm
    finally:
        await pool.close()
        say("stopped.")
