"""JSON API: onboarding after a move. The plans you have a part in (as the person moving, their buddy, their line
manager or the goal's manager), ticking off an item of yours, and the goal's manager marking the person
productive."""

from __future__ import annotations

from fastapi import APIRouter

from review_console.api.models.common import EmployeeIdPath, GoalIdPath, ItemIdPath, ListOf, TaskIdPath
from review_console.api.models.onboarding import MarkedProductive, OnboardingPlanPublic, Ticked, TickIn
from review_console.deps import CurrentUser, SvcDep
from workflows.usecases import onboarding

router = APIRouter(tags=["onboarding"])


@router.get("/me/onboarding")
async def my_onboarding(svc: SvcDep, user: CurrentUser) -> ListOf[OnboardingPlanPublic]:
    """The running and finished onboarding plans you have a part in, newest first, each with its items: whose
    each is (``yours``), when it is due, whether it is done and which items it waits for."""
    views = await onboarding.my_onboarding(svc, user)
    return ListOf(data=[OnboardingPlanPublic.model_validate(v, from_attributes=True) for v in views],
                  count=len(views))


@router.post("/me/onboarding/{goal_id}/{task_id}/{employee_id}/items/{item_id}")
async def tick_item(goal_id: GoalIdPath, task_id: TaskIdPath, employee_id: EmployeeIdPath, item_id: ItemIdPath,
                    body: TickIn, svc: SvcDep, user: CurrentUser) -> Ticked:
    """Tick off an item of yours (a check-in with its outcome). 404 when there is no such plan or item, 403 when
    the item is not yours, 409 when the plan is not running, the item is done already or it waits for another item,
    422 for an outcome on an item that is not a check-in or a note that is too long."""
    done = await onboarding.tick_item(svc, user, goal_id=goal_id, task_id=task_id, employee_id=employee_id,
                                      item_id=item_id, outcome=body.outcome, note=body.note, via="api")
    return Ticked(done=done)


@router.post("/me/onboarding/{goal_id}/{task_id}/{employee_id}/productive")
async def mark_productive(goal_id: GoalIdPath, task_id: TaskIdPath, employee_id: EmployeeIdPath, svc: SvcDep,
                          user: CurrentUser) -> MarkedProductive:
    """Mark the person productive on the task today (the goal's manager only): their time to productivity is the
    days since the plan started. 404 when there is no such plan, 403 for anyone else, 409 when the plan is not
    running or they were marked already."""
    await onboarding.mark_productive(svc, user, goal_id=goal_id, task_id=task_id, employee_id=employee_id,
                                     via="api")
    return MarkedProductive(productive=True)
