"""Employees (table ``employees``): the look-ups the use cases need (the matcher reads them its own way)."""

from __future__ import annotations

from infra.db import Queryable


async def names(conn: Queryable, ids: list[str]) -> dict[str, str]:
    """Display names of employees by id (unknown ids are left out)."""
    rows = await conn.fetch("SELECT employee_id, name FROM employees WHERE employee_id = ANY($1::text[])", ids)
    return {r["employee_id"]: r["name"] for r in rows}


async def existing(conn: Queryable, ids: list[str]) -> set[str]:
    """Which of these ids are employees."""
    rows = await conn.fetch("SELECT employee_id FROM employees WHERE employee_id = ANY($1::text[])", ids)
    return {r["employee_id"] for r in rows}


async def notifiable(conn: Queryable, role: str) -> list[tuple[str, str]]:
    """``(login, e-mail)`` of the users of one role who are employees with an e-mail address, by login."""
    rows = await conn.fetch(
        "SELECT u.login, e.email FROM users u JOIN employees e USING (employee_id)"
        " WHERE u.role = $1 AND e.email IS NOT NULL ORDER BY u.login", role)
    return [(r["login"], r["email"]) for r in rows]
