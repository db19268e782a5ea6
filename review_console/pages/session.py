"""HTML pages: sign in, sign out, and the landing page of each role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from review_console.deps import CurrentUser, SvcDep
from review_console.pages.rendering import render
from review_console.security import (
    CSRF_HEADER,
    SESSION_COOKIE,
    clear_session_cookie,
    client_address,
    set_session_cookie,
)
from workflows import usecases

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(user: CurrentUser) -> Response:
    """Managers land on their goals, reviewers on the queue."""
    landing = {"reviewer": "/reviews", "employee": "/me/skills"}.get(user.role, "/goals")
    return RedirectResponse(landing, status_code=303)


@router.get("/login")
async def login_page(request: Request, next: str = "/") -> Response:
    """Sign-in form."""
    return render(request, "login.html", next=next, error=None)


@router.post("/login")
async def login_submit(request: Request, svc: SvcDep, login: Annotated[str, Form()],
                       password: Annotated[str, Form()], next: Annotated[str, Form()] = "/") -> Response:
    """Check credentials and start a new session (the browser's previous one, if any, ends)."""
    try:
        signed = await usecases.sign_in(svc, login.strip(), password, address=client_address(request),
                                        user_agent=request.headers.get("user-agent"),
                                        replacing=request.cookies.get(SESSION_COOKIE), via="form")
    except (usecases.Throttled, usecases.Busy) as refused:
        page = render(request, "login.html", status_code=refused.status, next=next, error=refused.message)
        page.headers["Retry-After"] = str(refused.retry_after)
        return page
    if signed is None:
        return render(request, "login.html", status_code=401, next=next, error="Wrong login or password.")
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, svc.settings, signed.token)
    response.headers[CSRF_HEADER] = signed.csrf_token
    return response


@router.post("/logout")
async def logout(request: Request, svc: SvcDep) -> Response:
    """End the session (its cookie no longer works anywhere)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await usecases.sign_out(svc, token)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, request, svc.settings)
    return response
