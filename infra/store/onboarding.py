"""Onboarding plans and their items (tables ``onboarding_plans``, ``onboarding_items``): a person's 30-60-90 plan
for one task, as drafted, reviewed and run."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from infra.db import Connection, Queryable
from infra.store.moves import MoveKey

OwnerRole = Literal["person", "goal_manager", "line_manager", "buddy", "hr"]
"""Who does an item, by role: the person moving, the goal's manager, their line manager, their buddy, HR."""
OWNER_ROLES: tuple[OwnerRole, ...] = ("person", "goal_manager", "line_manager", "buddy", "hr")
ItemKind = Literal["learning", "practice", "checkin", "meeting", "admin"]
PlanStatus = Literal["drafted", "in_review", "active", "completed", "rejected"]
CheckinOutcome = Literal["productive", "not_yet"]


class PlanItem(BaseModel):
    """One item of an onboarding plan."""

    item_id: str = Field(pattern=r"^[A-Z][A-Z0-9]{0,7}$")
    """Id within the plan (``L1``, ``P1``, ``C30``)."""
    kind: ItemKind
    """Learning, practice, check-in, meeting or admin."""
    title: str = Field(min_length=1, max_length=200)
    """What to do."""
    detail: str = Field(default="", max_length=1000)
    """How, or why."""
    owner_role: OwnerRole
    """Who does it, by role."""
    due_day: int
    """Days after the plan's start it is due (0 = the first day)."""
    depends_on: list[str] = Field(default_factory=list, max_length=10)
    """Items that come first."""
    learning_item_id: str | None = None
    """The catalogue item, for a learning item."""
    skills: list[str] = Field(default_factory=list, max_length=10)
    """Skills that completing it evidences (learning and practice)."""


class OnboardingPlan(BaseModel):
    """A drafted (or reviewed) 30-60-90 plan: the exact arguments of the ``draft_onboarding_plan`` action."""

    summary: str = Field(min_length=1, max_length=1000)
    """The plan in two sentences."""
    buddy_id: str | None
    """The colleague who helps (None: nobody fits; the plan says so)."""
    gap_skills: list[str]
    """The task's skills the person has no evidence of."""
    items: list[PlanItem] = Field(min_length=1, max_length=40)
    """What happens, in order of due day."""


async def save_draft(conn: Connection, key: MoveKey, plan: OnboardingPlan, *, drafted_by: str,
                     status: PlanStatus) -> None:
    """Store (or replace, on a retry) the drafted plan of an assignment."""
    await conn.execute(
        "INSERT INTO onboarding_plans (goal_id, task_id, employee_id, status, summary, buddy_id, gap_skills,"
        " drafted_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (goal_id, task_id, employee_id) DO UPDATE"
        " SET status = $4, summary = $5, buddy_id = $6, gap_skills = $7, drafted_by = $8"
        " WHERE onboarding_plans.status IN ('drafted', 'in_review')",
        key.goal_id, key.task_id, key.employee_id, status, plan.summary, plan.buddy_id, plan.gap_skills, drafted_by)
    await _replace_items(conn, key, plan)


async def _replace_items(conn: Connection, key: MoveKey, plan: OnboardingPlan) -> None:
    await conn.execute("DELETE FROM onboarding_items WHERE goal_id = $1 AND task_id = $2 AND employee_id = $3",
                       key.goal_id, key.task_id, key.employee_id)
    await conn.executemany(
        "INSERT INTO onboarding_items (goal_id, task_id, employee_id, item_id, position, kind, title, detail,"
        " owner_role, due_day, depends_on, learning_item_id, skills)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        [(key.goal_id, key.task_id, key.employee_id, i.item_id, n, i.kind, i.title, i.detail, i.owner_role,
          i.due_day, i.depends_on, i.learning_item_id, i.skills) for n, i in enumerate(plan.items)])


async def start(conn: Connection, key: MoveKey, plan: OnboardingPlan, *, starts_on: date,
                review_id: str | None) -> bool:
    """Make the reviewed plan the one that runs, from ``starts_on``; False when it was started already."""
    done = await conn.execute(
        "UPDATE onboarding_plans SET status = 'active', summary = $4, buddy_id = $5, starts_on = $6, review_id = $7"
        " WHERE goal_id = $1 AND task_id = $2 AND employee_id = $3 AND status IN ('drafted', 'in_review')",
        key.goal_id, key.task_id, key.employee_id, plan.summary, plan.buddy_id, starts_on, review_id)
    if done != "UPDATE 1":
        return False
    await _replace_items(conn, key, plan)
    return True


async def set_status(conn: Connection, key: MoveKey, status: PlanStatus, *, reason: str | None = None) -> bool:
    """Move a plan to ``status`` (``completed``/``rejected`` with the reason); False when it was there already."""
    finished = status in ("completed", "rejected")
    done = await conn.execute(
        "UPDATE onboarding_plans SET status = $4, finish_reason = coalesce($5, finish_reason),"
        " finished_at = CASE WHEN $6 THEN now() ELSE finished_at END"
        " WHERE goal_id = $1 AND task_id = $2 AND employee_id = $3 AND status <> $4",
        key.goal_id, key.task_id, key.employee_id, status, reason, finished)
    return bool(done == "UPDATE 1")


