"""What the console's API and the CLI both do: submit goals, read them, decide reviews, read the audit."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import asyncpg
from pydantic import BaseModel, BeforeValidator, Field, StringConstraints, ValidationError, field_validator
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError

from infra import audit
from infra.settings import Settings
from infra.store.plans import GoalPlan, PlanIssue, PlannedTask
from infra.telemetry import current_trace_id
from policies import bias_review as bias
from policies import capacity
from policies.plan_checks import check_plan
from policies.review_routing import ACTION_TYPES, DECOMPOSE_GOAL, REJECTION_REASONS, bulk_approvable
from tools.goal_text.errors import PlanningError
from tools.goal_text.intake import check_goal_text
from tools.taxonomy.skill_names import canonical, known_skill, suggest_skills
from workflows.goal import GoalWorkflow
from workflows.messages import Decision, DecisionOutcome, GoalInput, StaffingArguments


class ServiceError(Exception):
    """A request that cannot be served; ``status`` is the HTTP status, the message is for people."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409


class Invalid(ServiceError):
    status = 422


@dataclass(kw_only=True)
class Services:
    """The handles every operation needs."""

    pool: asyncpg.Pool[Any]
    """Postgres."""
    client: Client | None
    """Temporal (None for read-only use)."""
    settings: Settings
    """Settings in force."""

    def temporal(self) -> Client:
        """The Temporal client; fails with a clear message when there is none."""
        if self.client is None:
            raise ServiceError("Temporal is not reachable; start talentops with `talentops up`")
        return self.client


async def get_user(svc: Services, login: str) -> dict[str, Any]:
    """A user by login (without the password hash)."""
    row = await svc.pool.fetchrow(
        "SELECT login, display_name, role, employee_id, department FROM users WHERE login = $1", login)
    if row is None:
        raise NotFound(f"unknown user {login!r}")
    return dict(row)


async def list_users(svc: Services, role: str | None = None) -> list[dict[str, Any]]:
    """Users, optionally of one role."""
    rows = await svc.pool.fetch(
        "SELECT login, display_name, role, employee_id, department FROM users"
        " WHERE $1::text IS NULL OR role = $1 ORDER BY role, login", role)
    return [dict(r) for r in rows]


ROLES = ("manager", "reviewer", "admin", "employee")
"""Roles a user can have."""


async def create_user(svc: Services, *, login: str, display_name: str, role: str, password: str, by: str,
                      employee_id: str | None = None, department: str | None = None) -> dict[str, Any]:
    """Add a user (argon2-hashed password) and audit who added them.

    Raises:
        Invalid: Bad login, role, password, unknown employee or department.
        Conflict: The login is taken.
    """
    from argon2 import PasswordHasher

    login = login.strip()
    if not login or len(login) > 60 or any(c.isspace() for c in login):
        raise Invalid("a login is 1-60 characters without spaces")
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if len(password) < 12:
        raise Invalid("a password needs at least 12 characters")
    async with svc.pool.acquire() as conn, conn.transaction():
        if employee_id and await conn.fetchval("SELECT 1 FROM employees WHERE employee_id = $1", employee_id) is None:
            raise Invalid(f"unknown employee {employee_id!r}")
        if department and await conn.fetchval("SELECT 1 FROM departments WHERE code = $1", department) is None:
            raise Invalid(f"unknown department {department!r}")
        created = await conn.fetchrow(
            "INSERT INTO users (login, display_name, role, password_hash, employee_id, department)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (login) DO NOTHING"
            " RETURNING login, display_name, role, employee_id, department",
            login, display_name.strip() or login, role, PasswordHasher().hash(password), employee_id, department)
        if created is None:
            raise Conflict(f"the login {login!r} is taken")
        await audit.append(conn, audit.AuditEvent(
            actor_type="human", actor=by, action="user.created", args_hash=audit.args_hash(dict(created)),
            payload={"login": login, "role": role, "employee_id": employee_id, "department": department},
            trace_id=current_trace_id()))
    return dict(created)


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
            GoalWorkflow.run,
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


@dataclass(kw_only=True)
class ReviewFilters:
    """Filters of the review queue."""

    status: str | None = "pending"
    """``pending`` (includes parked), another status, or None for all."""
    action_type: str | None = None
    """Only this kind of action."""
    risk_tier: str | None = None
    """Only this risk tier."""
    department: str | None = None
    """Only goals of this department."""
    goal_id: str | None = None
    """Only this goal."""
    min_age_hours: float | None = None
    """Only reviews waiting at least this long."""
    limit: int = 50
    """Page size."""
    offset: int = 0
    """Rows to skip."""


