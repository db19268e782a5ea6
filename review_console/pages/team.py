"""HTML page: My team, the releases asked of you as a line manager (release or refuse, with a reason), the ones you
decided, and your counts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from infra.store.moves import ReleaseCounts, ReleaseRequest
from infra.store.users import User
from policies.release import deadline_words
from review_console.deps import CurrentUser, SvcDep
from review_console.pages.rendering import render
from workflows import usecases
from workflows.usecases import moves

router = APIRouter(include_in_schema=False)


def release_key(goal_id: str, task_id: str, employee_id: str) -> str:
    """The id suffix of one release request's elements on the page (its section, its reason field and error)."""
    return f"{goal_id}-{task_id}-{employee_id}"


async def _team(svc: usecases.Services, user: User) -> tuple[list[ReleaseRequest], ReleaseCounts | None]:
    try:
        return await moves.team_releases(svc, user), await moves.my_release_counts(svc, user)
    except usecases.NotFound:  # a login that is not an employee has no team
        return [], None


async def _page(request: Request, svc: usecases.Services, user: User, *, status_code: int = 200,
                errors: dict[str, str] | None = None, typed: dict[str, str] | None = None) -> Response:
    rows, counts = await _team(svc, user)
    errors = errors or {}
    listed = {release_key(r.goal_id, r.task_id, r.employee_id) for r in rows}
    return render(request, "my_team.html", status_code=status_code, user=user,
                  waiting=[r for r in rows if r.state == "accepted"],
                  decided=[r for r in rows if r.state != "accepted"], counts=counts,
                  errors=errors, typed=typed or {}, key=release_key, deadline_words=deadline_words(),
                  unlisted_errors=[m for k, m in errors.items() if k not in listed])


@router.get("/me/team")
async def my_team_page(request: Request, svc: SvcDep, user: CurrentUser) -> Response:
    """Release requests waiting for you (person, task, goal, time share, dates, deadline), the decided ones, and how
    you answered them."""
    return await _page(request, svc, user)


@router.post("/me/team/{goal_id}/{task_id}/{employee_id}")
async def my_team_decide(request: Request, goal_id: str, task_id: str, employee_id: str, svc: SvcDep,
                         user: CurrentUser, decision: Annotated[str, Form()] = "",
                         reason: Annotated[str, Form()] = "") -> Response:
    """Release or refuse from the page (``decision`` = release | refuse; a refusal needs ``reason``). A refusal of
    the request comes back as the page with the error next to that request's reason field and what was typed
    kept."""
    key = release_key(goal_id, task_id, employee_id)
    if decision not in ("release", "refuse"):
        return await _page(request, svc, user, status_code=422, errors={key: "choose Release or Refuse"},
                           typed={key: reason})
    try:
        await moves.decide_release(svc, user, goal_id=goal_id, task_id=task_id, employee_id=employee_id,
                                   release=decision == "release", reason=None if decision == "release" else reason,
                                   via="console")
    except (usecases.Invalid, usecases.Conflict) as err:
        return await _page(request, svc, user, status_code=err.status, errors={key: err.message},
                           typed={key: reason})
    return RedirectResponse("/me/team", status_code=303)
