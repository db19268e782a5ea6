"""Goals: submit one (checked, stored, its workflow started), list them, read one with its tasks and trail."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.service import RPCError

from infra import audit
from infra.telemetry import current_trace_id
from tools.goal_text.errors import PlanningError
from tools.goal_text.intake import check_goal_text
from workflows.messages import GOAL_WORKFLOW, GoalInput
from workflows.usecases.context import Services
from workflows.usecases.errors import Invalid, NotFound, ServiceError
from workflows.usecases.users import get_user


async def submit_goal(svc: Services, *, text: str, manager_login: str, submitted_by: str) -> str:
    """Validate a goal, store it and start its workflow; return the goal id."""
    try:
        manager = await get_user(svc, manager_login)
    except NotFound as err:
        raise Invalid(f"unknown manager {manager_login!r}") from err
    if manager["role"] != "manager":
        raise Invalid(f"{manager_login!r} is not a manager")
    today = datetime.now(UTC).date()
    try:
        cleaned = check_goal_text(text, today)
    except PlanningError as err:
        raise Invalid(str(err)) from err
    client = svc.temporal()
    goal_id = f"g-{uuid.uuid4().hex[:12]}"
    workflow_id = f"goal-{goal_id}"
    async with svc.pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO goals (goal_id, text, manager_login, department, status, workflow_id, model, starts_on,"
            " submitted_by) VALUES ($1, $2, $3, $4, 'submitted', $5, $6, $7, $8)",
            goal_id, cleaned, manager_login, manager["department"], workflow_id, svc.settings.model, today,
            submitted_by)
        await audit.append(conn, audit.AuditEvent(
            actor_type="human", actor=submitted_by, actor_role=(await get_user(svc, submitted_by))["role"],
            action="goal.submitted", goal_id=goal_id,
            workflow_id=workflow_id, args_hash=audit.args_hash({"text": cleaned, "manager": manager_login}),
            payload={"text": cleaned, "manager_login": manager_login, "model": svc.settings.model},
            trace_id=current_trace_id()))
    try:
        await client.start_workflow(
            GOAL_WORKFLOW,
            GoalInput(goal_id=goal_id, text=cleaned, manager_login=manager_login, submitted_by=submitted_by,
                      submitted_on=today.isoformat(),
                      review_sla_seconds=svc.settings.review_sla_seconds),
            id=workflow_id, task_queue=svc.settings.task_queue)
    except RPCError as err:
        await svc.pool.execute("UPDATE goals SET status = 'failed', status_detail = $2 WHERE goal_id = $1",
                               goal_id, f"could not start the workflow: {err.message}")
        raise ServiceError(f"could not start the goal's workflow: {err.message}") from err
    return goal_id


async def list_goals(svc: Services, *, manager_login: str | None = None) -> list[dict[str, Any]]:
    """Goals, newest first; only one manager's when ``manager_login`` is given."""
    rows = await svc.pool.fetch(
        "SELECT goal_id, text, manager_login, department, status, status_detail, model, created_at, updated_at"
        " FROM goals WHERE $1::text IS NULL OR manager_login = $1 ORDER BY created_at DESC", manager_login)
    return [dict(r) for r in rows]


async def get_goal(svc: Services, goal_id: str) -> dict[str, Any]:
    """A goal with its tasks, its latest review and its assignments."""
    goal = await svc.pool.fetchrow("SELECT * FROM goals WHERE goal_id = $1", goal_id)
    if goal is None:
        raise NotFound(f"no goal {goal_id!r}")
    tasks = await svc.pool.fetch(
        "SELECT task_id, title, description, skills, effort_hours, start_week, end_week, onet_code, phase,"
        " depends_on, occupations, activities, effort_basis FROM tasks WHERE goal_id = $1 ORDER BY position",
        goal_id)
    review = await svc.pool.fetchrow(
        "SELECT review_id, action_type, status, decided_by, reason, decided_at, due_at, escalations"
        " FROM review_requests WHERE goal_id = $1 ORDER BY created_at DESC LIMIT 1", goal_id)
    assignments = await svc.pool.fetch(
        "SELECT a.task_id, a.employee_id, e.name, e.title, a.fraction, a.start_week, a.end_week, a.score, a.reason"
        " FROM assignments a JOIN employees e USING (employee_id) WHERE a.goal_id = $1 ORDER BY a.task_id", goal_id)
    codes = sorted({c for t in tasks for c in t["occupations"]})
    titles = {r["code"]: r["title"] for r in await svc.pool.fetch(
        "SELECT code, title FROM onet_occupations WHERE code = ANY($1::text[])", codes)}
    week = timedelta(days=7)
    shown = [{**dict(t), "occupation_titles": [titles.get(c, c) for c in t["occupations"]],
              "starts_on": goal["starts_on"] + t["start_week"] * week,
              "ends_on": goal["starts_on"] + t["end_week"] * week - timedelta(days=1)} for t in tasks]
    due_on = goal["starts_on"] + goal["deadline_weeks"] * week if goal["deadline_weeks"] else None
    return {**dict(goal), "tasks": shown, "due_on": due_on, "review": dict(review) if review else None,
            "assignments": [dict(a) for a in assignments]}


async def audit_for_goal(svc: Services, goal_id: str) -> list[dict[str, Any]]:
    """The goal's audit events in order."""
    if await svc.pool.fetchval("SELECT 1 FROM goals WHERE goal_id = $1", goal_id) is None:
        raise NotFound(f"no goal {goal_id!r}")
    rows = await svc.pool.fetch(
        "SELECT seq, at, actor_type, actor, action, args_hash, payload, model, prompt_version, policy_version,"
        " workflow_id, run_id, trace_id, hash FROM audit_events WHERE goal_id = $1 ORDER BY seq", goal_id)
    return [dict(r) for r in rows]


async def employee_names(svc: Services, ids: list[str]) -> dict[str, str]:
    """Display names of employees by id."""
    rows = await svc.pool.fetch("SELECT employee_id, name FROM employees WHERE employee_id = ANY($1::text[])", ids)
    return {r["employee_id"]: r["name"] for r in rows}
