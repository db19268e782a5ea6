"""A whole 90-day onboarding on Temporal's time-skipping test server, with its real activities and Postgres:
reminders before items fall due (each through the trust ramp's review first, approved by the policy's default when
nobody reviews them), a missed check-in escalated one level up and then to HR, the check-ins held late, the person
marked productive at day 90, and an early finish when everything is done. Ninety days pass in seconds.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest
from pydantic_ai.durable_exec.temporal import PydanticAIPlugin
from support import eventually, skip_until
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from test_review_timeout import test_server_path

from infra import runtime
from infra.arguments import args_hash
from infra.settings import get_settings
from workers.activities import ALL_ACTIVITIES
from workers.onboarding_activities import ONBOARDING_ACTIVITIES, drafting_activity
from workflows import attestation, move_acts
from workflows.messages import DECIDE_UPDATE, Decision
from workflows.onboarding import OnboardingWorkflow
from workflows.onboarding_messages import (
    TICK_UPDATE,
    ItemTick,
    OnboardingInput,
    onboarding_workflow_id,
)

pytestmark = pytest.mark.integration
MANAGER = "mgr.payments"
SKILLS = '["Customer and Personal Service", "Economics and Accounting", "Law and Government"]'


async def released_assignment(pool: asyncpg.Pool[Any]) -> OnboardingInput:
    """A goal with one task and one released person on it, stored as the goal and move workflows store them."""
    goal_id = f"g-onb-{uuid.uuid4().hex[:8]}"
    person = await pool.fetchval(
        "SELECT e.employee_id FROM employees e WHERE e.manager_id IS NOT NULL AND e.capacity_pct = 100"
        " AND EXISTS (SELECT 1 FROM users u WHERE u.employee_id = e.employee_id)"
        " AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.employee_id = e.employee_id)"
        " ORDER BY e.employee_id LIMIT 1")
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO goals (goal_id, text, manager_login, status, workflow_id, model, starts_on, submitted_by)"
            " VALUES ($1, 'Get the contact centre ready for the PCI DSS audit in 10 weeks', $2, 'staffed', $3,"
            " 'local-planner', current_date, $2)", goal_id, MANAGER, f"goal-{goal_id}")
        await conn.execute(
            "INSERT INTO tasks (goal_id, task_id, position, title, description, skills, effort_hours, start_week,"
            " end_week) VALUES ($1, 'T1', 0, 'Assess the gaps for the audit', 'Assess them', $2::jsonb, 80, 0, 6)",
            goal_id, SKILLS)
        await conn.execute(
            "INSERT INTO review_requests (review_id, goal_id, workflow_id, action_type, arguments, args_hash,"
            " evidence, explanation, risk_tier, policy_version, routed_because, requested_by, status, due_at)"
            " VALUES ($1, $2, $3, 'propose_staffing', '{}', 'h', '{}', 'x', 'high', 'p', 'forced', $4,"
            " 'approved', now())", f"r-{goal_id}", goal_id, f"goal-{goal_id}", MANAGER)
        await conn.execute(
            "INSERT INTO assignments (goal_id, task_id, employee_id, fraction, start_week, end_week, score, reason,"
            " review_id, starts_on, ends_on, state) VALUES ($1, 'T1', $2, 0.5, 0, 6, 0.8, 'did it before', $3,"
            " current_date, current_date + 42, 'released')", goal_id, person, f"r-{goal_id}")
    return OnboardingInput(goal_id=goal_id, task_id="T1", employee_id=person, manager_login=MANAGER)


def worker(env: WorkflowEnvironment, task_queue: str) -> Worker:
    return Worker(env.client, task_queue=task_queue, workflows=[OnboardingWorkflow],
                  activities=[*ALL_ACTIVITIES, *ONBOARDING_ACTIVITIES, drafting_activity(None)])


async def environment(pool: asyncpg.Pool[Any]) -> WorkflowEnvironment:
    runtime.set_pool(pool)
    attestation.trust(attestation.decision_key(get_settings().secret()))
    return await WorkflowEnvironment.start_time_skipping(test_server_existing_path=test_server_path(),
                                                         plugins=[PydanticAIPlugin()])


async def approve_draft(env: WorkflowEnvironment, pool: asyncpg.Pool[Any], handle: WorkflowHandle[Any, Any],
                        goal_id: str) -> dict[str, Any]:
    """HR approves the drafted plan (a signed decision, as the console sends it); the plan's arguments."""
    async def pending() -> Any:
        return await pool.fetchrow("SELECT * FROM review_requests WHERE goal_id = $1"
                                   " AND action_type = 'draft_onboarding_plan' AND status = 'pending'", goal_id)
    review = await eventually(pending, "the drafted plan's review")
    reviewer = await pool.fetchrow("SELECT login, employee_id FROM users WHERE login = 'hr.reviewer'")
    decision = attestation.attest(
        Decision(review_id=review["review_id"], args_hash=review["args_hash"], decision="approve",
                 reviewer=reviewer["login"], via="api"),
        key=attestation.decision_key(get_settings().secret()), reviewer_role="reviewer",
        reviewer_employee_id=reviewer["employee_id"], bias_verdict=None,
        executed_args_hash=args_hash(review["arguments"]), now=await env.get_current_time())
    await handle.execute_update(DECIDE_UPDATE, decision)
    arguments: dict[str, Any] = review["arguments"]
    return arguments


