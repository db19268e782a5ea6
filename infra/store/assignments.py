"""Assignments (table ``assignments``): who does which task of a staffed goal, for what share of their time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from infra.db import Connection, Queryable

MoveState = Literal["offered", "accepted", "declined", "released", "refused", "withdrawn"]
"""Where an assignment is after staffing: offered to the person, accepted by them, declined, released by their line
manager, refused by the line manager (HR reviews it), or withdrawn (HR upheld the refusal)."""
BOOKING_STATES: tuple[MoveState, ...] = ("offered", "accepted", "released", "refused")
"""States that book the person's time (tentatively until released): two goals cannot take the same hours."""


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
    state: MoveState = "released"
    """Where the move is (declined and withdrawn rows are history: they book nothing)."""
    decline_reason: str | None = None
    """The person's reason, when they declined."""
    refusal_reason: str | None = None
    """Their line manager's reason, when they refused to release them."""
    released_by_silence: bool = False
    """Released because the line manager did not answer by the deadline."""


async def for_goal(conn: Queryable, goal_id: str) -> list[Assignment]:
    """The goal's assignments by task (the people who declined a task first)."""
    rows = await conn.fetch(
        "SELECT a.task_id, a.employee_id, e.name, e.title, a.fraction, a.start_week, a.end_week, a.score, a.reason,"
        " a.state, a.decline_reason, a.refusal_reason, a.released_by_silence"
        " FROM assignments a JOIN employees e USING (employee_id) WHERE a.goal_id = $1"
        " ORDER BY a.task_id, a.state IN ('offered', 'accepted', 'released', 'refused'), a.created_at", goal_id)
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


_INSERT = (
    "INSERT INTO assignments (goal_id, task_id, employee_id, fraction, start_week, end_week, score,"
    " reason, review_id, starts_on, ends_on, state)"
    " SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, g.starts_on + 7 * $5::int, g.starts_on + 7 * $6::int, $10"
    " FROM goals g WHERE g.goal_id = $1")


async def replace_for_goal(conn: Connection, goal_id: str, review_id: str, rows: list[NewAssignment], *,
                           state: MoveState = "released") -> None:
    """Store a goal's approved assignments in place of any earlier ones, dated from the goal's start.

    Args:
        conn: Connection (in the caller's transaction).
        goal_id: The goal.
        review_id: The review that approved them.
        rows: The assignments.
        state: ``offered`` when each becomes a move the person answers; ``released`` for goals whose workflow
            started before moves existed (their staffing is final when approved).
    """
    await conn.execute("DELETE FROM assignments WHERE goal_id = $1", goal_id)
    await conn.executemany(_INSERT, [
        (goal_id, a.task_id, a.employee_id, a.fraction, a.start_week, a.end_week, a.score, a.reason, review_id, state)
        for a in rows])


async def add_offer(conn: Connection, goal_id: str, review_id: str, row: NewAssignment) -> bool:
    """Store one more person offered a task (a task proposed again after a decline); False when already stored."""
    inserted = await conn.execute(_INSERT + " ON CONFLICT (goal_id, task_id, employee_id) DO NOTHING", goal_id,
                                  row.task_id, row.employee_id, row.fraction, row.start_week, row.end_week, row.score,
                                  row.reason, review_id, "offered")
    return bool(inserted == "INSERT 0 1")


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
    state: MoveState
    """Where the move is."""
    release_due_at: datetime | None
    """When their line manager's silence counts as release (once they accepted)."""
    line_manager: str | None
    """Their line manager's name, once asked."""


async def for_employee(conn: Queryable, employee_id: str) -> list[PersonAssignment]:
    """Everything one person is staffed on, earliest first."""
    rows = await conn.fetch(
        "SELECT a.goal_id, g.text AS goal_text, g.status AS goal_status, g.manager_login, a.task_id, t.title,"
        " t.description, a.fraction, a.starts_on, a.ends_on - 1 AS last_day, a.reason, a.state, a.release_due_at,"
        " lm.name AS line_manager"
        " FROM assignments a JOIN goals g USING (goal_id)"
        " JOIN tasks t ON t.goal_id = a.goal_id AND t.task_id = a.task_id"
        " LEFT JOIN employees lm ON lm.employee_id = a.line_manager_id"
        " WHERE a.employee_id = $1 ORDER BY a.starts_on, a.goal_id, a.task_id", employee_id)
    return [PersonAssignment.model_validate(dict(r)) for r in rows]


@dataclass(kw_only=True, frozen=True)
class Booked:
    """One of a goal's assignments that books its person's time (offered, accepted, released or refused)."""

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


async def booking_for_goal(conn: Queryable, goal_id: str) -> list[Booked]:
    """The goal's assignments that book time (declined and withdrawn ones do not)."""
    rows = await conn.fetch(
        "SELECT task_id, employee_id, fraction, start_week, end_week FROM assignments"
        " WHERE goal_id = $1 AND state = ANY($2::text[]) ORDER BY task_id, employee_id", goal_id, list(BOOKING_STATES))
    return [Booked(**dict(r)) for r in rows]
