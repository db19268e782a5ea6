"""``talentops up``: embedded Postgres + Temporal dev server + worker + console in one process."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import sys
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import uvicorn

from infra import children, db
from infra.audit_anchor import keep_checkpointing
from infra.embedded import (
    EmbeddedError,
    EmbeddedPostgres,
    TemporalDevServer,
    choose_port,
    start_postgres,
    start_temporal,
)
from infra.outbox.settings import NotificationSettings
from infra.settings import Settings
from infra.telemetry import setup_tracing
from review_console.app import create_app
from tools.people_import.demo_org import DEMO_EMPLOYEES, DEMO_PASSWORD, load_demo_org, seed_demo_org
from tools.taxonomy.store import sync_taxonomy
from workers import runtime_file
from workers.agent_runs import AgentModels
from workers.certification_schedule import ensure_reconcile_schedule
from workers.health import keep_probing, worker_name
from workers.main import build_worker, connect_client
from workers.outbox import run_outbox
from workers.serve import ConsoleServer, agent_models, stop_task, warm_matcher
from workflows.usecases import Services


def say(message: str) -> None:
    """Progress for the person who ran the command."""
    print(message, file=sys.stderr, flush=True)


class _Stopping:
    """Ctrl-C (or SIGTERM) asks for an orderly stop; a second one forces it."""

    def __init__(self) -> None:
        self.requested = asyncio.Event()
        self.forced = asyncio.Event()

    def on_signal(self) -> None:
        if self.requested.is_set():
            say("stopping now: running activities are abandoned (they run again at the next start) …")
            self.forced.set()
        self.requested.set()

    async def unless_forced(self, step: Awaitable[Any]) -> bool:
        """Await ``step`` unless a forced stop comes first; True when it finished."""
        task = asyncio.ensure_future(step)
        forced = asyncio.create_task(self.forced.wait())
        await asyncio.wait({task, forced}, return_when=asyncio.FIRST_COMPLETED)
        forced.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
            return False
        task.result()
        return True


async def run_up(settings: Settings) -> None:
    """Start everything, print where it is, run until Ctrl-C, then stop in order.

    The order matters for the work in flight: the worker first stops taking tasks and lets its running activities
    finish (up to ``shutdown_drain_seconds``) while Temporal and Postgres are still there to record them; then the
    console, then Temporal, then Postgres. Postgres and Temporal run in sessions of their own, so the terminal's
    Ctrl-C reaches only this process. What this process started is recorded in ``processes.json``; servers that an
    earlier ``up`` on the folder left running (it was killed) are stopped before anything starts.
    """
    data_dir = settings.ensure_data_dir()
    lock = open(data_dir / "up.lock", "w")  # noqa: SIM115 - held for the process lifetime
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise EmbeddedError(f"talentops is already running on {data_dir}; stop it first "
                            "or set TALENTOPS_DATA_DIR to another folder") from None
    setup_tracing("talentops", console_export=settings.otel_console_export)
    left = children.stop_leftovers(data_dir)
    if left:
        say(f"stopped {' and '.join(left)}, left running by an earlier talentops up on {data_dir} that was killed")
    children.record(data_dir, children.describe(os.getpid(), "up"))
    stopping = _Stopping()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.on_signal)
    pg_handle: EmbeddedPostgres | None = None
    temporal: TemporalDevServer | None = None
    stack = contextlib.AsyncExitStack()
    try:
        models = agent_models(settings)  # a model setting that cannot work stops us before anything starts
        if settings.database_url:
            database_url = settings.database_url
        else:
            say(f"starting embedded Postgres in {data_dir / 'pg'} …")
            pg_handle, database_url = start_postgres(data_dir)
            children.record(data_dir, children.describe(pg_handle.pid, "postgres"))
        pool = await db.create_pool(database_url)
        stack.push_async_callback(pool.close)
        applied = await db.migrate(pool)
        if applied:
            say(f"applied migrations: {', '.join(applied)}")
        if await sync_taxonomy(pool):
            say("loaded the O*NET and ESCO taxonomy into Postgres")
        async with pool.acquire() as conn:
            if await seed_demo_org(conn):
                say("seeded the demo organisation (Northwind Bank)")

        taken: frozenset[int] = frozenset()  # ports the embedded Temporal took, which the console must not
        if settings.temporal_address:
            address, ui_url = settings.temporal_address, None
        else:
            host = "127.0.0.1"
            port, note = choose_port(host, settings.temporal_port, "Temporal")
            ui_port, ui_note = choose_port(host, settings.temporal_ui_port, "the Temporal UI", avoid=frozenset({port}))
            for line in (note, ui_note):
                if line:
                    say(line)
            say("starting the embedded Temporal dev server …")
            temporal = await start_temporal(data_dir / "temporal", host=host, port=port, ui_port=ui_port)
            children.record(data_dir, children.describe(temporal.process.pid, "temporal"))
            address, ui_url = temporal.address, temporal.ui_url
            taken = frozenset({port, ui_port})
        client = await connect_client(address, settings.temporal_namespace)
        if temporal is not None:
            keeper = asyncio.create_task(_keep_temporal_running(temporal, data_dir, stopping))
            stack.callback(keeper.cancel)

        console_port, console_note = choose_port(settings.console_host, settings.console_port, "the console",
                                                 avoid=taken)
        if console_note:
            say(console_note)
        console_url = f"http://{settings.console_host}:{console_port}"
        services = Services(pool=pool, client=client, settings=settings)
        server = ConsoleServer(uvicorn.Config(create_app(services), host=settings.console_host, port=console_port,
                                        log_level="warning", lifespan="on"))
        worker = build_worker(client, settings.task_queue, pool=pool, models=models, settings=settings)
        runtime_file.write(settings, {"database_url": database_url, "temporal_address": address,
                                      "temporal_ui_url": ui_url, "console_url": console_url,
                                      "task_queue": settings.task_queue})
        stack.callback(runtime_file.remove, settings)

        outbox_stop = asyncio.Event()
        outbox_task = asyncio.create_task(run_outbox(pool, NotificationSettings.from_settings(settings), outbox_stop))

        async def _stop_outbox() -> None:
            outbox_stop.set()
            await stopping.unless_forced(outbox_task)

        stack.push_async_callback(_stop_outbox)
        worker_task = asyncio.create_task(worker.run())
        await ensure_reconcile_schedule(client, settings)
        warm_task = asyncio.create_task(warm_matcher(pool))
        stack.callback(warm_task.cancel)
        health_task = asyncio.create_task(keep_probing(models, pool, worker_name()))
        stack.push_async_callback(stop_task, health_task)
        anchor_task = asyncio.create_task(keep_checkpointing(pool, settings))  # the audit chain's head, signed
        stack.push_async_callback(stop_task, anchor_task)
        server_task = asyncio.create_task(server.serve())
        while not server.started:
            if server_task.done():
                await server_task
                raise EmbeddedError(f"the console could not listen on {console_url}")
            await asyncio.sleep(0.05)
        users = await pool.fetch("SELECT login, role FROM users ORDER BY role, login")
        print(_banner(console_url, ui_url, address, database_url, settings, users, models), flush=True)
        await stopping.requested.wait()
        say(f"stopping: the worker takes no new work and finishes what it runs (up to "
            f"{settings.shutdown_drain_seconds:g} s; Ctrl-C again to stop at once) …")
        draining = time.monotonic()
        if not await stopping.unless_forced(worker.shutdown()):
            worker_task.cancel()
        with contextlib.suppress(BaseException):
            await worker_task
        say(f"worker stopped after {time.monotonic() - draining:.1f} s; stopping the console …")
        server.should_exit = True
        if not await stopping.unless_forced(server_task):
            server.force_exit = True
    finally:
        await stack.aclose()
        forced = stopping.forced.is_set()
        if temporal is not None:
            say("stopping the Temporal dev server …")
            temporal.stop(force=forced)
            children.forget(data_dir, "temporal")
        if pg_handle is not None:
            say("stopping Postgres …")
            children.stop_postgres(pg_handle.pgdata, mode="immediate" if forced else "fast")
            children.forget(data_dir, "postgres")
        children.forget(data_dir, "up")
        lock.close()
        say("stopped.")


async def _keep_temporal_running(server: TemporalDevServer, data_dir: Path, stopping: _Stopping) -> None:
    """Start the Temporal dev server again, on the same port and database, whenever it exits unasked.

    The worker and the console reconnect by themselves; workflows resume from the SQLite file.
    """
    while not stopping.requested.is_set():
        await asyncio.sleep(0.5)
        code = server.process.poll()
        if code is None or stopping.requested.is_set():
            continue
        say(f"the Temporal dev server exited (code {code}); starting it again on {server.address} …")
        host, port = server.address.rsplit(":", 1)
        ui_port = int(server.ui_url.rsplit(":", 1)[1])
        try:
            again = await start_temporal(data_dir / "temporal", host=host, port=int(port), ui_port=ui_port)
        except EmbeddedError as err:
            say(f"could not start it again ({err}); trying again in 5 s")
            await asyncio.sleep(5)
            continue
        server.process = again.process  # stopping `up` stops the one that runs now
        children.record(data_dir, children.describe(again.process.pid, "temporal"))


def _named_logins() -> set[str]:
    """The demo logins the banner lists by name: the managers, reviewers and admin, and the two employees the
    README walks through."""
    org = load_demo_org()
    emails = {e["employee_id"]: e["email"] for e in org["employees"]}
    return {u["login"] for u in org["logins"]} | {emails[e].split("@")[0] for e in DEMO_EMPLOYEES if e in emails}


def _banner(console_url: str, ui_url: str | None, address: str, database_url: str, settings: Settings,
            users: list[Any], models: AgentModels) -> str:
    shown = [u for u in users if u["login"] in _named_logins()] or users[:8]
    logins = "\n".join(f"    {u['login']:<14} ({u['role']})" for u in shown)
    if len(users) > len(shown):
        logins += (f"\n    … and {len(users) - len(shown)} more: every person of the demo organisation signs in with "
                   "the local part of their e-mail")
    onboarding = models.draft_onboarding_plan.where if models.draft_onboarding_plan else "the offline drafter"
    return (
        "\ntalentops is running\n"
        f"  console      {console_url}\n"
        f"  Temporal UI  {ui_url or '(external Temporal)'}\n"
        f"  Temporal     {address}  namespace {settings.temporal_namespace}, task queue {settings.task_queue}\n"
        f"  database     {database_url}\n"
        f"  data folder  {settings.data_dir}\n"
        f"  drafting     {models.draft_tasks.where}\n"
        f"  staffing     {models.propose_staffing.where}\n"
        f"  onboarding   {onboarding}\n"
        f"  demo logins (password: {DEMO_PASSWORD}):\n{logins}\n"
        "Press Ctrl-C to stop.\n"
    )
