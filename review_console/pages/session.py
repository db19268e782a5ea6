"""HTML pages: sign in, sign out, and the landing page of each role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from review_console.deps import CurrentUser, SvcDep
from review_console.pages.rendering import render
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
    """Check credentials and start a session."""
    user = await usecases.authenticate(svc, login.strip(), password)
    if user is None:
        return render(request, "login.html", status_code=401, next=next, error="Wrong login or password.")
    request.session["login"] = user.login
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session."""
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
