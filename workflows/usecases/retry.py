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
from infra.db import Connection
from infra.store import goals, plans, reviews
from infra.store.goals import Goal
from infra.store.plans import GoalPlan
from infra.store.users import User
from infra.telemetry import current_trace_id
from policies.review_routing import DECOMPOSE_GOAL
from workflows.messages import GOAL_WORKFLOW, GoalInput
from workflows.usecases.context import Services
from workflows.usecases.errors import Conflict, NotFound, ServiceError


def may_retry(user: User, goal: Goal) -> bool:
    """Whoever may see the goal as staff: its manager, reviewers and admins (a new run proposes again; every
    proposal still goes through its review)."""
    return user.role in ("reviewer", "admin") or goal.manager_login == user.login


async def retry_goal(svc: Services, goal_id: str, *, user: User) -> str:
    """Start a failed goal again; returns where it starts from (``planning`` or ``staffing``).

    Raises:
        NotFound: No such goal, or not one ``user`` may see.
        Conflict: The goal has not failed (or its last run is still finishing).
    """
    goal = await goals.get(svc.pool, goal_id)
    if goal is None or not may_retry(user, goal):
        raise NotFound(f"no goal {goal_id!r}")
    if goal.status != "failed":
        raise Conflict(f"only a failed goal can be tried again; this one is {goal.status.replace('_', ' ')}")
    plan = await _approved_plan(svc, goal)
    client = svc.temporal()
    origin = "staffing" if plan else "planning"
    async with svc.pool.acquire() as conn, conn.transaction():
        if not await goals.set_status(conn, goal_id, "submitted", only_from="failed"):
            raise Conflict("the goal was tried again meanwhile")
        await _audit(conn, "goal.retried", goal, user, {"previous_failure": goal.status_detail, "from": origin})
    try:
        await client.start_workflow(
            GOAL_WORKFLOW,
            GoalInput(goal_id=goal_id, text=goal.text, manager_login=goal.manager_login,
                      submitted_by=goal.submitted_by, submitted_on=goal.starts_on.isoformat(),
                      review_sla_seconds=svc.settings.review_sla_seconds, approved_plan=plan),
            id=goal.workflow_id, task_queue=svc.settings.task_queue)
    except (WorkflowAlreadyStartedError, RPCError) as err:
        refusal = (Conflict("the goal's last run is still finishing; try again in a moment")
                   if isinstance(err, WorkflowAlreadyStartedError)
                   else ServiceError(f"could not start the goal's workflow: {err.message}"))
        async with svc.pool.acquire() as conn, conn.transaction():  # the audit keeps both: tried, and refused
            await goals.set_status(conn, goal_id, "failed", goal.status_detail)
            await _audit(conn, "goal.retry_refused", goal, user, {"reason": refusal.message})
        raise refusal from err
    return "staffing" if plan else "planning"


async def _audit(conn: Connection, action: str, goal: Goal, user: User, payload: dict[str, Any]) -> None:
    await audit.append(conn, audit.AuditEvent(
        actor_type="human", actor=user.login, actor_role=user.role, action=action, goal_id=goal.goal_id,
        workflow_id=goal.workflow_id, args_hash=audit.args_hash({"goal_id": goal.goal_id}), payload=payload,
        trace_id=current_trace_id()))


async def _approved_plan(svc: Services, goal: Goal) -> GoalPlan | None:
    """The goal's plan when planning finished and its review (if sampled) approved it; None to plan again."""
    if goal.plan is None:
        return None
    tasks = await plans.load_tasks(svc.pool, goal.goal_id)
    plan_review = await reviews.latest_status(svc.pool, goal.goal_id, DECOMPOSE_GOAL.name)
    if not tasks or plan_review not in (None, "approved", "edited"):  # not sampled, or approved: the plan stands
        return None
    return GoalPlan.model_validate({**goal.plan, "tasks": tasks})
