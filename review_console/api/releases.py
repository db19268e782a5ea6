"""JSON API: releases. A line manager's team (the releases asked of them, and their answer) and every line manager's
release counts (admins and reviewers)."""

from __future__ import annotations

from fastapi import APIRouter

from review_console.api.models.common import EmployeeIdPath, GoalIdPath, ListOf, TaskIdPath
from review_console.api.models.work import (
    MoveStatePublic,
    ReleaseCountsPublic,
    ReleaseIn,
    ReleaseRequestPublic,
    TeamReleases,
)
from review_console.deps import CurrentUser, ReviewerUser, SvcDep
from workflows.usecases import NotFound, moves

router = APIRouter()


@router.get("/me/team/releases", tags=["work"])
async def team_releases(svc: SvcDep, user: CurrentUser) -> TeamReleases:
    """The releases asked of you as a line manager (waiting ones first, then the decided ones) and your counts;
    empty when nobody in your team was asked for (or your login is not an employee)."""
    try:
        rows = await moves.team_releases(svc, user)
        counts = await moves.my_release_counts(svc, user)
    except NotFound:
        return TeamReleases(data=[], count=0, counts=None)
    return TeamReleases(data=[ReleaseRequestPublic.model_validate(r, from_attributes=True) for r in rows],
                        count=len(rows),
                        counts=ReleaseCountsPublic.model_validate(counts, from_attributes=True) if counts else None)


@router.post("/me/team/releases/{goal_id}/{task_id}/{employee_id}", tags=["work"])
async def decide_release(goal_id: GoalIdPath, task_id: TaskIdPath, employee_id: EmployeeIdPath, body: ReleaseIn,
                         svc: SvcDep, user: CurrentUser) -> MoveStatePublic:
    """Release someone of your team for a task they accepted, or refuse (a refusal needs a reason, and HR reviews
    it). 403 when they are not in your team, 409 when no release is waiting (not accepted yet, or answered)."""
    state = await moves.decide_release(svc, user, goal_id=goal_id, task_id=task_id, employee_id=employee_id,
                                       release=body.release, reason=body.reason, via="api")
    return MoveStatePublic(state=state)


@router.get("/admin/releases", tags=["admin"])
async def release_counts(svc: SvcDep, user: ReviewerUser) -> ListOf[ReleaseCountsPublic]:
    """Per line manager, the release requests waiting, released by them, released by their silence, and refused
    (admins and reviewers), most asked first."""
    rows = await moves.release_counts(svc, user)
    return ListOf(data=[ReleaseCountsPublic.model_validate(r, from_attributes=True) for r in rows], count=len(rows))