async def list_reviews(svc: Services, *, status: str | None = "pending",
                       filters: ReviewFilters | None = None) -> list[dict[str, Any]]:
    """Reviews, oldest due first; pending and parked ones when ``status`` is ``pending``."""
    rows, _ = await search_reviews(svc, filters or ReviewFilters(status=status, limit=10_000))
    return rows


async def search_reviews(svc: Services, f: ReviewFilters) -> tuple[list[dict[str, Any]], int]:
    """One page of the review queue (oldest due first) and how many reviews match in all.

    The SQL holds only the filters given (no ``$n IS NULL OR …`` catch-alls), so each combination gets its own
    prepared statement with true estimates, and the open statuses are a literal that matches the partial
    index ``review_requests_open_queue`` even in a generic plan (bench/inbox_list.py measures it).
    """
    where: list[str] = []
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if f.status == "pending":
        where.append("r.status IN ('pending', 'parked')")
    elif f.status:
        where.append(f"r.status = {arg(f.status)}")
    if f.action_type:
        where.append(f"r.action_type = {arg(f.action_type)}")
    if f.risk_tier:
        where.append(f"r.risk_tier = {arg(f.risk_tier)}")
    if f.department:
        where.append(f"g.department = {arg(f.department)}")
    if f.goal_id:
        where.append(f"r.goal_id = {arg(f.goal_id)}")
    if f.min_age_hours is not None:
        where.append(f"r.created_at <= now() - make_interval(secs => {arg(f.min_age_hours)}::float8 * 3600)")
    cond = " AND ".join(where) or "true"
    n = len(args)
    rows = await svc.pool.fetch(
        "SELECT r.review_id, r.goal_id, r.action_type, r.risk_tier, r.status, r.due_at, r.escalations,"
        " r.requested_by, r.created_at, r.args_hash, g.text AS goal_text, g.department"
        f" FROM review_requests r JOIN goals g USING (goal_id) WHERE {cond}"
        f" ORDER BY r.due_at, r.created_at, r.review_id LIMIT ${n + 1} OFFSET ${n + 2}", *args, f.limit, f.offset)
    source = "review_requests r JOIN goals g USING (goal_id)" if f.department else "review_requests r"
    total: int = await svc.pool.fetchval(f"SELECT count(*) FROM {source} WHERE {cond}", *args)
    return [dict(r) for r in rows], total


async def get_review(svc: Services, review_id: str) -> dict[str, Any]:
    """A review with its exact arguments, evidence and explanation."""
    row = await svc.pool.fetchrow(
        "SELECT r.*, g.text AS goal_text, g.manager_login, g.submitted_by, g.starts_on FROM review_requests r"
        " JOIN goals g USING (goal_id)"
        " WHERE r.review_id = $1", review_id)
    if row is None:
        raise NotFound(f"no review {review_id!r}")
    return dict(row)


TaskTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
TaskDescription = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]
SkillName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
TaskRef = Annotated[str, BeforeValidator(lambda v: v.strip().upper() if isinstance(v, str) else v),
                    StringConstraints(pattern=r"^T\d{1,2}$")]


def _unique(names: list[str] | None) -> list[str] | None:
    """Names without repeats (case aside), first spelling and order kept."""
    if names is None:
        return None
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(" ".join(name.casefold().split()), name)
    return list(seen.values())


class TaskEdit(BaseModel):
    """A reviewer's change to one task of a plan under review; fields left out (None) stay as planned."""

    drop: bool = False
    """Remove the task from the plan (other tasks stop depending on it unless their dependencies are given)."""
    title: TaskTitle | None = None
    """New title (3-200 characters)."""
    description: TaskDescription | None = None
    """New description of what has to be done."""
    skills: list[SkillName] | None = Field(default=None, min_length=1, max_length=12)
    """New skills, most important first: each a known skill (ESCO label or O*NET technology/skill name)."""
    effort_hours: int | None = Field(default=None, ge=1, le=5000)
    """New effort estimate in person-hours."""
    start_week: int | None = Field(default=None, ge=0, le=520)
    """New first week (0 = the week the goal starts)."""
    end_week: int | None = Field(default=None, ge=1, le=520)
    """New end week (exclusive; at most the goal's deadline)."""
    depends_on: list[TaskRef] | None = Field(default=None, max_length=15)
    """New dependencies: ids of tasks that must come first (``[]`` removes them all)."""

    _unique_skills = field_validator("skills", "depends_on")(_unique)


