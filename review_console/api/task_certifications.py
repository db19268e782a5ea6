"""JSON API: the certifications a goal's task needs. Reviewers and admins add one (with why) or remove one; the
plan's grounding sets the others when the plan is stored. The staffing proposal made after a change takes it into
account: each candidate's standing over the task's weeks, and a flag when the person proposed does not hold it."""

from __future__ import annotations

from fastapi import APIRouter, status

from review_console.api.models.common import GoalIdPath, TaskIdPath
from review_console.api.models.task_certifications import (
    CertificationTypePath,
    TaskCertificationIn,
    TaskCertificationPublic,
)
from review_console.deps import ReviewerUser, SvcDep
from workflows.usecases import task_certifications

router = APIRouter(tags=["goals"])


@router.post("/goals/{goal_id}/tasks/{task_id}/certifications", status_code=status.HTTP_201_CREATED)
async def require_task_certification(goal_id: GoalIdPath, task_id: TaskIdPath, body: TaskCertificationIn,
                                     svc: SvcDep, user: ReviewerUser) -> TaskCertificationPublic:
    """Make the task need a certification type, with why (reviewers and admins; audited). A requirement the plan's
    grounding set becomes yours, with your reason. 404 when there is no such goal or task, 422 for a type that does
    not exist (or is retired) or a reason shorter than 3 or longer than 500 characters, 409 when a reviewer
    already requires it."""
    found = await task_certifications.require_certification(
        svc, user, goal_id=goal_id, task_id=task_id, type_id=body.type_id, reason=body.reason, via="api")
    return TaskCertificationPublic.model_validate(found.model_dump())


@router.delete("/goals/{goal_id}/tasks/{task_id}/certifications/{type_id}")
async def remove_task_certification(goal_id: GoalIdPath, task_id: TaskIdPath, type_id: CertificationTypePath,
                                    svc: SvcDep, user: ReviewerUser) -> TaskCertificationPublic:
    """Take a required certification off the task (reviewers and admins; audited): the one removed. A later plan
    edit does not bring back a requirement the grounding had set. 404 when there is no such goal or task, or the
    task does not need that type."""
    removed = await task_certifications.remove_certification(
        svc, user, goal_id=goal_id, task_id=task_id, type_id=type_id, via="api")
    return TaskCertificationPublic.model_validate(removed.model_dump())
