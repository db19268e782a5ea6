"""HTML page: My work, the tasks you are staffed on."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from review_console.deps import CurrentUser, SvcDep
from review_console.pages.rendering import render
from workflows import usecases

router = APIRouter(include_in_schema=False)


@router.get("/me/work")
async def my_work_page(request: Request, svc: SvcDep, user: CurrentUser) -> Response:
    """The tasks you are staffed on, with your time share, the dates and why you were proposed."""
    rows = await usecases.my_assignments(svc, user)
    return render(request, "my_work.html", user=user, assignments=rows)