class NewTask(BaseModel):
    """A task a reviewer adds to a plan; it gets the next free id (``T<n>``), no phase and no occupations."""

    title: TaskTitle
    """Short name of the task (3-200 characters)."""
    description: TaskDescription | None = None
    """What has to be done; the title when left out."""
    skills: list[SkillName] = Field(min_length=1, max_length=12)
    """Skills it needs, most important first: each a known skill (ESCO label or O*NET technology/skill name)."""
    effort_hours: int = Field(ge=1, le=5000)
    """Estimated person-hours."""
    start_week: int = Field(ge=0, le=520)
    """First week (0 = the week the goal starts)."""
    end_week: int = Field(ge=1, le=520)
    """End week (exclusive; after the start week, at most the goal's deadline)."""
    depends_on: list[TaskRef] = Field(default_factory=list, max_length=15)
    """Ids of tasks that must come first (proposed tasks, or new tasks listed before this one)."""

    _unique_skills = field_validator("skills", "depends_on")(_unique)


FIELD_LABELS = {"task_id": "id", "title": "title", "description": "description", "skills": "skills",
                "effort_hours": "effort", "start_week": "start week", "end_week": "end week", "window": "window",
                "depends_on": "dependencies", "grounding": "grounding", "assumptions": "assumptions",
                "tasks": "tasks"}
"""Plan fields in the words a reviewer reads next to them."""


def issue_text(issue: PlanIssue) -> str:
    """``T3 end week: ends in week 60, after the goal's deadline (week 6)``."""
    label = FIELD_LABELS.get(issue.field, issue.field.replace("_", " "))
    return f"{issue.task_id} {label}: {issue.message}" if issue.task_id else f"{label}: {issue.message}"


class PlanEditInvalid(Invalid):
    """A plan edit that does not pass the plan's checks; ``issues`` name the task and field of each problem."""

    def __init__(self, issues: list[PlanIssue], new_task_ids: list[str] | None = None) -> None:
        super().__init__("; ".join(issue_text(i) for i in issues))
        self.issues = issues
        """What is wrong, task and field by task and field."""
        self.new_task_ids = new_task_ids or []
        """Ids the edit's new tasks got, in their order (issues about new tasks name these)."""


def validation_issues(err: ValidationError, task_id: str | None) -> list[PlanIssue]:
    """Pydantic's errors about a task (or the plan, when ``task_id`` is None) as plan issues in plain words."""
    issues = []
    for e in err.errors():
        loc = [str(p) for p in e["loc"]]
        field = loc[0] if loc else "end_week"  # the only check without a field is the window's order
        ctx = e.get("ctx") or {}
        kind = e["type"]
        if kind == "value_error" and "end_week must be after start_week" in e["msg"]:
            message = "the task must end after it starts (end_week must be after start_week)"
        elif kind in ("int_parsing", "int_type", "int_from_float"):
            message = "must be a whole number"
        elif kind == "string_too_short":
            message = f"needs at least {ctx.get('min_length')} characters"
        elif kind == "string_too_long":
            message = f"may have at most {ctx.get('max_length')} characters"
        elif kind == "too_short":
            message = "needs at least one skill" if field == "skills" else f"needs at least {ctx.get('min_length')}"
        elif kind == "too_long":
            message = (f"a plan may have at most {ctx.get('max_length')} tasks" if field == "tasks"
                       else f"at most {ctx.get('max_length')} allowed")
        elif kind == "greater_than_equal":
            message = f"must be {ctx.get('ge')} or more"
        elif kind == "less_than_equal":
            message = f"must be {ctx.get('le')} or less"
        elif kind == "missing":
            message = "is required"
        elif kind == "string_pattern_mismatch":
            message = f"{e.get('input')!r} is not a task id (T1, T2, …)"
        else:
            message = str(e["msg"])
        issues.append(PlanIssue(task_id=task_id, field=field, message=message))
    return issues


