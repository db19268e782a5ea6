"""Employees' own skills profiles (see, confirm, reject, add), the roles they could move to, and signal sources."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, HTTPException, Query, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from review_console.deps import AdminUser, CurrentUser, ReviewerUser, SvcDep
from review_console.pages import render
from tools.people import profile
from tools.people.bridges import UnknownEmployee, employee_bridges

api = APIRouter(prefix="/api", tags=["skills"])
pages = APIRouter(include_in_schema=False)


class FeedbackIn(BaseModel):
    """Feedback on one skill of your own profile."""

    skill: str = Field(min_length=1, max_length=120)
    """The skill."""
    verdict: Literal["confirm", "reject", "add"]
    """confirm or reject an inferred skill, or add one."""


class SourceIn(BaseModel):
    """Switch a signal source."""

    enabled: bool
    """Whether its evidence counts."""


def _employee_id(user: dict[str, Any]) -> str:
    if not user["employee_id"]:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "your login has no employee record, so no skills profile")
    return str(user["employee_id"])


@api.get("/me/skills")
async def my_skills(svc: SvcDep, user: CurrentUser) -> Any:
    """Your skills with level, confidence, last evidence and the evidence behind each."""
    async with svc.pool.acquire() as conn:
        return jsonable_encoder(await profile.skills_profile(conn, _employee_id(user)))


@api.post("/me/skills/feedback")
async def my_skill_feedback(body: FeedbackIn, svc: SvcDep, user: CurrentUser) -> Any:
    """Confirm, reject or add a skill of your own profile (audited; it changes confidence)."""
    async with svc.pool.acquire() as conn:
        try:
            await profile.give_feedback(conn, employee_id=_employee_id(user), skill=body.skill,
                                        verdict=body.verdict, by=user["login"])
        except profile.ProfileError as err:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err
        return jsonable_encoder(await profile.skills_profile(conn, _employee_id(user)))


TopOpt = Annotated[int, Query(ge=1, le=20, description="How many nearest occupations (aspired ones come on top).")]


@api.get("/me/bridges")
async def my_bridges(svc: SvcDep, user: CurrentUser, top: TopOpt = 5) -> Any:
    """Occupations you could move to: score, what of yours transfers, the gap to close; your aspirations marked."""
    employee_id = _employee_id(user)
    async with svc.pool.acquire() as conn:
        result = await employee_bridges(conn, employee_id, top=top)
    return jsonable_encoder(result.to_dict())


@api.get("/employees/{employee_id}/bridges", tags=["employees"])
async def bridges_of(employee_id: str, svc: SvcDep, _: ReviewerUser, top: TopOpt = 5) -> Any:
    """An employee's bridges (reviewers and admins): the occupations they could move to, with the gap to close."""
    async with svc.pool.acquire() as conn:
        try:
            result = await employee_bridges(conn, employee_id, top=top)
        except UnknownEmployee as err:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from err
    return jsonable_encoder(result.to_dict())


@api.get("/admin/sources", tags=["admin"])
async def sources(svc: SvcDep, _: AdminUser) -> Any:
    """Signal sources, whether they count, and how much evidence each holds."""
    async with svc.pool.acquire() as conn:
        rows = await profile.signal_sources(conn)
    return jsonable_encoder({"data": rows, "count": len(rows)})


@api.put("/admin/sources/{source}", tags=["admin"])
async def switch_source(source: str, body: SourceIn, svc: SvcDep, user: AdminUser) -> Any:
    """Switch a source on or off; every profile it touches is recomputed."""
    async with svc.pool.acquire() as conn:
        try:
            touched = await profile.set_source_enabled(conn, source, body.enabled, by=user["login"])
        except profile.ProfileError as err:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from err
    return {"source": source, "enabled": body.enabled, "profiles_recomputed": touched}


@pages.get("/me/skills")
async def my_skills_page(request: Request, svc: SvcDep, user: CurrentUser, error: str | None = None) -> Response:
    """Your skills profile page, with the roles you could move to."""
    async with svc.pool.acquire() as conn:
        data = await profile.skills_profile(conn, _employee_id(user))
        bridges = await employee_bridges(conn, _employee_id(user))
    return render(request, "my_skills.html", user=user, profile=data, bridges=bridges, error=error)


@pages.post("/me/skills")
async def my_skills_form(request: Request, svc: SvcDep, user: CurrentUser, skill: Annotated[str, Form()] = "",
                         verdict: Annotated[str, Form()] = "") -> Response:
    """Feedback from the page's forms."""
    if verdict not in ("confirm", "reject", "add"):
        return await my_skills_page(request, svc, user, error="choose confirm, reject or add")
    async with svc.pool.acquire() as conn:
        try:
            await profile.give_feedback(conn, employee_id=_employee_id(user), skill=skill,
                                        verdict=verdict, by=user["login"])  # type: ignore[arg-type]
        except profile.ProfileError as err:
            return await my_skills_page(request, svc, user, error=str(err))
    return RedirectResponse("/me/skills", status_code=303)


@pages.get("/admin/sources")
async def sources_page(request: Request, svc: SvcDep, user: AdminUser) -> Response:
    """Signal sources page."""
    async with svc.pool.acquire() as conn:
        rows = await profile.signal_sources(conn)
    return render(request, "admin_sources.html", user=user, sources=rows)


@pages.post("/admin/sources/{source}")
async def sources_form(source: str, svc: SvcDep, user: AdminUser, enabled: Annotated[str, Form()] = "") -> Response:
    """Switch from the page."""
    async with svc.pool.acquire() as conn:
        try:
            await profile.set_source_enabled(conn, source, enabled == "on", by=user["login"])
        except profile.ProfileError as err:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from err
    return RedirectResponse("/admin/sources", status_code=303)
