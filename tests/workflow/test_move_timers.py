"""The move workflow's clock on Temporal's time-skipping test server, with its real activities and Postgres: a line
manager's silence past three working days counts as release, a refusal waits for HR, a decline goes back to the
goal. Days pass in well under a minute of wall time.

The goal is a stand-in workflow that records what its moves tell it (the goal workflow's own handling of those
events runs on the real dev server in tests/integration/test_moves.py, and so do the update validators' refusals:
the time-skipping server does not report a rejected update cleanly).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from pydantic_ai.durable_exec.temporal import PydanticAIPlugin
from support import eventually, skip_until
from temporalio import workflow
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from test_review_timeout import test_server_path, timer_count_reaches

from infra import runtime
from infra.settings import get_settings
from policies.release import release_deadline
from workers.move_activities import MOVE_ACTIVITIES
from workflows import attestation, move_acts
from workflows.move import MoveWorkflow
from workflows.move_messages import (
    ANSWER_UPDATE,
    HR_DECIDED_SIGNAL,
    MOVE_EVENT_SIGNAL,
    RELEASE_UPDATE,
    HrDecided,
    MoveAct,
    MoveEvent,
    MoveInput,
    move_workflow_id,
)
from workflows.onboarding_messages import ONBOARDING_WORKFLOW, OnboardingInput

pytestmark = pytest.mark.integration
MANAGER = "mgr.payments"


@workflow.defn(name="GoalStandIn", sandboxed=False)
class GoalStandIn:
    """Records the events its moves signal; runs until cancelled."""

    def __init__(self) -> None:
        self.events: list[MoveEvent] = []

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.signal(name=MOVE_EVENT_SIGNAL)
    def move_event(self, event: MoveEvent) -> None:
        self.events.append(event)

    @workflow.query
    def seen(self) -> list[str]:
        return [e.kind for e in self.events]


@workflow.defn(name=ONBOARDING_WORKFLOW, sandboxed=False)
class OnboardingStandIn:
    """Takes the onboarding a released move starts (its own tests are in test_onboarding_timers.py)."""

    @workflow.run
    async def run(self, onboarding: OnboardingInput) -> str:
        return "completed"


async def staffed_assignment(pool: asyncpg.Pool[Any]) -> tuple[str, str, str]:
    """A goal with one task and one person offered it (someone with a line manager who can sign in), stored as the
    goal workflow stores them; ``(goal_id, employee_id, line manager's employee id)``."""
    goal_id = f"g-move-{uuid.uuid4().hex[:8]}"
    row = await pool.fetchrow(
        "SELECT e.employee_id, e.manager_id FROM employees e WHERE e.manager_id IS NOT NULL AND e.capacity_pct = 100"
        " AND EXISTS (SELECT 1 FROM users u WHERE u.employee_id = e.manager_id)"
        " AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.employee_id = e.employee_id)"
        " ORDER BY e.employee_id LIMIT 1")
    assert row is not None
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO goals (goal_id, text, manager_login, status, workflow_id, model, starts_on, submitted_by)"
            " VALUES ($1, 'Stand up a fraud dashboard within 6 weeks', $2, 'staffed', $3, 'local-planner',"
            " current_date, $2)", goal_id, MANAGER, f"goal-{goal_id}")
        await conn.execute(
            "INSERT INTO tasks (goal_id, task_id, position, title, description, skills, effort_hours, start_week,"
            " end_week) VALUES ($1, 'T1', 0, 'Build the dashboard', 'Build it', '[]', 80, 0, 4)", goal_id)
        await conn.execute(
            "INSERT INTO review_requests (review_id, goal_id, workflow_id, action_type, arguments, args_hash,"
            " evidence, explanation, risk_tier, policy_version, routed_because, requested_by, status, due_at)"
            " VALUES ($1, $2, $3, 'propose_staffing', '{}', 'h', '{}', 'x', 'high', 'p', 'forced', $4,"
            " 'approved', now())", f"r-{goal_id}", goal_id, f"goal-{goal_id}", MANAGER)
        await conn.execute(
            "INSERT INTO assignments (goal_id, task_id, employee_id, fraction, start_week, end_week, score, reason,"
            " review_id, starts_on, ends_on, state) VALUES ($1, 'T1', $2, 0.5, 0, 4, 0.8, 'did it before', $3,"
            " current_date, current_date + 28, 'offered')", goal_id, row["employee_id"], f"r-{goal_id}")
    return goal_id, row["employee_id"], row["manager_id"]


