"""HTML page: My onboarding, the plans you have a part in after a move (as the person moving, their buddy, their
line manager or the goal's manager), ticking off the items that are yours, and marking the person productive (the
goal's manager)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from infra.store.onboarding import CheckinOutcome
from infra.store.users import User
from review_console.deps import CurrentUser, SvcDep
from review_console.pages.rendering import render
from workflows import usecases
from workflows.usecases import onboarding
from workflows.usecases.onboarding import NOTE_MAX

router = APIRouter(include_in_schema=False)
OUTCOMES: dict[str, CheckinOutcome | None] = {"": None, "productive": "productive", "not_yet": "not_yet"}
"""The ``outcome`` a form sends → the check-in outcome (empty: an item that is not a check-in)."""


def plan_key(goal_id: str, task_id: str, employee_id: str) -> str:
    """The id suffix of one plan's elements on the page."""
    return f"{goal_id}-{task_id}-{employee_id}"


def item_key(goal_id: str, task_id: str, employee_id: str, item_id: str) -> str:
    """The id suffix of one item's elements on the page (its row, its note field and its error)."""
    return f"{plan_key(goal_id, task_id, employee_id)}-{item_id}"


async def _page(request: Request, svc: usecases.Services, user: User, *, status_code: int = 200,
                errors: dict[str, str] | None = None, typed: dict[str, str] | None = None) -> Response:
    views = await onboarding.my_onboarding(svc, user)
    errors = errors or {}
    listed = set()
    for v in views:
        p = v.plan
        listed.add(plan_key(p.goal_id, p.task_id, p.employee_id) + "-productive")
        listed |= {item_key(p.goal_id, p.task_id, p.employee_id, i.item.item_id) for i in v.items}
    return render(request, "my_onboarding.html", status_code=status_code, user=user, plans=views, errors=errors,
                  typed=typed or {}, plan_key=plan_key, item_key=item_key, note_max=NOTE_MAX,
                  unlisted_errors=[m for k, m in errors.items() if k not in listed])


@router.get("/me/onboarding")
async def my_onboarding_page(request: Request, svc: SvcDep, user: CurrentUser) -> Response:
    """Your onboarding plans: each with its people, summary, buddy, the skills it closes, its start and its items in
    due-date order; the items that are yours have a Done button (check-ins: held, productive or not yet); the
    goal's manager marks the person productive."""
    return await _page(request, svc, user)


@router.post("/me/onboarding/{goal_id}/{task_id}/{employee_id}/items/{item_id}")
async def my_onboarding_tick(request: Request, goal_id: str, task_id: str, employee_id: str, item_id: str,
                             svc: SvcDep, user: CurrentUser, outcome: Annotated[str, Form()] = "",
                             note: Annotated[str, Form()] = "") -> Response:
    """Tick an item off from the page (``outcome`` = productive | not_yet for a check-in, empty otherwise; an
    optional ``note``). A refusal comes back as the page with the error next to that item and the note kept."""
    key = item_key(goal_id, task_id, employee_id, item_id)
    if outcome not in OUTCOMES:
        return await _page(request, svc, user, status_code=422, typed={key: note},
                           errors={key: "choose Done, or for a check-in: held, productive or not yet"})
    try:
        await onboarding.tick_item(svc, user, goal_id=goal_id, task_id=task_id, employee_id=employee_id,
                                   item_id=item_id, outcome=OUTCOMES[outcome], note=note or None, via="console")
    except usecases.ServiceError as err:
        return await _page(request, svc, user, status_code=err.status, errors={key: err.message}, typed={key: note})
    return RedirectResponse(f"/me/onboarding#i-{key}", status_code=303)


@router.post("/me/onboarding/{goal_id}/{task_id}/{employee_id}/productive")
async def my_onboarding_productive(request: Request, goal_id: str, task_id: str, employee_id: str, svc: SvcDep,
                                   user: CurrentUser) -> Response:
    """The goal's manager marks the person productive from the page; a refusal comes back as the page with the
    error next to the button."""
    key = plan_key(goal_id, task_id, employee_id)
    try:
        await onboarding.mark_productive(svc, user, goal_id=goal_id, task_id=task_id, employee_id=employee_id,
                                         via="console")
    except usecases.ServiceError as err:
        return await _page(request, svc, user, status_code=err.status, errors={f"{key}-productive": err.message})
    return RedirectResponse(f"/me/onboarding#p-{key}", status_code=303)
