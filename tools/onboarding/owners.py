"""Who an onboarding item's owner is today: the role resolved to people who can sign in, falling back up the
manager chain when the owner left or has no capacity (so a move never stalls on someone who is gone)."""

from __future__ import annotations

from dataclasses import dataclass

from infra.db import Queryable
from infra.store.onboarding import OwnerRole

MAX_CHAIN = 10
"""Levels walked up the manager chain at most."""


@dataclass(frozen=True, kw_only=True)
class Owner:
    """Someone who owns an item today."""

    login: str
    """Their login."""
    employee_id: str | None
    """Their employee id (None: an HR login that is not an employee)."""
    instead_of: str | None = None
    """The employee they stand in for (gone or unavailable), if any."""


async def available(conn: Queryable, employee_id: str | None) -> Owner | None:
    """``employee_id`` if they are still here and can sign in, else the first such manager above them."""
    start, current, depth = employee_id, employee_id, 0
    while current is not None and depth <= MAX_CHAIN:
        row = await conn.fetchrow(
            "SELECT e.manager_id, e.left_on IS NULL AND e.capacity_pct > 0 AS here,"
            " (SELECT min(u.login) FROM users u WHERE u.employee_id = e.employee_id) AS login"
            " FROM employees e WHERE e.employee_id = $1", current)
        if row is None:
            return None
        if row["here"] and row["login"] is not None:
            return Owner(login=row["login"], employee_id=current, instead_of=start if current != start else None)
        current, depth = row["manager_id"], depth + 1
    return None


async def hr(conn: Queryable) -> list[Owner]:
    """HR: the reviewers."""
    rows = await conn.fetch("SELECT login, employee_id FROM users WHERE role = 'reviewer' ORDER BY login")
    return [Owner(login=r["login"], employee_id=r["employee_id"]) for r in rows]


async def owners(conn: Queryable, role: OwnerRole, *, person_id: str, buddy_id: str | None,
                 goal_manager: str) -> list[Owner]:
    """Who owns an item of ``role`` today (HR when nobody up the chain can)."""
    found: Owner | None
    if role == "hr":
        return await hr(conn)
    if role == "person":
        found = await available(conn, person_id)
    elif role == "buddy":
        found = await available(conn, buddy_id) if buddy_id else None
        if found is None or found.employee_id == person_id:  # no buddy any more: the person's line manager helps
            found = await available(conn, await _manager_of(conn, person_id))
    elif role == "line_manager":
        found = await available(conn, await _manager_of(conn, person_id))
    else:
        manager_employee = await conn.fetchval("SELECT employee_id FROM users WHERE login = $1", goal_manager)
        found = await available(conn, manager_employee) if manager_employee else Owner(
            login=goal_manager, employee_id=None)
    return [found] if found is not None else await hr(conn)


async def _manager_of(conn: Queryable, employee_id: str) -> str | None:
    manager: str | None = await conn.fetchval("SELECT manager_id FROM employees WHERE employee_id = $1", employee_id)
    return manager
