"""Soak, the bare Temporal workflow of the same shape as a goal (start -> activity -> wait for an update ->
activity -> complete), the worker process that serves it, and its timing.

The workflow sandbox imports this module afresh for every run: it imports nothing but the standard library and
``temporalio`` at the top, and passes the bench's own modules through.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from temporalio import activity, workflow
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    from soak_drive import DriveSettings
    from soak_install import Children, Runtime, base_env, printed, say, wait_for

BARE_WORKFLOW = "SoakBareWorkflow"
BARE_READY_LINE = "bare worker polling"
"""What a bare worker writes to stderr once it polls its task queue."""


@activity.defn(name="soak_bare_step")
async def bare_step(step: str) -> str:
    """A step that does nothing but complete."""
    return step


@workflow.defn(name=BARE_WORKFLOW)
class BareWorkflow:
    """Start -> one activity -> wait for an update -> one activity -> complete."""

    def __init__(self) -> None:
        self._stage = "started"
        self._decision: str | None = None

    @workflow.run
    async def run(self, name: str) -> str:
        """The shape of a goal with one review gate."""
        await workflow.execute_activity(bare_step, "plan", start_to_close_timeout=timedelta(seconds=30))
        self._stage = "waiting"
        await workflow.wait_condition(lambda: self._decision is not None)
        self._stage = "applying"
        await workflow.execute_activity(bare_step, "apply", start_to_close_timeout=timedelta(seconds=30))
        self._stage = "done"
        return f"{name}: {self._decision}"

    @workflow.update
    async def decide(self, decision: str) -> str:
        """Take the decision."""
        self._decision = decision
        return decision

    @decide.validator
    def check_decision(self, decision: str) -> None:
        """Only while waiting, only once."""
        if self._stage != "waiting" or self._decision is not None:
            raise ValueError(f"not waiting for a decision (stage {self._stage})")

    @workflow.query
    def stage(self) -> str:
        """Where it is."""
        return self._stage


async def serve_bare_worker(address: str, task_queue: str) -> None:
    """Run a worker for the bare workflow until SIGTERM/SIGINT."""
    client = await Client.connect(address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Worker(client, task_queue=task_queue, workflows=[BareWorkflow], activities=[bare_step]):
        say(f"{BARE_READY_LINE} {task_queue!r} on {address}")
        await stop.wait()


@dataclass
class BareRun:
    """One bare workflow as the bench saw it."""

    started_at: float
    """Just before the start request."""
    ready_at: float | None = None
    """When the query first answered ``waiting`` (the first activity done)."""
    update_at: float | None = None
    """Just before ``execute_update``."""
    done_at: float | None = None
    """When the query first answered ``done`` (the second activity done)."""
    problem: str | None = None
    """What went wrong, if anything (exception class and message)."""


async def poll_stage(handle: WorkflowHandle[Any, Any], wanted: str, poll: float, timeout: float) -> float:
    """Query the stage every ``poll`` s until it is ``wanted``; return when that answer arrived."""
    deadline = time.monotonic() + timeout
    while True:
        stage = await handle.query(BareWorkflow.stage)
        now = time.monotonic()
        if stage == wanted:
            return now
        if now > deadline:
            raise TimeoutError(f"still {stage!r} after {timeout:.0f} s")
        await asyncio.sleep(poll)


async def drive_bare(address: str, task_queue: str, settings: DriveSettings) -> tuple[list[BareRun], float]:
    """Start the bare workflow ``goals`` times, ``concurrency`` at a time, and follow each like a goal."""
    client = await Client.connect(address)
    runs: list[BareRun] = []
    pending = iter(range(settings.goals))
    prefix = f"soak-bare-{uuid.uuid4().hex[:8]}"

    async def lane() -> None:
        for index in pending:
            run = BareRun(started_at=time.monotonic())
            runs.append(run)
            try:
                handle = await client.start_workflow(BareWorkflow.run, f"b{index}", id=f"{prefix}-{index}",
                                                     task_queue=task_queue)
                run.ready_at = await poll_stage(handle, "waiting", settings.poll, settings.lost_seconds)
                run.update_at = time.monotonic()
                await handle.execute_update(BareWorkflow.decide, "approve")
                run.done_at = await poll_stage(handle, "done", settings.poll, settings.lost_seconds)
            except Exception as err:  # counted and reported; one bad run must not stop the others
                run.problem = f"{type(err).__name__}: {err}"[:300]

    started = time.monotonic()
    await asyncio.gather(*(lane() for _ in range(settings.concurrency)))
    return runs, time.monotonic() - started


async def run_bare_phase(children: Children, data_dir: Path, runtime: Runtime, workers: int,
                         settings: DriveSettings) -> tuple[list[BareRun], float]:
    """Start ``workers`` bare worker processes on a fresh task queue, drive the bare workflows, stop the workers."""
    task_queue = f"soak-bare-{uuid.uuid4().hex[:8]}"
    script = Path(__file__).resolve().with_name("soak.py")  # its hidden ``--bare-worker`` mode runs serve_bare_worker
    command = [sys.executable, str(script), "--bare-worker", runtime.temporal_address, task_queue]
    bare = [children.start(f"bare{i + 1}", command, base_env(data_dir)) for i in range(workers)]
    try:
        for worker in bare:
            await wait_for(f"{worker.name} to poll", partial(printed, worker, BARE_READY_LINE), bare, timeout=120)
        return await drive_bare(runtime.temporal_address, task_queue, settings)
    finally:
        for worker in bare:
            children.stop(worker, timeout=30)