async def tick(env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any], item_id: str, actor: str,
               actor_employee_id: str | None, *, outcome: str | None = None, update: str = TICK_UPDATE) -> None:
    act = move_acts.attest(handle.id, ItemTick(item_id=item_id, actor=actor, outcome=outcome),  # type: ignore[arg-type]
                           key=attestation.decision_key(get_settings().secret()),
                           actor_employee_id=actor_employee_id, now=await env.get_current_time())
    await handle.execute_update(update, act)


async def sent(pool: asyncpg.Pool[Any], goal_id: str, what: str) -> list[str]:
    """Business keys of the notifications about ``what`` (``remind`` or ``escalate``), by recipient."""
    rows = await pool.fetch("SELECT business_key FROM notifications WHERE goal_id = $1 AND business_key LIKE $2"
                            " ORDER BY id", goal_id, f"%:{what}:%")
    return [r["business_key"] for r in rows]


async def skip_to_day(env: WorkflowEnvironment, starts_at: datetime, day: float) -> None:
    await skip_until(env, starts_at + timedelta(days=day))


async def test_ninety_days_with_reminders_a_missed_check_in_escalated_and_productive_at_the_end(
        pool: asyncpg.Pool[Any]) -> None:
    o = await released_assignment(pool)
    manager_id = await pool.fetchval("SELECT employee_id FROM users WHERE login = $1", MANAGER)
    person_login = await pool.fetchval("SELECT min(login) FROM users WHERE employee_id = $1", o.employee_id)
    async with await environment(pool) as env:
        task_queue = f"onb-{uuid.uuid4().hex[:8]}"
        async with worker(env, task_queue):
            handle = await env.client.start_workflow(
                OnboardingWorkflow.run, o, id=onboarding_workflow_id(o.goal_id, o.task_id, o.employee_id),
                task_queue=task_queue)
            plan = await approve_draft(env, pool, handle, o.goal_id)
            items = {i["item_id"]: i for i in plan["items"]}
            assert {"K0", "C30", "C60", "C90"} <= set(items)

            async def started() -> Any:
                return await pool.fetchval("SELECT starts_on FROM onboarding_plans WHERE goal_id = $1"
                                           " AND status = 'active'", o.goal_id)
            starts_on = await eventually(started, "the plan to start")
            starts_at = datetime.combine(starts_on, datetime.min.time()).replace(
                hour=9, tzinfo=(await env.get_current_time()).tzinfo)
            await tick(env, handle, "K0", MANAGER, manager_id)
            person_items = [k for k, i in items.items() if i["owner_role"] == "person"]
            others = [k for k, i in items.items() if i["owner_role"] not in ("person", "goal_manager")]

            # day 27: the day-30 check-in's first reminder falls due; at 100% review it waits for a reviewer and,
            # with nobody reviewing, the policy's default (approve) sends it once its SLA passed
            await skip_to_day(env, starts_at, 27.1)
            await skip_to_day(env, starts_at, 29.5)

            async def reminded() -> bool:
                return any(":remind:C30:3:" in k for k in await sent(pool, o.goal_id, "remind"))
            await eventually(reminded, "the day-30 check-in's reminder")

            # nobody holds the check-in: day 33 escalates to the goal manager's manager, day 36 to HR
            await skip_to_day(env, starts_at, 36.2)
            await skip_to_day(env, starts_at, 39)

            async def escalated() -> list[str]:
                keys = await sent(pool, o.goal_id, "escalate")
                return keys if any(":escalate:C30:2:" in k for k in keys) else []
            keys = await eventually(escalated, "both escalations of the missed check-in")
            assert any(":escalate:C30:1:" in k for k in keys)
            hr_logins = {r["login"] for r in await pool.fetch("SELECT login FROM users WHERE role = 'reviewer'")}
            assert {k.rsplit(":", 1)[1] for k in keys if ":escalate:C30:2:" in k} == hr_logins

            # the person does their part, the others theirs; the check-ins are held late
            for item_id in sorted(person_items, key=lambda k: items[k]["due_day"]):
                await tick(env, handle, item_id, person_login, o.employee_id)
            for item_id in others:  # the buddy, the line manager and HR tick theirs
                owner = items[item_id]["owner_role"]
                login = await _owner_login(pool, o, owner, plan.get("buddy_id"))
                await tick(env, handle, item_id, login, await pool.fetchval(
                    "SELECT employee_id FROM users WHERE login = $1", login))
            await tick(env, handle, "C30", MANAGER, manager_id, outcome="not_yet")
            await skip_to_day(env, starts_at, 61)
            await tick(env, handle, "C60", MANAGER, manager_id, outcome="not_yet")
            await skip_to_day(env, starts_at, 90.2)
            await tick(env, handle, "C90", MANAGER, manager_id, outcome="productive")
            assert await handle.result() == "completed"

    plan_row = await pool.fetchrow("SELECT * FROM onboarding_plans WHERE goal_id = $1", o.goal_id)
    assert plan_row["status"] == "completed" and "every item done by day 90" in plan_row["finish_reason"]
    assert plan_row["productive_on"] - plan_row["starts_on"] == timedelta(days=90)
    duplicates = await pool.fetch("SELECT business_key FROM notifications WHERE goal_id = $1"
                                  " GROUP BY business_key HAVING count(*) > 1", o.goal_id)
    assert duplicates == []
    reminders = await sent(pool, o.goal_id, "remind")
    assert any(":remind:C60:3:" in k for k in reminders), "three days before, reviewed by the policy's default"
    assert not any(":remind:C60:0:" in k for k in reminders), "held on day 61, while its reminder waited for review"
    assert not any(":remind:K0:" in k for k in reminders), "the kick-off was held on the first day"
    trail = [r["action"] for r in await pool.fetch(
        "SELECT action FROM audit_events WHERE goal_id = $1 ORDER BY seq", o.goal_id)]
    assert trail.count("onboarding.escalated") == 2 and trail[-1] == "onboarding.completed"
    assert "review.defaulted" in trail, "sampled reminders went out by the policy's default"


