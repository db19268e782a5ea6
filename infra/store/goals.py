"""Goals (table ``goals``): the record, and the one place that writes a goal's status.

A goal's status changes only through :func:`set_status` (the workflow's activities, submission and retry all
call it), so what the console shows and what the workflow did cannot disagree.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from infra.db import Connection, Queryable
from infra.store.timestamps import Timestamp

GoalStatus = Literal["submitted", "planning", "awaiting_plan_review", "staffing", "awaiting_review", "parked",
                     "staffed", "rejected", "failed"]
"""Where a goal is: planned, waiting for a review, being staffed, or ended (staffed, rejected, failed)."""

GOAL_COLUMNS = ("goal_id, text, manager_login, department, status, status_detail, workflow_id, model,"
                " deadline_weeks, starts_on, submitted_by, plan, agent_models, created_at, updated_at, revision_of")


class Goal(BaseModel):
    """One manager's goal as stored."""

    goal_id: str
    """Goal id (``g-`` and 12 hex digits)."""
    text: str
    """The goal as the manager wrote it (whitespace tidied)."""
    manager_login: str
    """Manager the goal is for."""
    department: str | None
    """The manager's department when the goal was submitted."""
    status: GoalStatus
    """Where the goal is."""
    status_detail: str | None
    """Why it is there, in words (a failure's reason, a parked review's cause), if anything."""
    workflow_id: str
    """Id of the goal's Temporal workflow."""
    model: str
    """Model that drafted its plan (the offline planner's name by default)."""
    deadline_weeks: int | None
    """Weeks from the start to the deadline, once planned."""
    starts_on: date
    """Day the goal was submitted; task weeks count from it."""
    submitted_by: str
    """Who submitted it (an admin may submit for a manager)."""
    plan: dict[str, Any] | None
    """The plan without its tasks (summary, reading, assumptions, questions, open issues), once planned."""
    agent_models: dict[str, Any] = Field(default_factory=dict)
    """Agent → the model it ran with (configured and served name, prompt version)."""
    created_at: Timestamp
    """When it was submitted."""
    updated_at: Timestamp
    """When it last changed."""
    revision_of: str | None = None
    """The rejected goal this one revises, if it is a revision."""


async def insert(conn: Connection, *, goal_id: str, text: str, manager_login: str, department: str | None,
                 workflow_id: str, model: str, starts_on: date, submitted_by: str,
                 revision_of: str | None = None) -> None:
    """Store a newly submitted goal (status ``submitted``); ``revision_of`` is the rejected goal it revises."""
    await conn.execute(
        "INSERT INTO goals (goal_id, text, manager_login, department, status, workflow_id, model, starts_on,"
        " submitted_by, revision_of) VALUES ($1, $2, $3, $4, 'submitted', $5, $6, $7, $8, $9)",
        goal_id, text, manager_login, department, workflow_id, model, starts_on, submitted_by, revision_of)


async def revised_as(conn: Queryable, goal_id: str) -> str | None:
    """The goal that revises this one, if it was revised."""
    found: str | None = await conn.fetchval(
        "SELECT goal_id FROM goals WHERE revision_of = $1 ORDER BY created_at LIMIT 1", goal_id)
    return found


async def get(conn: Queryable, goal_id: str) -> Goal | None:
    """The goal, or None when there is none with this id."""
    row = await conn.fetchrow(f"SELECT {GOAL_COLUMNS} FROM goals WHERE goal_id = $1", goal_id)
    return Goal.model_validate(dict(row)) if row is not None else None


async def exists(conn: Queryable, goal_id: str) -> bool:
    """Whether a goal with this id exists."""
    return await conn.fetchval("SELECT 1 FROM goals WHERE goal_id = $1", goal_id) is not None


async def list_goals(conn: Queryable, *, manager_login: str | None = None) -> list[Goal]:
    """Goals, newest first; only one manager's when ``manager_login`` is given."""
    rows = await conn.fetch(
        f"SELECT {GOAL_COLUMNS} FROM goals WHERE $1::text IS NULL OR manager_login = $1 ORDER BY created_at DESC",
        manager_login)
    return [Goal.model_validate(dict(r)) for r in rows]


async def set_status(conn: Connection, goal_id: str, status: GoalStatus, detail: str | None = None, *,
                     only_from: GoalStatus | None = None) -> bool:
    """Move a goal to ``status`` (with its reason in words, if any); the only writer of a goal's status.

    Args:
        conn: Connection (the caller's transaction holds the status change and its audit event together).
        goal_id: The goal.
        status: Its new status.
        detail: Why, in words (None clears the previous reason).
        only_from: Change it only if the goal is in this status now (a guard against a concurrent change).

    Returns:
        Whether the goal changed.
    """
    changed = await conn.execute(
        "UPDATE goals SET status = $2, status_detail = $3, updated_at = now()"
        " WHERE goal_id = $1 AND ($4::text IS NULL OR status = $4)", goal_id, status, detail, only_from)
    return bool(changed == "UPDATE 1")


async def save_plan_outline(conn: Connection, goal_id: str, *, deadline_weeks: int, plan: dict[str, Any]) -> None:
    """Keep the plan's deadline and everything but its tasks (the tasks have their own table)."""
    await conn.execute("UPDATE goals SET deadline_weeks = $2, plan = $3, updated_at = now() WHERE goal_id = $1",
                       goal_id, deadline_weeks, plan)


async def record_agent_model(conn: Connection, goal_id: str, agent: str, *, model: str | None,
                             served_model: str | None,
                             prompt_version: str) -> None:
    """Remember which model an agent step ran with (the goal's ``model`` is the planner's)."""
    await conn.execute(
        "UPDATE goals SET agent_models = agent_models || jsonb_build_object($2::text, $3::jsonb),"
        " model = CASE WHEN $2 = 'draft_tasks' THEN $4 ELSE model END WHERE goal_id = $1",
        goal_id, agent, {"model": model, "served_model": served_model, "prompt_version": prompt_version}, model)
