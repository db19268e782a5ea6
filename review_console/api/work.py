"""JSON API: your own work, the tasks you are staffed on."""

from __future__ import annotations

from fastapi import APIRouter

from infra.store.assignments import PersonAssignment
from review_console.api.models.common import ListOf
from review_console.deps import CurrentUser, SvcDep
from workflows import usecases

router = APIRouter(tags=["work"])


class MyAssignmentPublic(PersonAssignment):
    """A task you are staffed on: the goal, the task, your time share, the dates and why you."""


@router.get("/me/assignments")
async def my_assignments(svc: SvcDep, user: CurrentUser) -> ListOf[MyAssignmentPublic]:
    """The tasks you are staffed on, earliest first (404 when your login is not an employee)."""
    rows = await usecases.my_assignments(svc, user)
    return ListOf(data=[MyAssignmentPublic.model_validate(r, from_attributes=True) for r in rows], count=len(rows))
