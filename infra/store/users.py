"""Users (table ``users``): who may sign in, with which role; the password hash never leaves this module."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from infra.db import Connection, Queryable

Role = Literal["manager", "reviewer", "admin", "employee"]
"""What a user may do: submit goals, decide reviews, administer, or see their own skills."""

ROLES: tuple[Role, ...] = ("manager", "reviewer", "admin", "employee")
"""Every role, in the order they are listed."""

_COLUMNS = "login, display_name, role, employee_id, department"


class User(BaseModel):
    """A user of the console and the CLI (without the password hash)."""

    login: str
    """Sign-in name."""
    display_name: str
    """Name shown in the console."""
    role: Role
    """What they may do."""
    employee_id: str | None
    """The employee they are, if any (separation of duties: nobody decides a staffing that concerns them)."""
    department: str | None
    """Their department, if any."""


async def get(conn: Queryable, login: str) -> User | None:
    """The user, or None when there is no such login."""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM users WHERE login = $1", login)
    return User.model_validate(dict(row)) if row is not None else None


async def list_users(conn: Queryable, role: str | None = None) -> list[User]:
    """Users by role then login, optionally of one role."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM users WHERE $1::text IS NULL OR role = $1 ORDER BY role, login", role)
    return [User.model_validate(dict(r)) for r in rows]


async def with_password_hash(conn: Queryable, login: str) -> tuple[User, str] | None:
    """The user and their argon2 password hash, for signing in; None when there is no such login."""
    row = await conn.fetchrow(f"SELECT {_COLUMNS}, password_hash FROM users WHERE login = $1", login)
    if row is None:
        return None
    values = dict(row)
    password_hash: str = values.pop("password_hash")
    return User.model_validate(values), password_hash


async def insert(conn: Connection, user: User, *, password_hash: str) -> bool:
    """Add a user; False when the login is taken."""
    created = await conn.fetchval(
        "INSERT INTO users (login, display_name, role, password_hash, employee_id, department)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (login) DO NOTHING RETURNING login",
        user.login, user.display_name, user.role, password_hash, user.employee_id, user.department)
    return created is not None


async def role_of(conn: Queryable, login: str) -> Role | None:
    """A user's role (None: no such login)."""
    role: Role | None = await conn.fetchval("SELECT role FROM users WHERE login = $1", login)
    return role


async def department_exists(conn: Queryable, code: str) -> bool:
    """Whether a department with this code exists."""
    return await conn.fetchval("SELECT 1 FROM departments WHERE code = $1", code) is not None
