"""HTML page: My work, the tasks you are staffed on, where each move is, and your answer to a task you are
offered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from infra.store.users import User
from review_console.deps import CurrentUser, SvcDep
from review_console.pages.rendering import render
from workflows import usecases
from workflows.usecases import moves

router = APIRouter(include_in_schema=False)


def answer_key(goal_id: str, task_id: str) -> str:
    """The id suffix of one assignment's elements on the page (its section, its reason field and error)."""
    return f"{goal_id}-{task_id}"


async def _page(request: Request, svc: usecases.Services, user: User, *, status_code: int = 200,
                errors: dict[str, str] | None = None, typed: dict[str, str] | None = None) -> Response:
    rows = await usecases.my_assignments(svc, user)
    errors = errors or {}
    listed = {answer_key(r.goal_id, r.task_id) for r in rows}
    return render(request, "my_work.html", status_code=status_code, user=user, assignments=rows,
                  errors=errors, typed=typed or {}, key=answer_key,
                  unlisted_errors=[m for k, m in errors.items() if k not in listed])


@router.get("/me/work")
async def my_work_page(request: Request, svc: SvcDep, user: CurrentUser) -> Response:
    """The tasks you are staffed on, with your time share, the dates, why you were proposed and where each move is;
    a task you are offered has Accept and Decline (with a reason)."""
    return await _page(request, svc, user)


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
