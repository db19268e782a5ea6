"""HTML forms on a goal's page for reviewers: a task needs a certification (add one, with why), or no longer does
(remove one, the grounding's or a reviewer's). Errors come back next to the field with the input kept."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from review_console.deps import ReviewerUser, SvcDep
from review_console.pages.goals import CertificationForm, goal_for, render_goal
from workflows import usecases
from workflows.usecases import task_certifications

router = APIRouter(include_in_schema=False)


@router.post("/goals/{goal_id}/certifications")
async def require_certification(request: Request, goal_id: str, svc: SvcDep, user: ReviewerUser) -> Response:
    """A reviewer says a task needs a certification type, and why."""
    goal = await goal_for(svc, user, goal_id)
    form = await request.form()
    typed = CertificationForm(task_id=str(form.get("task_id") or ""), type_id=str(form.get("type_id") or ""),
                              reason=str(form.get("reason") or ""))
    if not typed.task_id:
        typed.errors["task_id"] = "choose the task"
    if not typed.type_id:
        typed.errors["type_id"] = "choose the certification it needs"
    if not typed.reason.strip():
        typed.errors["reason"] = "say why the task needs it"
    status_code = 422
    if not typed.errors:
        try:
            await task_certifications.require_certification(
                svc, user, goal_id=goal_id, task_id=typed.task_id, type_id=typed.type_id, reason=typed.reason)
        except usecases.ServiceError as err:
            field = ("reason" if "why" in err.message else "type_id" if "type" in err.message
                     else "task_id" if isinstance(err, usecases.NotFound) else "form")
            typed.errors[field] = err.message
            status_code = err.status
    if typed.errors:
        return await render_goal(request, svc, user, goal, status_code=status_code, cert_form=typed)
    return RedirectResponse(f"/goals/{goal_id}#goal-certifications", status_code=303)


@router.post("/goals/{goal_id}/certifications/remove")
async def remove_certification(request: Request, goal_id: str, svc: SvcDep, user: ReviewerUser) -> Response:
    """A reviewer takes a requirement off a task (a later re-grounding does not put it back)."""
    goal = await goal_for(svc, user, goal_id)
    form = await request.form()
    task_id, type_id = str(form.get("task_id") or ""), str(form.get("type_id") or "")
    try:
        if not task_id or not type_id:
            raise usecases.Invalid("choose the requirement to remove")
        await task_certifications.remove_certification(svc, user, goal_id=goal_id, task_id=task_id,
                                                       type_id=type_id)
    except usecases.ServiceError as err:
        return await render_goal(request, svc, user, goal, status_code=err.status,
                                  cert_form=CertificationForm(errors={"form": err.message}))
    return RedirectResponse(f"/goals/{goal_id}#goal-certifications", status_code=303)
