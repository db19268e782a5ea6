"""Request dependencies: the services, the signed-in user and role checks (server-side, on every route)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from fastapi import Depends, HTTPException, Request, status

from workflows.usecases import Services

_hasher = PasswordHasher()


def get_services(request: Request) -> Services:
    """The app's services (set up in the lifespan)."""
    svc: Services = request.app.state.services
    return svc


SvcDep = Annotated[Services, Depends(get_services)]


async def authenticate(svc: Services, login: str, password: str) -> dict[str, Any] | None:
    """The user when the password matches, else None."""
    row = await svc.pool.fetchrow(
        "SELECT login, display_name, role, employee_id, department, password_hash FROM users WHERE login = $1", login)
    if row is None:
        await asyncio.to_thread(_hasher.hash, password)  # same work whether or not the login exists
        return None
    try:
        await asyncio.to_thread(_hasher.verify, row["password_hash"], password)
    except (VerifyMismatchError, InvalidHashError):
        return None
    user = dict(row)
    user.pop("password_hash")
    return user


class LoginRequired(Exception):
    """An HTML page needs a signed-in user; the app redirects to the login page."""


async def _current_user(request: Request, svc: SvcDep) -> dict[str, Any]:
    login = request.session.get("login")
    if login:
        row = await svc.pool.fetchrow(
            "SELECT login, display_name, role, employee_id, department FROM users WHERE login = $1", login)
        if row is not None:
            return dict(row)
        request.session.clear()
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            login, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            login, password = "", ""
        user = await authenticate(svc, login, password)
        if user is not None:
            return user
    if request.url.path.startswith("/api/"):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "sign in first (POST /api/login or HTTP Basic)",
                            headers={"WWW-Authenticate": "Basic"})
    raise LoginRequired()


CurrentUser = Annotated[dict[str, Any], Depends(_current_user)]


def require_role(*roles: str) -> Callable[..., Coroutine[Any, Any, dict[str, Any]]]:
    """Dependency that lets only these roles through (403 otherwise)."""

    async def check(user: CurrentUser) -> dict[str, Any]:
        if user["role"] not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"a {user['role']} cannot do this; it needs the role {' or '.join(roles)}")
        return user

    return check


ReviewerUser = Annotated[dict[str, Any], Depends(require_role("reviewer", "admin"))]
ManagerUser = Annotated[dict[str, Any], Depends(require_role("manager", "admin"))]
AdminUser = Annotated[dict[str, Any], Depends(require_role("admin"))]


def can_see_goal(user: dict[str, Any], goal: dict[str, Any]) -> bool:
    """Managers see their own goals; reviewers and admins see all."""
    return user["role"] in ("reviewer", "admin") or goal["manager_login"] == user["login"]


def own_employee_id(user: dict[str, Any]) -> str:
    """The signed-in user's employee record (404 when the login has none, so no skills profile)."""
    if not user["employee_id"]:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "your login has no employee record, so no skills profile")
    return str(user["employee_id"])
