"""Trying a failed goal again, once what made it fail (a model server down, a wrong model name) is fixed.

A goal whose planning failed is planned again from its text. A goal whose plan was made (and reviewed, when the
trust ramp sampled it) but whose staffing failed starts again from that plan: nobody reviews the same plan twice.
The goal keeps its id and its audit trail; a new run of its workflow starts under the same workflow id.
"""

from __future__ import annotations

from typing import Any

from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from infra import audit
from infra.store.plans import GoalPlan, PlannedTask
from infra.telemetry import current_trace_id
from policies.review_routing import DECOMPOSE_GOAL
from workflows.messages import GOAL_WORKFLOW, GoalInput
from workflows.usecases.context import Services
from workflows.usecases.errors import Conflict, NotFound, ServiceError


def may_retry(user: dict[str, Any], goal: dict[str, Any]) -> bool:
    """Whoever may see the goal as staff: its manager, reviewers and admins (a new run proposes again; every
    proposal still goes through its review)."""
    return user["role"] in ("reviewer", "admin") or goal["manager_login"] == user["login"]


async def retry_goal(svc: Services, goal_id: str, *, user: dict[str, Any]) -> str:
    """Start a failed goal again; returns where it starts from (``planning`` or ``staffing``).

    Raises:
        NotFound: No such goal, or not one ``user`` may see.
        Conflict: The goal has not failed (or its last run is still finishing).
    """
    goal = await svc.pool.fetchrow("SELECT * FROM goals WHERE goal_id = $1", goal_id)
    if goal is None or not may_retry(user, dict(goal)):
        raise NotFound(f"no goal {goal_id!r}")
    if goal["status"] != "failed":
        raise Conflict(f"only a failed goal can be tried again; this one is {goal['status'].replace('_', ' ')}")
    plan = await _approved_plan(svc, goal_id, goal["plan"])
    client = svc.temporal()
    origin = "staffing" if plan else "planning"
    async with svc.pool.acquire() as conn, conn.transaction():
        changed = await conn.execute(
            "UPDATE goals SET status = 'submitted', status_detail = NULL, updated_at = now()"
            " WHERE goal_id = $1 AND status = 'failed'", goal_id)
        if changed != "UPDATE 1":
            raise Conflict("the goal was tried again meanwhile")
        await _audit(conn, "goal.retried", goal, user, {"previous_failure": goal["status_detail"], "from": origin})
    try:
        await client.start_workflow(
            GOAL_WORKFLOW,
            GoalInput(goal_id=goal_id, text=goal["text"], manager_login=goal["manager_login"],
                      submitted_by=goal["submitted_by"], submitted_on=goal["starts_on"].isoformat(),
                      review_sla_seconds=svc.settings.review_sla_seconds, approved_plan=plan),
            id=goal["workflow_id"], task_queue=svc.settings.task_queue)
    except (WorkflowAlreadyStartedError, RPCError) as err:
        refusal = (Conflict("the goal's last run is still finishing; try again in a moment")
                   if isinstance(err, WorkflowAlreadyStartedError)
                   else ServiceError(f"could not start the goal's workflow: {err.message}"))
        async with svc.pool.acquire() as conn, conn.transaction():  # the audit keeps both: tried, and refused
            await conn.execute("UPDATE goals SET status = 'failed', status_detail = $2 WHERE goal_id = $1",
                               goal_id, goal["status_detail"])
            await _audit(conn, "goal.retry_refused", goal, user, {"reason": refusal.message})
        raise refusal from err
    return "staffing" if plan else "planning"


async def _audit(conn: Any, action: str, goal: Any, user: dict[str, Any], payload: dict[str, Any]) -> None:
    await audit.append(conn, audit.AuditEvent(
        actor_type="human", actor=user["login"], actor_role=user["role"], action=action, goal_id=goal["goal_id"],
        workflow_id=goal["workflow_id"], args_hash=audit.args_hash({"goal_id": goal["goal_id"]}), payload=payload,
        trace_id=current_trace_id()))


async def _approved_plan(svc: Services, goal_id: str, stored: dict[str, Any] | None) -> GoalPlan | None:
    """The goal's plan when planning finished and its review (if sampled) approved it; None to plan again."""
    if stored is None:
        return None
    rows = await svc.pool.fetch(
        "SELECT task_id, title, description, skills, effort_hours, start_week, end_week, onet_code, phase,"
        " depends_on, occupations, activities, effort_basis FROM tasks WHERE goal_id = $1 ORDER BY position", goal_id)
    plan_review = await svc.pool.fetchval(
        "SELECT status FROM review_requests WHERE goal_id = $1 AND action_type = $2 ORDER BY created_at DESC LIMIT 1",
        goal_id, DECOMPOSE_GOAL.name)
    if not rows or plan_review not in (None, "approved", "edited"):  # not sampled, or approved: the plan stands
        return None
    return GoalPlan.model_validate({**stored, "tasks": [PlannedTask.model_validate(dict(r)) for r in rows]})
