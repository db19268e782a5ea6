"""Assignments (table ``assignments``): who does which task of a staffed goal, for what share of their time."""

from __future__ import annotations

from dataclasses import dataclass

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
