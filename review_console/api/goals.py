"""JSON API: goals (submit, list, read, try again), a goal's audit trail and its people's onboarding."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from infra.store.users import User
from review_console.api.models.audit import GoalAuditEventPublic
from review_console.api.models.common import GoalIdPath, ListOf
from review_console.api.models.goals import (
    GoalCreate,
    GoalCreated,
    GoalPublic,
    GoalResubmitted,
    GoalRetried,
    GoalRevision,
    GoalSummary,
)
from review_console.api.models.onboarding import OnboardingRecordPublic
from review_console.deps import CurrentUser, ManagerUser, SvcDep, can_see_goal
from workflows import usecases
from workflows.usecases import onboarding

router = APIRouter()


@router.post("/goals", status_code=status.HTTP_201_CREATED, tags=["goals"])
async def create_goal(body: GoalCreate, svc: SvcDep, user: ManagerUser) -> GoalCreated:
    """Submit a goal; a manager submits for themself, an admin names the manager."""
    manager = body.manager_login or user.login
    if user.role == "manager" and manager != user.login:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "managers submit goals for themselves only")
    if user.role == "admin" and body.manager_login is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "admins must name manager_login")
    goal_id = await usecases.submit_goal(svc, text=body.text, manager_login=manager, submitted_by=user.login)
    return GoalCreated(goal_id=goal_id, status="submitted")


@router.get("/goals", tags=["goals"])
async def goals(svc: SvcDep, user: CurrentUser) -> ListOf[GoalSummary]:
    """Goals you can see: your own as a manager, all as a reviewer or admin."""
    if user.role not in ("manager", "reviewer", "admin"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "goals are for managers, reviewers and admins")
    rows = await usecases.list_goals(svc, manager_login=user.login if user.role == "manager" else None)
    return ListOf(data=[GoalSummary.model_validate(r, from_attributes=True) for r in rows], count=len(rows))


async def _visible_goal(svc: usecases.Services, user: User, goal_id: str) -> usecases.GoalDetail:
    goal = await usecases.get_goal(svc, goal_id)
    if not can_see_goal(user, goal):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no goal {goal_id!r}")
    return goal


@router.get("/goals/{goal_id}", tags=["goals"])
async def goal(goal_id: GoalIdPath, svc: SvcDep, user: CurrentUser) -> GoalPublic:
    """A goal with its tasks, latest review and assignments."""
    return GoalPublic.model_validate(await _visible_goal(svc, user, goal_id), from_attributes=True)


@router.post("/goals/{goal_id}/retry", status_code=status.HTTP_202_ACCEPTED, tags=["goals"])
async def retry_goal(goal_id: GoalIdPath, svc: SvcDep, user: CurrentUser) -> GoalRetried:
    """Try a failed goal again (its manager, its submitter or an admin), once what failed it is fixed."""
    starts_from = await usecases.retry_goal(svc, goal_id, user=user)
    return GoalRetried(goal_id=goal_id, status="submitted", starts_from=starts_from)


@router.post("/goals/{goal_id}/resubmit", status_code=status.HTTP_201_CREATED, tags=["goals"])
async def resubmit_goal(goal_id: GoalIdPath, body: GoalRevision, svc: SvcDep, user: CurrentUser) -> GoalResubmitted:
    """Submit a rejected goal again with a revised text, as a new goal that points back at it (its manager, its
    submitter or an admin; once per rejected goal). 409 when the goal is not rejected or was revised already, 422
    when the revised text cannot be planned."""
    await _visible_goal(svc, user, goal_id)
    new_id = await usecases.resubmit_goal(svc, goal_id=goal_id, text=body.text, by=user)
    return GoalResubmitted(goal_id=new_id)


@router.get("/goals/{goal_id}/audit", tags=["audit"])
async def goal_audit(goal_id: GoalIdPath, svc: SvcDep, user: CurrentUser) -> ListOf[GoalAuditEventPublic]:
    """The goal's audit events, in order."""
    await _visible_goal(svc, user, goal_id)
    rows = await usecases.audit_for_goal(svc, goal_id)
    return ListOf(data=[GoalAuditEventPublic.model_validate(r, from_attributes=True) for r in rows], count=len(rows))


@router.get("/goals/{goal_id}/onboarding", tags=["onboarding"])
async def goal_onboarding(goal_id: GoalIdPath, svc: SvcDep, user: CurrentUser) -> ListOf[OnboardingRecordPublic]:
    """The onboarding plans of the goal's people (who sees the goal sees them): where each is, the buddy, the
    skills it closes, its start, the time to productivity once marked, why it ended."""
    await _visible_goal(svc, user, goal_id)
    rows = await onboarding.onboarding_of_goal(svc, goal_id)
    return ListOf(data=[OnboardingRecordPublic.model_validate(r, from_attributes=True) for r in rows],
                  count=len(rows))
