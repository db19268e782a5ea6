"""A worker killed (SIGKILL) in the middle of a move, on the real dev server and Postgres: another worker picks the
move up, and nothing is lost or done twice (counted in Postgres)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from support import eventually, move_state, staff_person, unbooked_person
from temporalio.client import Client

from infra.settings import Settings
from infra.store import users
from workers.main import build_worker
from workflows.usecases import Services
from workflows.usecases import moves as move_cases

pytestmark = pytest.mark.integration
GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"


async def wait_for_line(stream: Any, words: str, timeout: float = 120) -> None:
    """Read the process's output until a line with ``words``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        line = await asyncio.to_thread(stream.readline)
        if not line:
            raise AssertionError(f"the worker stopped before saying {words!r}")
        if words in line:
            return
    raise AssertionError(f"the worker did not say {words!r} in {timeout}s")


async def test_a_worker_killed_mid_move_resumes_on_another_without_doing_anything_twice(
        pool: asyncpg.Pool[Any], client: Client, pg_url: str, tmp_path: Path) -> None:
    queue = f"kill-{uuid.uuid4().hex[:8]}"
    secret = f"kill-test-{uuid.uuid4().hex}"
    settings = Settings(task_queue=queue, data_dir=tmp_path, review_sla_seconds=3600, session_secret=secret)
    svc = Services(pool=pool, client=client, settings=settings)
    worker_a = subprocess.Popen(
        [str(Path(sys.executable).with_name("talentops")), "worker"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
        text=True, env={**os.environ, "TALENTOPS_DATABASE_URL": pg_url, "TALENTOPS_TASK_QUEUE": queue,
                        "TALENTOPS_TEMPORAL_ADDRESS": client.service_client.config.target_host,
                        "TALENTOPS_SESSION_SECRET": secret, "TALENTOPS_DATA_DIR": str(tmp_path / "a"),
                        "TALENTOPS_REVIEW_SLA_SECONDS": "3600"})
    try:
        await wait_for_line(worker_a.stderr, "worker polling")
        person, login, line_manager = await unbooked_person(svc)
        goal_id, task_id = await staff_person(svc, person, goal_text=GOAL)
        staffed = await users.get(pool, login)
        assert staffed is not None
        await eventually(lambda: move_state(svc, goal_id, task_id, person), "the offer")
        await move_cases.answer_assignment(svc, staffed, goal_id=goal_id, task_id=task_id, accept=True)

        async def asked() -> bool:
            return bool(await pool.fetchval(
                "SELECT release_due_at IS NOT NULL FROM assignments WHERE goal_id = $1 AND task_id = $2"
                " AND employee_id = $3", goal_id, task_id, person))
        await eventually(asked, "the release request, by worker A")
    finally:
        worker_a.kill()  # SIGKILL in the middle of the move: the release is asked, nobody answered yet
        worker_a.wait()

    async with build_worker(client, queue, pool=pool, settings=settings):  # worker B
        lm = await users.get(pool, line_manager)
        assert lm is not None
        await move_cases.decide_release(svc, lm, goal_id=goal_id, task_id=task_id, employee_id=person,
                                        release=True)

        async def drafted() -> Any:
            return await pool.fetchval("SELECT count(*) FROM onboarding_items WHERE goal_id = $1 AND task_id = $2",
                                       goal_id, task_id)
        await eventually(drafted, "the onboarding plan, drafted by worker B", timeout=90)
        others = await pool.fetch("SELECT task_id, employee_id FROM assignments WHERE goal_id = $1 AND state ="
                                  " 'offered' AND offered_at IS NOT NULL", goal_id)
        assert others, "the goal's other people were offered their tasks too"

    per_move = await pool.fetch(
        "SELECT action, payload->>'task_id' AS task_id, payload->>'employee_id' AS employee_id, count(*) AS n"
        " FROM audit_events WHERE goal_id = $1 AND action LIKE 'move.%' GROUP BY 1, 2, 3", goal_id)
    assert per_move and all(r["n"] == 1 for r in per_move), [dict(r) for r in per_move if r["n"] != 1]
    assert {r["action"] for r in per_move if r["task_id"] == task_id} == {
        "move.offered", "move.accepted", "move.release_requested", "move.released"}
    told = await pool.fetch("SELECT business_key, count(*) AS n FROM notifications WHERE goal_id = $1 GROUP BY 1",
                            goal_id)
    assert all(r["n"] == 1 for r in told)
    queued = await pool.fetch("SELECT dedupe_key FROM notification_outbox WHERE dedupe_key LIKE $1",
                              f"move:{goal_id}:%")
    assert len(queued) == len({r["dedupe_key"] for r in queued}) and queued
    drafted_events = await pool.fetchval(
        "SELECT count(*) FROM audit_events WHERE goal_id = $1 AND action = 'agent.draft_onboarding_plan'", goal_id)
    assert drafted_events == 1