async def decide_review(
    svc: Services,
    *,
    review_id: str,
    decision: str,
    reviewer: str,
    reason: str | None = None,
    reason_code: str | None = None,
    edits: dict[str, str] | None = None,
    task_edits: dict[str, TaskEdit] | None = None,
    new_tasks: list[NewTask] | None = None,
    assumptions: list[str] | None = None,
    open_questions: list[str] | None = None,
    args_hash: str | None = None,
) -> DecisionOutcome:
    """Send a reviewer's decision to the goal's workflow.

    Args:
        svc: Handles.
        review_id: The review decided.
        decision: ``approve``, ``reject`` or ``edit``.
        reviewer: Login of the reviewer.
        reason: Why, in the reviewer's words (a rejection needs this or ``reason_code``).
        reason_code: For a rejection: one of ``REJECTION_REASONS``.
        edits: For ``edit`` of a staffing: task id → employee id to put on it instead.
        task_edits: For ``edit`` of a plan: task id → what to change on it (or drop it).
        new_tasks: For ``edit`` of a plan: tasks to add (each gets the next free id).
        assumptions: For ``edit`` of a plan: the plan's assumptions as they should read (None: unchanged).
        open_questions: For ``edit`` of a plan: its questions for the manager as they should read (None: unchanged).
        args_hash: Hash of the arguments the reviewer saw; defaults to the stored one.
    """
    if decision not in ("approve", "reject", "edit"):
        raise Invalid(f"unknown decision {decision!r}; use approve, reject or edit")
    plan_text_changed = assumptions is not None or open_questions is not None
    if (edits or task_edits or new_tasks or plan_text_changed) and decision != "edit":
        raise Invalid(f"changes were given with {decision!r}; use 'edit' (approve with changes) to apply them")
    if reason_code is not None and reason_code not in REJECTION_REASONS:
        raise Invalid(f"unknown reason {reason_code!r}; use one of {', '.join(REJECTION_REASONS)}")
    review = await get_review(svc, review_id)
    user = await get_user(svc, reviewer)
    if user["role"] not in ("reviewer", "admin"):
        raise Forbidden(f"{reviewer!r} is a {user['role']}; only reviewers decide reviews")
    if review["status"] not in ("pending", "parked"):
        raise Conflict(f"review {review_id} was already decided ({review['status']} by {review['decided_by']})")
    if reviewer in (review["requested_by"], review["manager_login"], review["submitted_by"]):
        raise Forbidden("separation of duties: whoever submitted the goal, or manages it, cannot decide its reviews")
    text = (reason or "").strip()
    if reason_code is not None:
        text = f"{REJECTION_REASONS[reason_code]}: {text}" if text else REJECTION_REASONS[reason_code]
    if decision == "reject" and not text:
        raise Invalid("a rejection needs a reason")
    is_plan = review["action_type"] == DECOMPOSE_GOAL.name
    edited: StaffingArguments | GoalPlan | None = None
    if decision == "edit":
        edited = (await asyncio.to_thread(_edited_plan, review, task_edits or {}, new_tasks or [], assumptions,
                                          open_questions)
                  if is_plan
                  else await _edited_arguments(svc, review, edits or {}))
    if not is_plan:
        concerned = {a.employee_id for a in StaffingArguments.model_validate(review["arguments"]).assignments}
        if isinstance(edited, StaffingArguments):
            concerned |= {a.employee_id for a in edited.assignments}
        if user["employee_id"] and user["employee_id"] in concerned:
            raise Forbidden("separation of duties: this decision concerns you (you are among the people staffed)")
        if decision != "reject":
            await _check_capacity(svc, review, edited)
            await _check_bias_policy(svc, review_id, edited)
    try:
        return await svc.temporal().get_workflow_handle(review["workflow_id"]).execute_update(
            GoalWorkflow.decide,
            Decision(review_id=review_id, args_hash=args_hash or review["args_hash"], decision=decision,
                     reviewer=reviewer, reason=text or None, reason_code=reason_code, edited_arguments=edited))
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        message = getattr(cause, "message", None) or str(cause or err)
        raise Conflict(message) from err
    except RPCError as err:
        raise Conflict(f"the goal's workflow is not accepting decisions: {err.message}") from err


async def _check_capacity(svc: Services, review: dict[str, Any], edited: StaffingArguments | GoalPlan | None) -> None:
    """Refuse a staffing (as proposed, or as edited) that would book anyone past their capacity in any week.

    A pre-check for the reviewer: ``apply_staffing`` checks again under a lock per employee when it executes.
    """
    arguments = (edited if isinstance(edited, StaffingArguments)
                 else StaffingArguments.model_validate(review["arguments"]))
    async with svc.pool.acquire() as conn:
        found = await capacity.check_goal(conn, review["goal_id"], arguments.assignments)
    if found:
        raise Conflict(capacity.refusal(found))


