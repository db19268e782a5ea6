"""JSON API: own skills profiles (see, confirm, reject, add), roles to move to, signal sources (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from review_console.api.models.common import EmployeeIdPath, ListOf, SourcePath
from review_console.api.models.profile import (
    BridgesPublic,
    FeedbackIn,
    SkillsProfilePublic,
    SourceIn,
    SourcePublic,
    SourceSwitched,
)
from review_console.deps import AdminUser, CurrentUser, ReviewerUser, SvcDep, own_employee_id
from tools.people import profile
from tools.people.bridges import UnknownEmployee, employee_bridges

router = APIRouter(tags=["skills"])


@router.get("/me/skills")
async def my_skills(svc: SvcDep, user: CurrentUser) -> SkillsProfilePublic:
    """Your skills with level, confidence, last evidence and the evidence behind each."""
    async with svc.pool.acquire() as conn:
        return SkillsProfilePublic.model_validate(await profile.skills_profile(conn, own_employee_id(user)),
                                                  from_attributes=True)


@router.post("/me/skills/feedback")
async def my_skill_feedback(body: FeedbackIn, svc: SvcDep, user: CurrentUser) -> SkillsProfilePublic:
    """Confirm, reject or add a skill of your own profile (audited; it changes confidence)."""
    async with svc.pool.acquire() as conn:
        try:
            await profile.give_feedback(conn, employee_id=own_employee_id(user), skill=body.skill,
                                        verdict=body.verdict, by=user.login)
        except profile.ProfileError as err:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err
        return SkillsProfilePublic.model_validate(await profile.skills_profile(conn, own_employee_id(user)),
                                                  from_attributes=True)


TopOpt = Annotated[int, Query(ge=1, le=20, description="How many nearest occupations (aspired ones come on top).")]


@router.get("/me/bridges")
async def my_bridges(svc: SvcDep, user: CurrentUser, top: TopOpt = 5) -> BridgesPublic:
    """Occupations you could move to: score, what of yours transfers, the gap to close; your aspirations marked."""
    employee_id = own_employee_id(user)
    async with svc.pool.acquire() as conn:
        result = await employee_bridges(conn, employee_id, top=top)
    return BridgesPublic.model_validate(result, from_attributes=True)


@router.get("/employees/{employee_id}/bridges", tags=["employees"])
async def bridges_of(employee_id: EmployeeIdPath, svc: SvcDep, _: ReviewerUser, top: TopOpt = 5) -> BridgesPublic:
    """An employee's bridges (reviewers and admins): the occupations they could move to, with the gap to close."""
    async with svc.pool.acquire() as conn:
        try:
            result = await employee_bridges(conn, employee_id, top=top)
        except UnknownEmployee as err:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from err
    return BridgesPublic.model_validate(result, from_attributes=True)


@router.get("/admin/sources", tags=["admin"])
async def sources(svc: SvcDep, _: AdminUser) -> ListOf[SourcePublic]:
    """Signal sources, whether they count, and how much evidence each holds."""
    async with svc.pool.acquire() as conn:
        rows = await profile.signal_sources(conn)
    return ListOf(data=[SourcePublic.model_validate(r, from_attributes=True) for r in rows], count=len(rows))


@router.put("/admin/sources/{source}", tags=["admin"])
async def switch_source(source: SourcePath, body: SourceIn, svc: SvcDep, user: AdminUser) -> SourceSwitched:
    """Switch a source on or off; every profile it touches is recomputed."""
    async with svc.pool.acquire() as conn:
        try:
            touched = await profile.set_source_enabled(conn, source, body.enabled, by=user.login)
        except profile.ProfileError as err:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from err
    return SourceSwitched(source=source, enabled=body.enabled, profiles_recomputed=touched)
