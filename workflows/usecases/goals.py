"""Goals: submit one (checked, stored, its workflow started), list them, read one with its tasks and trail."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from temporalio.service import RPCError

from infra import audit
from infra.store import assignments, employees, goals, plans, reviews
from infra.store.assignments import Assignment
from infra.store.goals import Goal
from infra.store.plans import PlannedTask
from infra.store.reviews import LatestReview
from infra.store.users import User
from infra.telemetry import current_trace_id
from tools.goal_text.errors import PlanningError
from tools.goal_text.intake import check_goal_text
from tools.taxonomy.store import occupation_titles
from workflows.messages import GOAL_WORKFLOW, GoalInput
from workflows.usecases.context import Services
from workflows.usecases.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from workflows.usecases.users import get_user

WEEK = timedelta(days=7)


class ScheduledTask(PlannedTask):
    """A task of a goal with its calendar dates and its occupations by name."""

    occupation_titles: list[str]
    """Titles of the task's occupations (the code when the title is unknown)."""
    starts_on: date
    """First day."""
    ends_on: date
    """Last day."""


class GoalDetail(Goal):
    """A goal with its tasks, its latest review and its assignments."""

    tasks: list[ScheduledTask]
    """Its tasks in plan order (empty before it is planned)."""
    due_on: date | None
    """Its deadline, once planned."""
    review: LatestReview | None
    """Its latest review, if any."""
    assignments: list[Assignment]
    """Who does what, once staffed (people who declined a task stay listed, with their reason)."""
    revised_as: str | None = None
    """The goal that revises this one (a rejected goal submitted again), if any."""




async def submit_goal(svc: Services, *, text: str, manager_login: str, submitted_by: str,
                      revision_of: str | None = None) -> str:
    """Validate a goal, store it and start its workflow; return the goal id (``revision_of``: the rejected goal it
    revises).

    Raises:
        Invalid: Unknown manager, or a goal text the planner cannot take (the message says what to change).
        ServiceError: Temporal refused to start the workflow (the goal is stored as failed, with the reason).
    """
    try:
        manager = await get_user(svc, manager_login)
    except NotFound as err:
        raise Invalid(f"unknown manager {manager_login!r}") from err
    if manager.role != "manager":
        raise Invalid(f"{manager_login!r} is not a manager")
    today = datetime.now(UTC).date()
    try:
        cleaned = check_goal_text(text, today)
    except PlanningError as err:
        raise Invalid(str(err)) from err
    client = svc.temporal()
    submitter = await get_user(svc, submitted_by)
    goal_id = f"g-{uuid.uuid4().hex[:12]}"
    workflow_id = f"goal-{goal_id}"
    async with svc.pool.acquire() as conn, conn.transaction():
        await goals.insert(conn, goal_id=goal_id, text=cleaned, manager_login=manager_login,
                           department=manager.department, workflow_id=workflow_id, model=svc.settings.model,
                           starts_on=today, submitted_by=submitted_by, revision_of=revision_of)
        await audit.append(conn, audit.AuditEvent(
            actor_type="human", actor=submitted_by, actor_role=submitter.role, action="goal.submitted",
            goal_id=goal_id, workflow_id=workflow_id,
            args_hash=audit.args_hash({"text": cleaned, "manager": manager_login}),
            payload={"text": cleaned, "manager_login": manager_login, "model": svc.settings.model,
                     **({"revision_of": revision_of} if revision_of else {})},
            trace_id=current_trace_id()))
    try:
        await client.start_workflow(
            GOAL_WORKFLOW,
            GoalInput(goal_id=goal_id, text=cleaned, manager_login=manager_login, submitted_by=submitted_by,
                      submitted_on=today.isoformat(), review_sla_seconds=svc.settings.review_sla_seconds),
            id=workflow_id, task_queue=svc.settings.task_queue)
    except RPCError as err:
        async with svc.pool.acquire() as conn:
            await goals.set_status(conn, goal_id, "failed", f"could not start the workflow: {err.message}")
        raise ServiceError(f"could not start the goal's workflow: {err.message}") from err
    return goal_id


async def resubmit_goal(svc: Services, *, goal_id: str, text: str, by: User) -> str:
    """Submit a revised text of a rejected goal as a new goal that points at it; the new goal's id.

    Raises:
        NotFound: No such goal.
        Forbidden: ``by`` is neither the goal's manager, its submitter nor an admin.
        Conflict: The goal is not rejected, or was revised already.
        Invalid: The revised text cannot be planned (the message says what to change).
    """
    goal = await goals.get(svc.pool, goal_id)
    if goal is None:
        raise NotFound(f"no goal {goal_id!r}")
    if by.login not in (goal.manager_login, goal.submitted_by) and by.role != "admin":
        raise Forbidden("only the goal's manager (or an admin) revises it")
    if goal.status != "rejected":
        raise Conflict("only a rejected goal can be revised and submitted again")
    earlier = await goals.revised_as(svc.pool, goal_id)
    if earlier is not None:
        raise Conflict(f"this goal was revised already, as goal {earlier}")
    return await submit_goal(svc, text=text, manager_login=goal.manager_login, submitted_by=by.login,
                             revision_of=goal_id)


async def list_goals(svc: Services, *, manager_login: str | None = None) -> list[Goal]:
    """Goals, newest first; only one manager's when ``manager_login`` is given."""
    return await goals.list_goals(svc.pool, manager_login=manager_login)


async def get_goal(svc: Services, goal_id: str) -> GoalDetail:
    """A goal with its tasks (dated), its latest review and its assignments.

    Raises:
        NotFound: No such goal.
    """
    goal = await goals.get(svc.pool, goal_id)
    if goal is None:
        raise NotFound(f"no goal {goal_id!r}")
    tasks = await plans.load_tasks(svc.pool, goal_id)
    titles = await occupation_titles(svc.pool, sorted({c for t in tasks for c in t.occupations}))
    start = goal.starts_on
    shown = [ScheduledTask(**t.model_dump(), occupation_titles=[titles.get(c, c) for c in t.occupations],
                           starts_on=start + t.start_week * WEEK,
                           ends_on=start + t.end_week * WEEK - timedelta(days=1)) for t in tasks]
    return GoalDetail(
        **goal.model_dump(), tasks=shown,
        due_on=start + goal.deadline_weeks * WEEK if goal.deadline_weeks else None,
        review=await reviews.latest_for_goal(svc.pool, goal_id),
        assignments=await assignments.for_goal(svc.pool, goal_id),
        revised_as=await goals.revised_as(svc.pool, goal_id))


async def employee_names(svc: Services, ids: list[str]) -> dict[str, str]:
    """Display names of employees by id."""
    return await employees.names(svc.pool, ids)