def signed(goal_id: str, employee_id: str, act: MoveAct, actor_employee_id: str,
           now: datetime | None = None) -> MoveAct:
    """``act`` attested as the console would, at ``now`` (the test server's clock, once days were skipped)."""
    key = attestation.decision_key(get_settings().secret())
    return move_acts.attest(move_workflow_id(goal_id, "T1", employee_id), act, key=key,
                            actor_employee_id=actor_employee_id, now=now)


async def state_of(pool: asyncpg.Pool[Any], goal_id: str) -> asyncpg.Record:
    row = await pool.fetchrow("SELECT * FROM assignments WHERE goal_id = $1", goal_id)
    assert row is not None
    return row


async def actions(pool: asyncpg.Pool[Any], goal_id: str) -> list[str]:
    return [r["action"] for r in await pool.fetch(
        "SELECT action FROM audit_events WHERE goal_id = $1 ORDER BY seq", goal_id)]


async def run_move(pool: asyncpg.Pool[Any]) -> Any:
    """Start the time-skipping server, a worker with the move workflow, the goal stand-in and one move."""
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=test_server_path(),
                                                        plugins=[PydanticAIPlugin()])
    runtime.set_pool(pool)
    attestation.trust(attestation.decision_key(get_settings().secret()))
    return env


async def start(env: WorkflowEnvironment, task_queue: str, goal_id: str,
                employee_id: str) -> tuple[WorkflowHandle[Any, Any], WorkflowHandle[Any, Any]]:
    goal = await env.client.start_workflow(GoalStandIn.run, id=f"goal-{goal_id}", task_queue=task_queue)
    move = await env.client.start_workflow(
        MoveWorkflow.run, MoveInput(goal_id=goal_id, goal_workflow_id=f"goal-{goal_id}", task_id="T1",
                                    employee_id=employee_id, manager_login=MANAGER),
        id=move_workflow_id(goal_id, "T1", employee_id), task_queue=task_queue)
    return goal, move