class ItemState(BaseModel):
    """An item of a running plan with whether it is done."""

    item: PlanItem
    """The item."""
    done_at: datetime | None
    """When it was ticked off."""
    done_by: str | None
    """Who ticked it off."""
    outcome: CheckinOutcome | None
    """A check-in's outcome."""


async def items(conn: Queryable, key: MoveKey) -> list[ItemState]:
    """The plan's items in plan order."""
    rows = await conn.fetch(
        "SELECT item_id, kind, title, detail, owner_role, due_day, depends_on, learning_item_id, skills, done_at,"
        " done_by, outcome FROM onboarding_items WHERE goal_id = $1 AND task_id = $2 AND employee_id = $3"
        " ORDER BY position", key.goal_id, key.task_id, key.employee_id)
    return [ItemState(item=PlanItem.model_validate({k: r[k] for k in PlanItem.model_fields}), done_at=r["done_at"],
                      done_by=r["done_by"], outcome=r["outcome"]) for r in rows]


async def complete_item(conn: Connection, key: MoveKey, item_id: str, *, by: str, outcome: CheckinOutcome | None,
                        note: str | None) -> bool:
    """Tick an item off; False when it was ticked off already."""
    done = await conn.execute(
        "UPDATE onboarding_items SET done_at = now(), done_by = $5, outcome = $6, note = $7"
        " WHERE goal_id = $1 AND task_id = $2 AND employee_id = $3 AND item_id = $4 AND done_at IS NULL",
        key.goal_id, key.task_id, key.employee_id, item_id, by, outcome, note)
    return bool(done == "UPDATE 1")


async def mark_productive(conn: Connection, key: MoveKey, *, on: date, by: str) -> bool:
    """Record the day the person became productive on the task; False when it was recorded already."""
    done = await conn.execute(
        "UPDATE onboarding_plans SET productive_on = $4, productive_by = $5"
        " WHERE goal_id = $1 AND task_id = $2 AND employee_id = $3 AND productive_on IS NULL",
        key.goal_id, key.task_id, key.employee_id, on, by)
    return bool(done == "UPDATE 1")


class PlanRecord(BaseModel):
    """A stored plan's facts (without its items)."""

    goal_id: str
    """Goal."""
    task_id: str
    """Task."""
    employee_id: str
    """The person moving."""
    person_name: str
    """Their name."""
    task_title: str
    """The task."""
    status: PlanStatus
    """Where the plan is."""
    summary: str
    """The plan in words."""
    buddy_id: str | None
    """Their buddy."""
    buddy_name: str | None
    """The buddy's name."""
    gap_skills: list[str]
    """The skills the plan closes."""
    starts_on: date | None
    """Day 0."""
    productive_on: date | None
    """When they were marked productive."""
    days_to_productive: int | None
    """Time to productivity in days, once marked."""
    finish_reason: str | None
    """Why it ended, once it did."""


_PLAN_SQL = """
SELECT p.goal_id, p.task_id, p.employee_id, e.name AS person_name, t.title AS task_title, p.status, p.summary,
       p.buddy_id, b.name AS buddy_name, p.gap_skills, p.starts_on, p.productive_on,
       p.productive_on - p.starts_on AS days_to_productive, p.finish_reason
FROM onboarding_plans p JOIN employees e USING (employee_id)
JOIN tasks t ON t.goal_id = p.goal_id AND t.task_id = p.task_id
LEFT JOIN employees b ON b.employee_id = p.buddy_id
"""


async def get(conn: Queryable, key: MoveKey) -> PlanRecord | None:
    """The assignment's plan, if it has one."""
    row = await conn.fetchrow(_PLAN_SQL + " WHERE p.goal_id = $1 AND p.task_id = $2 AND p.employee_id = $3",
                              key.goal_id, key.task_id, key.employee_id)
    return PlanRecord.model_validate(dict(row)) if row is not None else None


async def for_goal(conn: Queryable, goal_id: str) -> list[PlanRecord]:
    """The plans of a goal's people."""
    rows = await conn.fetch(_PLAN_SQL + " WHERE p.goal_id = $1 ORDER BY p.task_id, p.employee_id", goal_id)
    return [PlanRecord.model_validate(dict(r)) for r in rows]


async def involving(conn: Queryable, employee_id: str, login: str) -> list[PlanRecord]:
    """Running or finished plans an employee has items in: as the person moving, their buddy, their line manager,
    or (by login) the goal's manager."""
    rows = await conn.fetch(
        _PLAN_SQL + " JOIN goals g ON g.goal_id = p.goal_id"
        " WHERE p.status IN ('active', 'completed') AND (p.employee_id = $1 OR p.buddy_id = $1"
        " OR e.manager_id = $1 OR g.manager_login = $2) ORDER BY p.starts_on DESC, p.goal_id, p.task_id",
        employee_id, login)
    return [PlanRecord.model_validate(dict(r)) for r in rows]