async def _owner_login(pool: asyncpg.Pool[Any], o: OnboardingInput, role: str, buddy_id: str | None) -> str:
    if role == "hr":
        return "hr.reviewer"
    employee = buddy_id if role == "buddy" else await pool.fetchval(
        "SELECT manager_id FROM employees WHERE employee_id = $1", o.employee_id)
    login: str = await pool.fetchval("SELECT min(login) FROM users WHERE employee_id = $1", employee)
    return login


async def test_everything_done_early_finishes_early(pool: asyncpg.Pool[Any]) -> None:
    o = await released_assignment(pool)
    manager_id = await pool.fetchval("SELECT employee_id FROM users WHERE login = $1", MANAGER)
    async with await environment(pool) as env:
        task_queue = f"onb-{uuid.uuid4().hex[:8]}"
        async with worker(env, task_queue):
            handle = await env.client.start_workflow(
                OnboardingWorkflow.run, o, id=onboarding_workflow_id(o.goal_id, o.task_id, o.employee_id),
                task_queue=task_queue)
            plan = await approve_draft(env, pool, handle, o.goal_id)

            async def started() -> bool:
                return bool(await pool.fetchval("SELECT status = 'active' FROM onboarding_plans WHERE goal_id = $1",
                                                o.goal_id))
            await eventually(started, "the plan to start")
            done: set[str] = set()
            items = sorted(plan["items"], key=lambda i: i["due_day"])
            while len(done) < len(items):  # in dependency order, each by its owner
                for item in items:
                    if item["item_id"] in done or not set(item["depends_on"]) <= done:
                        continue
                    login = MANAGER if item["owner_role"] == "goal_manager" else (
                        await pool.fetchval("SELECT min(login) FROM users WHERE employee_id = $1", o.employee_id)
                        if item["owner_role"] == "person" else
                        await _owner_login(pool, o, item["owner_role"], plan.get("buddy_id")))
                    employee = manager_id if login == MANAGER else await pool.fetchval(
                        "SELECT employee_id FROM users WHERE login = $1", login)
                    await tick(env, handle, item["item_id"], login, employee,
                               outcome="productive" if item["item_id"] == "C90" else None)
                    done.add(item["item_id"])
            assert await handle.result() == "completed"
    row = await pool.fetchrow("SELECT status, finish_reason FROM onboarding_plans WHERE goal_id = $1", o.goal_id)
    assert row["status"] == "completed" and "an early finish" in row["finish_reason"]