async def ended(handle: WorkflowHandle[Any, Any]) -> Any:
    """The workflow's result once it completed (polling its status: a long poll for the result can outlast the test
    server's RPC timeout on a busy machine)."""
    async def done() -> bool:
        return (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    await eventually(done, f"{handle.id} to complete")
    return await handle.result()


def worker(env: WorkflowEnvironment, task_queue: str) -> Worker:
    return Worker(env.client, task_queue=task_queue, workflows=[MoveWorkflow, GoalStandIn, OnboardingStandIn],
                  activities=MOVE_ACTIVITIES)


async def test_a_silent_line_manager_counts_as_release_after_three_working_days(pool: asyncpg.Pool[Any]) -> None:
    goal_id, person, line_manager = await staffed_assignment(pool)
    async with await run_move(pool) as env:
        task_queue = f"move-{uuid.uuid4().hex[:8]}"
        async with worker(env, task_queue):
            goal, move = await start(env, task_queue, goal_id, person)

            async def offered() -> bool:
                return (await state_of(pool, goal_id))["offered_at"] is not None
            await eventually(offered, "the offer")
            asked_at = await env.get_current_time()
            assert await move.execute_update(ANSWER_UPDATE, signed(goal_id, person, MoveAct(
                kind="accept", actor="person"), person), result_type=str) == "accepted"
            await eventually(timer_count_reaches(move, 1), "the release deadline's timer")
            row = await state_of(pool, goal_id)
            assert row["line_manager_id"] == line_manager and row["state"] == "accepted"
            due = row["release_due_at"]
            assert due == release_deadline(asked_at).replace(microsecond=due.microsecond) or \
                due - asked_at.astimezone(UTC) >= timedelta(days=3)
            assert due.weekday() < 5

            await skip_until(env, due + timedelta(minutes=1))
            assert await ended(move) == "released"
            row = await state_of(pool, goal_id)
            assert row["state"] == "released" and row["released_by_silence"]
            assert row["release_decided_by"] == "policy"
            trail = await actions(pool, goal_id)
            assert trail == ["move.offered", "move.accepted", "move.release_requested", "move.released"]
            released = await pool.fetchrow(
                "SELECT payload, actor_type FROM audit_events WHERE goal_id = $1 AND action = 'move.released'",
                goal_id)
            assert released["actor_type"] == "system" and released["payload"]["by_silence"] is True
            told = {r["recipient"]: r["subject"] for r in await pool.fetch(
                "SELECT n.recipient, n.subject FROM notifications n WHERE goal_id = $1", goal_id)}
            manager_login = await pool.fetchval("SELECT min(login) FROM users WHERE employee_id = $1", line_manager)
            assert "no answer in time" in told[manager_login]
            assert await goal.query(GoalStandIn.seen) == ["released"]


async def test_a_refusal_waits_for_hr_and_an_upheld_one_withdraws_the_move(pool: asyncpg.Pool[Any]) -> None:
    goal_id, person, line_manager = await staffed_assignment(pool)
    async with await run_move(pool) as env:
        task_queue = f"move-{uuid.uuid4().hex[:8]}"
        async with worker(env, task_queue):
            goal, move = await start(env, task_queue, goal_id, person)
            await move.execute_update(ANSWER_UPDATE, signed(goal_id, person, MoveAct(
                kind="accept", actor="person"), person), result_type=str)
            await eventually(timer_count_reaches(move, 1), "the release deadline's timer")
            assert await move.execute_update(RELEASE_UPDATE, signed(goal_id, person, MoveAct(
                kind="refuse", actor="lm", reason="needed for our audit"), line_manager), result_type=str) == "refused"

            async def told_goal() -> bool:
                return await goal.query(GoalStandIn.seen) == ["refused"]
            await eventually(told_goal, "the refusal told to the goal")
            # no deadline runs any more: HR decides, however long it takes
            await skip_until(env, await env.get_current_time() + timedelta(days=30))
            assert (await state_of(pool, goal_id))["state"] == "refused"

            # a signal before HR decided changes nothing: the move reads the decision from Postgres
            hr_review = f"r-hr-{goal_id}"
            await pool.execute(
                "INSERT INTO review_requests (review_id, goal_id, workflow_id, action_type, arguments, args_hash,"
                " evidence, explanation, risk_tier, policy_version, routed_because, requested_by, status, due_at)"
                " VALUES ($1, $2, $3, 'override_release_refusal', '{}', 'h', '{}', 'x', 'high', 'p', 'forced',"
                " 'lm', 'pending', now())", hr_review, goal_id, f"goal-{goal_id}")
            await move.signal(HR_DECIDED_SIGNAL, HrDecided(review_id=hr_review))
            await skip_until(env, await env.get_current_time() + timedelta(minutes=5))
            assert (await state_of(pool, goal_id))["state"] == "refused"
            await pool.execute("UPDATE review_requests SET status = 'rejected', decided_by = 'hr.reviewer',"
                               " reason = 'the audit comes first' WHERE review_id = $1", hr_review)
            # past the next retry of the settling activity
            await skip_until(env, await env.get_current_time() + timedelta(minutes=10))
            assert await ended(move) == "withdrawn"
            assert (await state_of(pool, goal_id))["state"] == "withdrawn"
            assert await goal.query(GoalStandIn.seen) == ["refused", "withdrawn"]
            assert (await actions(pool, goal_id))[-1] == "move.refusal_upheld"


async def test_a_decline_ends_the_move_and_tells_the_goal(pool: asyncpg.Pool[Any]) -> None:
    goal_id, person, _ = await staffed_assignment(pool)
    async with await run_move(pool) as env:
        task_queue = f"move-{uuid.uuid4().hex[:8]}"
        async with worker(env, task_queue):
            goal, move = await start(env, task_queue, goal_id, person)
            # the person's silence is never a yes
            await skip_until(env, await env.get_current_time() + timedelta(days=60))
            assert (await state_of(pool, goal_id))["state"] == "offered"
            await move.execute_update(ANSWER_UPDATE, signed(goal_id, person, MoveAct(
                kind="decline", actor="person", reason="I am moving to Lisbon"), person,
                now=await env.get_current_time()), result_type=str)
            assert await ended(move) == "declined"
            row = await state_of(pool, goal_id)
            assert (row["state"], row["decline_reason"]) == ("declined", "I am moving to Lisbon")
            assert await goal.query(GoalStandIn.seen) == ["declined"]
            assert await actions(pool, goal_id) == ["move.offered", "move.declined"]
