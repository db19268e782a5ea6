"""Users: look one up, list them, add one (audited)."""

from __future__ import annotations

from typing import Any

from infra import audit
from infra.telemetry import current_trace_id
from workflows.usecases.context import Services
from workflows.usecases.errors import Conflict, Invalid, NotFound


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