async def _check_bias_policy(svc: Services, review_id: str, edited: StaffingArguments | GoalPlan | None) -> None:
    """Refuse to execute a staffing the bias audit blocks (an admin's policy); an edit is audited as edited."""
    selected = edited.model_dump(mode="json") if isinstance(edited, StaffingArguments) else None
    async with svc.pool.acquire() as conn:
        found = await bias.audit_review(conn, review_id, selected=selected)
    if found is not None and found.verdict == "block":
        raise Conflict(f"the bias audit blocks this staffing ({found.verdict_reason}); "
                       "swap people to widen who is selected, or reject it")


@dataclass(kw_only=True)
class BulkResult:
    """What a bulk approval did, item by item."""

    approved: list[str]
    """Reviews approved."""
    refused: dict[str, str]
    """Reviews not approved → why."""


async def bulk_approve(svc: Services, *, reviewer: str, items: dict[str, str | None]) -> BulkResult:
    """Approve several low-risk reviews at once; each is checked like a single decision.

    Args:
        svc: Handles.
        reviewer: Login of the reviewer.
        items: Review id → hash of the arguments the reviewer saw (None: the stored one).
    """
    if not items:
        raise Invalid("select at least one review to approve")
    if len(items) > 200:
        raise Invalid("at most 200 reviews can be approved at once")
    result = BulkResult(approved=[], refused={})
    for review_id, seen_hash in items.items():
        try:
            review = await get_review(svc, review_id)
            action = ACTION_TYPES.get(review["action_type"])
            if action is None or not bulk_approvable(action):
                raise Forbidden(f"{review['action_type']} is not low-risk: decide it on its own page")
            await decide_review(svc, review_id=review_id, decision="approve", reviewer=reviewer, args_hash=seen_hash)
        except ServiceError as err:
            result.refused[review_id] = err.message
        else:
            result.approved.append(review_id)
    return result


_CHECKED_FIELDS = frozenset({"task_id", "end_week", "start_week", "effort_hours", "depends_on", "skills", "title"})
"""Fields ``check_plan`` checks: an open issue about one of them is re-checked on the edited plan, not carried."""


def _issue_key(issue: PlanIssue) -> tuple[str | None, str, str]:
    return issue.task_id, issue.field, issue.message


def next_task_ids(plan: GoalPlan, count: int) -> list[str]:
    """Ids for new tasks: after the highest id the plan used (a dropped task's id is never reused)."""
    top = max((int(t.task_id[1:]) for t in plan.tasks), default=0)
    return [f"T{top + n}" for n in range(1, count + 1)]


def _with_suggestions(issue: PlanIssue, tasks: dict[str, PlannedTask]) -> PlanIssue:
    """An unknown-skill issue with the closest known names for each unknown skill."""
    task = tasks.get(issue.task_id or "")
    if issue.field != "skills" or task is None:
        return issue
    hints = []
    for name in (s for s in task.skills if not known_skill(s)):
        close = suggest_skills(name, top=3)
        if close:
            hints.append(f"for “{name}” try {', '.join(close)}")
    return issue.model_copy(update={"message": f"{issue.message} ({'; '.join(hints)})"}) if hints else issue


