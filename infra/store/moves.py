"""A staffed person's move (columns of ``assignments``): their answer, their line manager's release, HR's word on a
refusal.

Every transition is guarded by the state it leaves (``WHERE state = ...``), so an activity retried after its commit
changes nothing the second time and its caller audits only when the row really moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pydantic import BaseModel

from infra.db import Connection, Queryable
from infra.store.assignments import MoveState


@dataclass(frozen=True, kw_only=True)
class MoveKey:
    """Which assignment: one person on one task of a goal."""

    goal_id: str
    """Goal."""
    task_id: str
    """Task within the goal."""
    employee_id: str
    """The person staffed."""


class Move(BaseModel):
    """An assignment as its move workflow and its people see it."""

    goal_id: str
    """Goal."""
    task_id: str
    """Task."""
    employee_id: str
    """The person staffed."""
    person_name: str
    """Their name."""
    task_title: str
    """The task."""
    goal_text: str
    """The goal as its manager wrote it."""
    manager_login: str
    """The goal's manager."""
    fraction: float
    """Share of the person's time."""
    starts_on: date
    """First day."""
    last_day: date
    """Last day."""
    reason: str
    """Why they were proposed."""
    state: MoveState
    """Where the move is."""
    line_manager_id: str | None
    """Their line manager (once asked)."""
    release_due_at: datetime | None
    """When the line manager's silence counts as release."""


_MOVE_SQL = """
SELECT a.goal_id, a.task_id, a.employee_id, e.name AS person_name, t.title AS task_title, g.text AS goal_text,
       g.manager_login, a.fraction, a.starts_on, a.ends_on - 1 AS last_day, a.reason, a.state, a.line_manager_id,
       a.release_due_at
FROM assignments a JOIN employees e USING (employee_id) JOIN goals g USING (goal_id)
JOIN tasks t ON t.goal_id = a.goal_id AND t.task_id = a.task_id
"""


async def get(conn: Queryable, key: MoveKey) -> Move | None:
    """The move, or None when there is no such assignment."""
    row = await conn.fetchrow(_MOVE_SQL + " WHERE a.goal_id = $1 AND a.task_id = $2 AND a.employee_id = $3",
                              key.goal_id, key.task_id, key.employee_id)
    return Move.model_validate(dict(row)) if row is not None else None


@dataclass(frozen=True, kw_only=True)
class LineManager:
    """Who releases a person: their manager in the org chart, and the login they sign in with (if any)."""

    employee_id: str
    """The line manager."""
    name: str
    """Their name."""
    login: str | None
    """Their login (None: they cannot sign in, so nobody can be asked)."""


async def line_manager_of(conn: Queryable, employee_id: str) -> LineManager | None:
    """The person's line manager (None: nobody above them in the org chart)."""
    row = await conn.fetchrow(
        "SELECT m.employee_id, m.name, (SELECT u.login FROM users u WHERE u.employee_id = m.employee_id"
        " ORDER BY u.login LIMIT 1) AS login"
        " FROM employees e JOIN employees m ON m.employee_id = e.manager_id WHERE e.employee_id = $1", employee_id)
    return LineManager(**dict(row)) if row is not None else None


async def logins_of(conn: Queryable, employee_id: str) -> list[str]:
    """The logins of an employee (usually one)."""
    return [r["login"] for r in await conn.fetch(
        "SELECT login FROM users WHERE employee_id = $1 ORDER BY login", employee_id)]


async def mark_offered(conn: Connection, key: MoveKey) -> bool:
    """Record that the person was told of the offer; False when they were already."""
    done = await conn.execute(
        "UPDATE assignments SET offered_at = now()"
        " WHERE goal_id = $1 AND task_id = $2 AND employee_id = $3 AND offered_at IS NULL",
        key.goal_id, key.task_id, key.employee_id)
    return bool(done == "UPDATE 1")


async def answer(conn: Connection, key: MoveKey, *, accepted: bool, reason: str | None) -> bool:
    """The person's answer to an offer; False when it was already answered."""
    done = await conn.execute(
        "UPDATE assignments SET state = $4, answered_at = now(),"
        " decline_reason = CASE WHEN $4 = 'declined' THEN $5 END"
        " WHERE goal_id = $1 AND task_id = $2 AND employee_id = $3 AND state = 'offered'",
        key.goal_id, key.task_id, key.employee_id, "accepted" if accepted else "declined", reason)
    return bool(done == "UPDATE 1")


async def ask_release(conn: Connection, key: MoveKey, *, line_manager_id: str | None, due_at: datetime) -> bool:
    """Record whom the release was asked of, and when silence counts as release; False when already asked."""
    done = await conn.execute(
        "UPDATE assignments SET line_manager_id = $4, release_due_at = $5"
        " WHERE goal_id = $1 AND task_id = $2 AND employee_id = $3 AND release_due_at IS NULL",
        key.goal_id, key.task_id, key.employee_id, line_manager_id, due_at)
    return bool(done == "UPDATE 1")


