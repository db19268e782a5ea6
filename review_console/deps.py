"""Request dependencies: the services, the signed-in user and role checks (server-side, on every route)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status

from infra.store.goals import Goal
from infra.store.users import User
from workflows import usecases
from workflows.usecases import Services


def get_services(request: Request) -> Services:
    """The app's services (set up in the lifespan)."""
    svc: Services = request.app.state.services
    return svc


SvcDep = Annotated[Services, Depends(get_services)]


class LoginRequired(Exception):
    """An HTML page needs a signed-in user; the app redirects to the login page."""


async def _current_user(request: Request, svc: SvcDep) -> User:
    login = request.session.get("login")
    if login:
        try:
            return await usecases.get_user(svc, login)
        except usecases.NotFound:
            request.session.clear()
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            login, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            login, password = "", ""
        user = await usecases.authenticate(svc, login, password)
        if user is not None:
            return user
    if request.url.path.startswith("/api/"):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "sign in first (POST /api/login or HTTP Basic)",
                            headers={"WWW-Authenticate": "Basic"})
    raise LoginRequired()


CurrentUser = Annotated[User, Depends(_current_user)]


def require_role(*roles: str) -> Callable[..., Coroutine[Any, Any, User]]:
    """Dependency that lets only these roles through (403 otherwise)."""

    async def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"a {user.role} cannot do this; it needs the role {' or '.join(roles)}")
        return user

    return check


ReviewerUser = Annotated[User, Depends(require_role("reviewer", "admin"))]
ManagerUser = Annotated[User, Depends(require_role("manager", "admin"))]
AdminUser = Annotated[User, Depends(require_role("admin"))]


def can_see_goal(user: User, goal: Goal) -> bool:
    """Managers see their own goals; reviewers and admins see all."""
    return user.role in ("reviewer", "admin") or goal.manager_login == user.login


def own_employee_id(user: User) -> str:
    """The signed-in user's employee record (404 when the login has none, so no skills profile)."""
    if not user.employee_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "your login has no employee record, so no skills profile")
    return user.employee_id
