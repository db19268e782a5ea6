"""JSON API: your own work, the tasks you are staffed on, and your answer to a task you are offered."""

from __future__ import annotations

from fastapi import APIRouter

from review_console.api.models.common import GoalIdPath, ListOf, TaskIdPath
from review_console.api.models.work import AnswerIn, MoveStatePublic, MyAssignmentPublic
from review_console.deps import CurrentUser, SvcDep
from workflows import usecases
from workflows.usecases import moves

router = APIRouter(tags=["work"])


@router.get("/me/assignments")
async def my_assignments(svc: SvcDep, user: CurrentUser) -> ListOf[MyAssignmentPublic]:
    """The tasks you are staffed on, earliest first, each with where its move is (404 when your login is not an
    employee)."""
    rows = await usecases.my_assignments(svc, user)
    return ListOf(data=[MyAssignmentPublic.model_validate(r, from_attributes=True) for r in rows], count=len(rows))


@router.post("/me/assignments/{goal_id}/{task_id}/answer")
async def answer_assignment(goal_id: GoalIdPath, task_id: TaskIdPath, body: AnswerIn, svc: SvcDep,
                            user: CurrentUser) -> MoveStatePublic:
    """Accept or decline a task you are offered (a decline needs a reason). Accepting asks your line manager to
    release you; declining tells the goal's manager, and someone else is proposed. 404 when you are not staffed on
    that task, 409 when you answered it already."""
    state = await moves.answer_assignment(svc, user, goal_id=goal_id, task_id=task_id, accept=body.accept,
                                          reason=body.reason, via="api")
    return MoveStatePublic(state=state)
