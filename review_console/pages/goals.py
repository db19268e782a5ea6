"""HTML pages: goals (list and the form to write one), a goal with its live status and the certifications its tasks
need, trying it again, revising a rejected one, its audit trail."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response

from infra.store.users import User
from review_console.deps import CurrentUser, ManagerUser, SvcDep, can_see_goal
from review_console.pages.rendering import render
from workflows import usecases
from workflows.usecases import onboarding, task_certifications
from workflows.usecases.certifications import certification_types

router = APIRouter(include_in_schema=False)


@dataclass(kw_only=True)
class CertificationForm:
    """A reviewer's "this task needs a certification" form as typed, with what is wrong next to each field."""

    task_id: str = ""
    """The task chosen."""
    type_id: str = ""
    """The certification type chosen."""
    reason: str = ""
    """Why the task needs it."""
    errors: dict[str, str] = field(default_factory=dict)
    """Field → what is wrong with it (``form`` for the whole)."""
FINAL_STATUSES = frozenset({"staffed", "rejected", "failed"})


@router.get("/goals")
async def goals_page(request: Request, svc: SvcDep, user: CurrentUser) -> Response:
    """Goals you can see, and the form to write a new one (managers)."""
    if user.role not in ("manager", "reviewer", "admin"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "goals are for managers, reviewers and admins")
    rows = await usecases.list_goals(svc, manager_login=user.login if user.role == "manager" else None)
    return render(request, "goals.html", user=user, goals=rows, error=None, text="")


@router.post("/goals")
async def goals_submit(request: Request, svc: SvcDep, user: ManagerUser, text: Annotated[str, Form()] = "") -> Response:
    """Submit a goal from the form."""
    if user.role != "manager":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "submit goals as the manager they are for (or use the API)")
    try:
        goal_id = await usecases.submit_goal(svc, text=text, manager_login=user.login, submitted_by=user.login)
    except usecases.Invalid as err:
        rows = await usecases.list_goals(svc, manager_login=user.login)
        return render(request, "goals.html", status_code=422, user=user, goals=rows, error=err.message, text=text)
    return RedirectResponse(f"/goals/{goal_id}", status_code=303)


async def goal_for(svc: usecases.Services, user: User, goal_id: str) -> usecases.GoalDetail:
    """The goal, when ``user`` may see it (404 otherwise: its existence is not told)."""
    goal = await usecases.get_goal(svc, goal_id)
    if not can_see_goal(user, goal):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no goal {goal_id!r}")
    return goal


def may_resubmit(user: User, goal: usecases.GoalDetail) -> bool:
    """Whether ``user`` may revise the rejected goal and submit it again (its manager, its submitter or an admin;
    once: a goal revised already is not revised again)."""
    return (goal.status == "rejected" and goal.revised_as is None
            and (user.login in (goal.manager_login, goal.submitted_by) or user.role == "admin"))


async def render_goal(request: Request, svc: usecases.Services, user: User, goal: usecases.GoalDetail,
                       template: str = "goal.html", *, status_code: int = 200, retry_error: str | None = None,
                       resubmit_error: str | None = None, resubmit_text: str | None = None,
                       cert_form: CertificationForm | None = None) -> Response:
    """The goal page (or its live part), with what the reviewer typed into a form that came back with errors."""
    plans = await onboarding.onboarding_of_goal(svc, goal.goal_id) if goal.assignments else []
    # the live part (polled every second) leaves certifications out: their card polls on its own, more slowly
    certs = await task_certifications.goal_certifications(svc, goal.goal_id) if template == "goal.html" else None
    return render(request, template, status_code=status_code, user=user, goal=goal, onboarding_plans=plans,
                  final=goal.status in FINAL_STATUSES, may_retry=usecases.may_retry(user, goal),
                  retry_error=retry_error, may_resubmit=may_resubmit(user, goal), resubmit_error=resubmit_error,
                  resubmit_text=resubmit_text, certs=certs, cert_form=cert_form or CertificationForm(),
                  cert_types=await certification_types(svc) if user.role in ("reviewer", "admin") else [])


@router.get("/goals/{goal_id}")
async def goal_page(request: Request, goal_id: str, svc: SvcDep, user: CurrentUser) -> Response:
    """A goal: status (live), tasks, assignments and where each move stands, each person's onboarding; a rejected
    goal can be revised."""
    return await render_goal(request, svc, user, await goal_for(svc, user, goal_id))


@router.post("/goals/{goal_id}/retry")
async def goal_retry(request: Request, goal_id: str, svc: SvcDep, user: CurrentUser) -> Response:
    """Try a failed goal again (once its model is fixed); errors show next to the button."""
    try:
        await usecases.retry_goal(svc, goal_id, user=user)
    except usecases.ServiceError as err:
        goal = await goal_for(svc, user, goal_id)
        return await render_goal(request, svc, user, goal, status_code=err.status, retry_error=err.message)
    return RedirectResponse(f"/goals/{goal_id}", status_code=303)


@router.post("/goals/{goal_id}/resubmit")
async def goal_resubmit(request: Request, goal_id: str, svc: SvcDep, user: CurrentUser,
                        text: Annotated[str, Form()] = "") -> Response:
    """Submit a rejected goal again with its text revised, as a new goal (then its page). A text the planner cannot
    take, or a goal that cannot be revised (any more), comes back as the goal's page with the error next to the text
    and the text as typed; somebody who may not revise it gets the error page."""
    await goal_for(svc, user, goal_id)
    try:
        new_id = await usecases.resubmit_goal(svc, goal_id=goal_id, text=text, by=user)
    except (usecases.Invalid, usecases.Conflict) as err:
        goal = await goal_for(svc, user, goal_id)
        return await render_goal(request, svc, user, goal, status_code=err.status, resubmit_error=err.message,
                                  resubmit_text=text)
    return RedirectResponse(f"/goals/{new_id}", status_code=303)


@router.get("/goals/{goal_id}/live")
async def goal_live(request: Request, goal_id: str, svc: SvcDep, user: CurrentUser) -> Response:
    """The live part of the goal page (polled by htmx until the goal is final)."""
    return await render_goal(request, svc, user, await goal_for(svc, user, goal_id), "goal_live.html")


@router.get("/goals/{goal_id}/certifications")
async def goal_certifications(request: Request, goal_id: str, svc: SvcDep, user: CurrentUser) -> Response:
    """The goal page's certification card: what each task needs (who set it, why) and the flags on its
    assignments (polled by htmx until the goal is final)."""
    goal = await goal_for(svc, user, goal_id)
    return render(request, "_goal_certifications.html", user=user, goal=goal,
                  certs=await task_certifications.goal_certifications(svc, goal_id),
                  final=goal.status in FINAL_STATUSES)


@router.get("/goals/{goal_id}/audit")
async def audit_page(request: Request, goal_id: str, svc: SvcDep, user: CurrentUser) -> Response:
    """The goal's audit trail."""
    goal = await goal_for(svc, user, goal_id)
    events = await usecases.audit_for_goal(svc, goal_id)
    return render(request, "audit.html", user=user, goal=goal, events=events)
