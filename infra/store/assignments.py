"""Assignments (table ``assignments``): who does which task of a staffed goal, for what share of their time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel

from infra.db import Connection, Queryable


class Assignment(BaseModel):
    """One person on one task of a goal, as shown with the goal."""

    task_id: str
    """Task."""
    employee_id: str
    """Who."""
    name: str
    """Their name."""
    title: str
    """Their job title."""
    fraction: float
    """Share of their time during the task's window."""
    start_week: int
    """First week (from the goal's start)."""
    end_week: int
    """End week (exclusive)."""
    score: float
    """The matcher's fit (0 when a reviewer chose them)."""
    reason: str
    """Why them, in one line."""


async def for_goal(conn: Queryable, goal_id: str) -> list[Assignment]:
    """The goal's assignments by task."""
    rows = await conn.fetch(
        "SELECT a.task_id, a.employee_id, e.name, e.title, a.fraction, a.start_week, a.end_week, a.score, a.reason"
        " FROM assignments a JOIN employees e USING (employee_id) WHERE a.goal_id = $1 ORDER BY a.task_id", goal_id)
    return [Assignment.model_validate(dict(r)) for r in rows]


@dataclass(kw_only=True, frozen=True)
class NewAssignment:
    """An approved assignment to store."""

    task_id: str
    """Task."""
    employee_id: str
    """Who."""
    fraction: float
    """Share of their time."""
    start_week: int
    """First week."""
    end_week: int
    """End week (exclusive)."""
    score: float
    """The matcher's fit."""
    reason: str
    """Why them."""


async def replace_for_goal(conn: Connection, goal_id: str, review_id: str, rows: list[NewAssignment]) -> None:
    """Store a goal's approved assignments in place of any earlier ones, dated from the goal's start."""
    await conn.execute("DELETE FROM assignments WHERE goal_id = $1", goal_id)
    await conn.executemany(
        "INSERT INTO assignments (goal_id, task_id, employee_id, fraction, start_week, end_week, score,"
        " reason, review_id, starts_on, ends_on)"
        " SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, g.starts_on + 7 * $5::int, g.starts_on + 7 * $6::int"
        " FROM goals g WHERE g.goal_id = $1",
        [(goal_id, a.task_id, a.employee_id, a.fraction, a.start_week, a.end_week, a.score, a.reason, review_id)
         for a in rows])


class PersonAssignment(BaseModel):
    """One task a person is staffed on, as that person reads it."""

    goal_id: str
    """The goal it serves."""
    goal_text: str
    """The goal as its manager wrote it."""
    goal_status: str
    """Where the goal is (``staffed`` once the staffing is approved)."""
    manager_login: str
    """The goal's manager."""
    task_id: str
    """Task id within the goal."""
    title: str
    """The task."""
    description: str
    """What has to be done."""
    fraction: float
    """Share of the person's time during the task's window."""
    starts_on: date
    """First day."""
    last_day: date
    """Last day."""
    reason: str
    """Why they were proposed, in one line."""


async def for_employee(conn: Queryable, employee_id: str) -> list[PersonAssignment]:
    """Everything one person is staffed on, earliest first."""
    rows = await conn.fetch(
        "SELECT a.goal_id, g.text AS goal_text, g.status AS goal_status, g.manager_login, a.task_id, t.title,"
        " t.description, a.fraction, a.starts_on, a.ends_on - 1 AS last_day, a.reason"
        " FROM assignments a JOIN goals g USING (goal_id)"
        " JOIN tasks t ON t.goal_id = a.goal_id AND t.task_id = a.task_id"
        " WHERE a.employee_id = $1 ORDER BY a.starts_on, a.goal_id, a.task_id", employee_id)
    return [PersonAssignment.model_validate(dict(r)) for r in rows]
