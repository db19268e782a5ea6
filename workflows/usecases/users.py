"""Users: look one up, list them, add one (argon2-hashed password, audited); signing in is in sessions.py."""

from __future__ import annotations

from argon2 import PasswordHasher

from infra import audit
from infra.store import employees, users
from infra.store.users import ROLES, User
from infra.telemetry import current_trace_id
from workflows.usecases.context import Services
from workflows.usecases.errors import Conflict, Invalid, NotFound

_hasher = PasswordHasher()


async def get_user(svc: Services, login: str) -> User:
    """A user by login.

    Raises:
        NotFound: No such login.
    """
    user = await users.get(svc.pool, login)
    if user is None:
        raise NotFound(f"unknown user {login!r}")
    return user


async def list_users(svc: Services, role: str | None = None) -> list[User]:
    """Users by role then login, optionally of one role."""
    return await users.list_users(svc.pool, role)


async def create_user(svc: Services, *, login: str, display_name: str, role: str, password: str, by: str,
                      employee_id: str | None = None, department: str | None = None) -> User:
    """Add a user (argon2-hashed password) and audit who added them.

    Raises:
        Invalid: Bad login, role, password, unknown employee or department.
        Conflict: The login is taken.
    """
    login = login.strip()
    if not login or len(login) > 60 or any(c.isspace() for c in login):
        raise Invalid("a login is 1-60 characters without spaces")
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if len(password) < 12:
        raise Invalid("a password needs at least 12 characters")
    user = User.model_validate({"login": login, "display_name": display_name.strip() or login, "role": role,
                                "employee_id": employee_id, "department": department})
    async with svc.pool.acquire() as conn, conn.transaction():
        if employee_id and not await employees.existing(conn, [employee_id]):
            raise Invalid(f"unknown employee {employee_id!r}")
        if department and not await users.department_exists(conn, department):
            raise Invalid(f"unknown department {department!r}")
        if not await users.insert(conn, user, password_hash=_hasher.hash(password)):
            raise Conflict(f"the login {login!r} is taken")
        await audit.append(conn, audit.AuditEvent(
            actor_type="human", actor=by, action="user.created", args_hash=audit.args_hash(user.model_dump()),
            payload={"login": login, "role": role, "employee_id": employee_id, "department": department},
            trace_id=current_trace_id()))
    return user