async def decide_release(conn: Connection, key: MoveKey, *, released: bool, by: str, reason: str | None,
                         by_silence: bool = False) -> bool:
    """The line manager's release or refusal (or their silence); False when the release was already decided."""
    done = await conn.execute(
        "UPDATE assignments SET state = $4, release_decided_at = now(), release_decided_by = $5,"
        " refusal_reason = $6, released_by_silence = $7"
        " WHERE goal_id = $1 AND task_id = $2 AND employee_id = $3 AND state = 'accepted'",
        key.goal_id, key.task_id, key.employee_id, "released" if released else "refused", by, reason, by_silence)
    return bool(done == "UPDATE 1")


async def settle_refusal(conn: Connection, key: MoveKey, *, overruled: bool, review_id: str) -> bool:
    """HR's word on a refusal: overruled (the person is released) or upheld (withdrawn); False when already settled."""
    done = await conn.execute(
        "UPDATE assignments SET state = $4, hr_review_id = $5"
        " WHERE goal_id = $1 AND task_id = $2 AND employee_id = $3 AND state = 'refused'",
        key.goal_id, key.task_id, key.employee_id, "released" if overruled else "withdrawn", review_id)
    return bool(done == "UPDATE 1")


class ReleaseRequest(BaseModel):
    """A release a line manager is asked for (or gave), as their team page shows it."""

    goal_id: str
    """Goal."""
    task_id: str
    """Task."""
    employee_id: str
    """The person in their team."""
    person_name: str
    """Their name."""
    task_title: str
    """The task."""
    goal_text: str
    """The goal."""
    goal_manager: str
    """Who asks for them (the goal's manager's name)."""
    fraction: float
    """Share of the person's time."""
    starts_on: date
    """First day."""
    last_day: date
    """Last day."""
    state: MoveState
    """``accepted`` while the release waits; then released, refused or withdrawn."""
    release_due_at: datetime | None
    """When silence counts as release."""
    released_by_silence: bool
    """Released because nobody answered in time."""
    refusal_reason: str | None
    """Why they refused, if they did."""


async def for_line_manager(conn: Queryable, manager_id: str) -> list[ReleaseRequest]:
    """Releases asked of one line manager: waiting ones first, then the latest decided."""
    rows = await conn.fetch(
        "SELECT a.goal_id, a.task_id, a.employee_id, e.name AS person_name, t.title AS task_title,"
        " g.text AS goal_text, coalesce(u.display_name, g.manager_login) AS goal_manager, a.fraction, a.starts_on,"
        " a.ends_on - 1 AS last_day, a.state, a.release_due_at, a.released_by_silence, a.refusal_reason"
        " FROM assignments a JOIN employees e USING (employee_id) JOIN goals g USING (goal_id)"
        " JOIN tasks t ON t.goal_id = a.goal_id AND t.task_id = a.task_id"
        " LEFT JOIN users u ON u.login = g.manager_login"
        " WHERE a.line_manager_id = $1 AND a.state <> 'offered'"
        " ORDER BY a.state = 'accepted' DESC, coalesce(a.release_decided_at, a.release_due_at) DESC", manager_id)
    return [ReleaseRequest.model_validate(dict(r)) for r in rows]


class ReleaseCounts(BaseModel):
    """How one line manager answered release requests."""

    manager_id: str
    """The line manager."""
    name: str
    """Their name."""
    waiting: int
    """Requests not answered yet."""
    released: int
    """Released by them."""
    released_by_silence: int
    """Released because they did not answer in time."""
    refused: int
    """Refused (whatever HR then decided)."""


async def release_counts(conn: Queryable, manager_id: str | None = None) -> list[ReleaseCounts]:
    """Release and refusal counts per line manager (one manager's, or everyone's), most asked first."""
    rows = await conn.fetch(
        "SELECT a.line_manager_id AS manager_id, m.name,"
        " count(*) FILTER (WHERE a.state = 'accepted') AS waiting,"
        " count(*) FILTER (WHERE a.release_decided_by IS NOT NULL AND a.release_decided_by <> 'policy'"
        "   AND a.refusal_reason IS NULL) AS released,"
        " count(*) FILTER (WHERE a.released_by_silence) AS released_by_silence,"
        " count(*) FILTER (WHERE a.refusal_reason IS NOT NULL) AS refused"
        " FROM assignments a JOIN employees m ON m.employee_id = a.line_manager_id"
        " WHERE $1::text IS NULL OR a.line_manager_id = $1"
        " GROUP BY a.line_manager_id, m.name ORDER BY count(*) DESC, m.name", manager_id)
    return [ReleaseCounts.model_validate(dict(r)) for r in rows]
