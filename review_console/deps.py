"""Request dependencies: the services, the session, the CSRF guard, the signed-in user and role checks (server-side,
on every route).

Who is signed in: the session cookie (server-side sessions, ``workflows.usecases.sessions``); on ``/api`` routes a
request without a session cookie may instead send HTTP Basic credentials (for scripts). HTML routes never accept
Basic, and no answer carries a ``WWW-Authenticate`` challenge, so a browser never remembers Basic credentials.

CSRF: every state-changing request from another origin is refused (``security.is_same_origin``); HTML routes also
need the session's CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``) whenever a session is in force.
API calls with a JSON body need no token (a foreign Origin is refused, and no browser form sends JSON); the one API
call that takes a file upload (a form body a browser could send from another site) needs the ``X-CSRF-Token`` header
whenever a session is in force (``api_form_guard``).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status

from infra.store.goals import Goal
from infra.store.users import User
from review_console.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SAFE_METHODS,
    SESSION_COOKIE,
    client_address,
    is_same_origin,
)
from workflows import usecases
from workflows.usecases import CurrentSession, Services

FOREIGN_ORIGIN = ("This request came from another site, so it was refused: use the console's own pages "
                  "(open the console and try again).")
STALE_FORM = ("This form did not carry your session's security token (it may be from before you signed in again), "
              "so it was refused: reload the page and try again.")


def get_services(request: Request) -> Services:
    """The app's services (set up in the lifespan)."""
    svc: Services = request.app.state.services
    return svc


SvcDep = Annotated[Services, Depends(get_services)]


class LoginRequired(Exception):
    """An HTML page needs a signed-in user; the app redirects to the login page."""


async def _session(request: Request, svc: SvcDep) -> CurrentSession | None:
    """The live session of the request's cookie, if any (also kept in ``request.state.session`` for pages)."""
    token = request.cookies.get(SESSION_COOKIE)
    found = await usecases.current_session(svc, token) if token else None
    request.state.session = found
    return found


SessionDep = Annotated[CurrentSession | None, Depends(_session)]


def is_api(request: Request) -> bool:
    """Whether the request is for the JSON API."""
    return request.url.path.startswith("/api/")


async def csrf_guard(request: Request, svc: SvcDep, session: SessionDep) -> None:
    """Refuse a state-changing request from another origin, or an HTML one without the session's CSRF token (403).

    The sign-in form needs no token (it makes a new session; its origin is still checked).
    """
    if request.method in SAFE_METHODS:
        return
    if not is_same_origin(request, svc.settings):
        raise HTTPException(status.HTTP_403_FORBIDDEN, FOREIGN_ORIGIN)
    if is_api(request) or session is None or request.url.path == "/login":
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        field = (await request.form()).get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    if sent is None or not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, STALE_FORM)


API_FORM_WITHOUT_TOKEN = ("An upload to the API with a session cookie needs the session's CSRF token in the "
                          "X-CSRF-Token header (POST /api/login answers with it), or HTTP Basic credentials "
                          "without the cookie.")


async def api_form_guard(request: Request, session: SessionDep) -> None:
    """For an ``/api`` route that takes a form body (a file upload): with a session in force, the session's CSRF
    token must come in the ``X-CSRF-Token`` header (403), as a form from another site cannot send a header."""
    if session is None:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None or not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, API_FORM_WITHOUT_TOKEN)


def _basic_credentials(header: str) -> tuple[str, str] | None:
    if not header.lower().startswith("basic "):
        return None
    try:
        login, sep, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except (ValueError, binascii.Error):
        return None
    return (login, password) if sep else None


async def _current_user(request: Request, svc: SvcDep, session: SessionDep) -> User:
    if session is not None:
        return session.user
    if is_api(request):
        credentials = None
        if SESSION_COOKIE not in request.cookies:
            credentials = _basic_credentials(request.headers.get("authorization", ""))
        if credentials is not None:
            user = await usecases.check_password(svc, *credentials, address=client_address(request), via="basic")
            if user is not None:
                return user
        raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                            "sign in first (POST /api/login, or HTTP Basic credentials on /api without a cookie)")
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
