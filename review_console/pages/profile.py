"""HTML pages: an employee's own skills profile and the roles they could move to; signal sources (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response

from review_console.deps import AdminUser, CurrentUser, SvcDep, own_employee_id
from review_console.pages.rendering import render
from tools.people import profile
from tools.people.bridges import employee_bridges

router = APIRouter(include_in_schema=False)


@router.get("/me/skills")
async def my_skills_page(request: Request, svc: SvcDep, user: CurrentUser, error: str | None = None) -> Response:
    """Your skills profile page, with the roles you could move to."""
    async with svc.pool.acquire() as conn:
        data = await profile.skills_profile(conn, own_employee_id(user))
        bridges = await employee_bridges(conn, own_employee_id(user))
    return render(request, "my_skills.html", user=user, profile=data, bridges=bridges, error=error)


@router.post("/me/skills")
async def my_skills_form(request: Request, svc: SvcDep, user: CurrentUser, skill: Annotated[str, Form()] = "",
                         verdict: Annotated[str, Form()] = "") -> Response:
    """Feedback from the page's forms."""
    if verdict not in ("confirm", "reject", "add"):
        return await my_skills_page(request, svc, user, error="choose confirm, reject or add")
    async with svc.pool.acquire() as conn:
        try:
            await profile.give_feedback(conn, employee_id=own_employee_id(user), skill=skill,
                                        verdict=verdict, by=user.login)  # type: ignore[arg-type]
        except profile.ProfileError as err:
            return await my_skills_page(request, svc, user, error=str(err))
    return RedirectResponse("/me/skills", status_code=303)


@router.get("/admin/sources")
async def sources_page(request: Request, svc: SvcDep, user: AdminUser) -> Response:
    """Signal sources page."""
    async with svc.pool.acquire() as conn:
        rows = await profile.signal_sources(conn)
    return render(request, "admin_sources.html", user=user, sources=rows)


@router.post("/admin/sources/{source}")
async def sources_form(source: str, svc: SvcDep, user: AdminUser, enabled: Annotated[str, Form()] = "") -> Response:
    """Switch from the page."""
    async with svc.pool.acquire() as conn:
        try:
            await profile.set_source_enabled(conn, source, enabled == "on", by=user.login)
        except profile.ProfileError as err:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from err
    return RedirectResponse("/admin/sources", status_code=303)
