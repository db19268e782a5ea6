"""HTML page: My work, the tasks you are staffed on (on your calendar once released, not on it yet before), where
each move is, and your answer to a task you are offered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from infra.store.assignments import MoveState, PersonAssignment
from infra.store.users import User
from review_console.deps import CurrentUser, SvcDep
from review_console.pages.rendering import render
from workflows import usecases
from workflows.usecases import moves

router = APIRouter(include_in_schema=False)
ON_CALENDAR: frozenset[MoveState] = frozenset({"released"})
"""Moves that take the person's time: released by their line manager (or by HR overruling a refusal)."""
TENTATIVE: frozenset[MoveState] = frozenset({"offered", "accepted", "refused"})
"""Moves that do not take it yet: offered, accepted and waiting for the release, or refused and under HR's review."""


def answer_key(goal_id: str, task_id: str) -> str:
    """The id suffix of one assignment's elements on the page (its section, its reason field and error)."""
    return f"{goal_id}-{task_id}"


async def _page(request: Request, svc: usecases.Services, user: User, *, status_code: int = 200,
                errors: dict[str, str] | None = None, typed: dict[str, str] | None = None,
                rows: list[PersonAssignment] | None = None) -> Response:
    rows = await usecases.my_assignments(svc, user) if rows is None else rows
    errors = errors or {}
    listed = {answer_key(r.goal_id, r.task_id) for r in rows}
    return render(request, "my_work.html", status_code=status_code, user=user, assignments=rows,
                  on_calendar=[r for r in rows if r.state in ON_CALENDAR],
                  tentative=[r for r in rows if r.state in TENTATIVE],
                  ended=[r for r in rows if r.state not in ON_CALENDAR | TENTATIVE],
                  errors=errors, typed=typed or {}, key=answer_key,
                  unlisted_errors=[m for k, m in errors.items() if k not in listed])


@router.get("/me/work")
async def my_work_page(request: Request, svc: SvcDep, user: CurrentUser) -> Response:
    """The tasks you are staffed on, with your time share, the dates, why you were proposed and where each move is:
    on your calendar once released, not on it yet while offered, accepted or refused; a task you are offered has
    Accept and Decline (with a reason).

    A move waiting for its release follows it by polling its own section (htmx); once it is no longer waiting, the
    answer tells htmx to reload the page (``HX-Refresh``), so the task moves to the part of the page it now belongs
    to."""
    rows = await usecases.my_assignments(svc, user)
    page = await _page(request, svc, user, rows=rows)
    watched = request.headers.get("hx-trigger", "") if request.headers.get("hx-request") == "true" else ""
    if watched.startswith("a-") and not any(
            f"a-{answer_key(r.goal_id, r.task_id)}" == watched and r.state == "accepted" for r in rows):
        page.headers["HX-Refresh"] = "true"
    return page


@router.post("/me/work/{goal_id}/{task_id}/answer")
async def my_work_answer(request: Request, goal_id: str, task_id: str, svc: SvcDep, user: CurrentUser,
                         answer: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "") -> Response:
    """Accept or decline from the page (``answer`` = accept | decline; a decline needs ``reason``). A refusal comes
    back as the page with the error next to that assignment's reason field and what was typed kept."""
    key = answer_key(goal_id, task_id)
    if answer not in ("accept", "decline"):
        return await _page(request, svc, user, status_code=422, errors={key: "choose Accept or Decline"},
                           typed={key: reason})
    try:
        await moves.answer_assignment(svc, user, goal_id=goal_id, task_id=task_id, accept=answer == "accept",
                                      reason=None if answer == "accept" else reason, via="console")
    except (usecases.Invalid, usecases.Conflict) as err:
        return await _page(request, svc, user, status_code=err.status, errors={key: err.message},
                           typed={key: reason})
    return RedirectResponse(f"/me/work#a-{key}", status_code=303)