def _edited_plan(review: dict[str, Any], task_edits: dict[str, TaskEdit], new_tasks: list[NewTask] | None = None,
                 assumptions: list[str] | None = None, open_questions: list[str] | None = None) -> GoalPlan:
    """The plan a reviewer's edit makes of the proposed one, checked like the planner's own drafts.

    Refused (:class:`PlanEditInvalid`, every problem named by task and field) when a task is not valid or when
    :func:`~policies.plan_checks.check_plan` finds anything wrong with the edited plan (a window past the
    deadline, a missing or looping dependency, a duplicate, effort no one can give, an unknown skill), except
    unknown skills the planner chose on a task whose skills the reviewer did not change: those, and the proposed
    plan's open issues about what the checks do not cover (grounding), stay in the result's ``open_issues``.
    """
    new_tasks = new_tasks or []
    if not task_edits and not new_tasks and assumptions is None and open_questions is None:
        raise Invalid("an edit needs at least one change to the plan")
    current = GoalPlan.model_validate(review["arguments"])
    planned_ids = [t.task_id for t in current.tasks]
    new_ids = next_task_ids(current, len(new_tasks))
    issues = [PlanIssue(task_id=task_id, field="task_id", message="is not a task of this plan")
              for task_id in sorted(set(task_edits) - set(planned_ids))]
    if any(int(i[1:]) > 99 for i in new_ids):
        issues.append(PlanIssue(field="tasks", message="no free task id is left (T1-T99)"))
    dropped = {task_id for task_id, change in task_edits.items() if change.drop}
    rows: list[dict[str, Any]] = []
    for task in current.tasks:
        change = task_edits.get(task.task_id)
        if change is not None and change.drop:
            continue
        values = task.model_dump()
        update = change.model_dump(exclude={"drop"}, exclude_none=True) if change is not None else {}
        if "skills" in update:  # as the taxonomy spells them ("sql" → "SQL")
            update["skills"] = list(dict.fromkeys(canonical(s) for s in update["skills"]))
        if update.get("effort_hours", task.effort_hours) != task.effort_hours:
            update["effort_basis"] = f"set by the reviewer (the plan said {task.effort_hours} h)"
        values.update(update)
        if "depends_on" not in update:  # a dropped task no longer holds up the ones that waited for it
            values["depends_on"] = [d for d in task.depends_on if d not in dropped]
        rows.append(values)
    if not rows and not new_tasks:
        raise Invalid("an edit cannot drop every task; reject the plan instead")
    for task_id, new in zip(new_ids, new_tasks, strict=True):
        values = {**new.model_dump(), "task_id": task_id, "description": new.description or new.title, "phase": "",
                  "skills": list(dict.fromkeys(canonical(s) for s in new.skills)),
                  "occupations": [], "activities": [], "onet_code": None, "effort_basis": "estimated by the reviewer"}
        # in start order: after the last task that starts no later than it
        at = max((n + 1 for n, r in enumerate(rows) if r["start_week"] <= new.start_week), default=0)
        rows.insert(at, values)
    tasks: list[PlannedTask] = []
    for values in rows:
        try:
            tasks.append(PlannedTask.model_validate(values))
        except ValidationError as err:
            issues += validation_issues(err, values["task_id"])
    if issues:
        raise PlanEditInvalid(issues, new_ids)
    plan_values = {**current.model_dump(), "tasks": [t.model_dump() for t in tasks]}
    if assumptions is not None:
        plan_values["assumptions"] = list(dict.fromkeys(a.strip() for a in assumptions if a.strip()))
    if open_questions is not None:
        plan_values["open_questions"] = list(dict.fromkeys(q.strip() for q in open_questions if q.strip()))
    try:
        edited = GoalPlan.model_validate(plan_values)
    except ValidationError as err:
        raise PlanEditInvalid(validation_issues(err, None), new_ids) from err
    # every issue refuses the edit (the goal workflow's validator checks the same), but for skills the planner
    # chose that the taxonomy does not know on tasks whose skills the reviewer left alone: those stay open issues
    before = {_issue_key(i) for i in check_plan(current, known_skill=known_skill) if i.field == "skills"}
    found = check_plan(edited, known_skill=known_skill)
    new_issues = [i for i in found if _issue_key(i) not in before]
    if new_issues:
        by_id = {t.task_id: t for t in edited.tasks}
        raise PlanEditInvalid([_with_suggestions(i, by_id) for i in new_issues], new_ids)
    kept_ids = {t.task_id for t in edited.tasks}
    carried = [i for i in current.open_issues
               if (i.task_id is None or i.task_id in kept_ids) and i.field not in _CHECKED_FIELDS]
    return edited.model_copy(update={"open_issues": carried + found})


async def _edited_arguments(svc: Services, review: dict[str, Any], edits: dict[str, str]) -> StaffingArguments:
    if not edits:
        raise Invalid("an edit needs at least one task → employee change")
    current = StaffingArguments.model_validate(review["arguments"])
    by_task = {a.task_id: a for a in current.assignments}
    unknown_tasks = sorted(set(edits) - set(by_task))
    if unknown_tasks:
        raise Invalid(f"unknown task(s) in the edit: {', '.join(unknown_tasks)}")
    wanted = sorted(set(edits.values()))
    found = {r["employee_id"] for r in await svc.pool.fetch(
        "SELECT employee_id FROM employees WHERE employee_id = ANY($1::text[])", wanted)}
    missing = [e for e in wanted if e not in found]
    if missing:
        raise Invalid(f"unknown employee(s): {', '.join(missing)}")
    return StaffingArguments(assignments=[
        a.model_copy(update={"employee_id": edits.get(a.task_id, a.employee_id)}) for a in current.assignments])


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
