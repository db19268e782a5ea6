"""HTML page: your inbox, what the product told you, newest first, each linking to its page; marking it read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from review_console.deps import CurrentUser, SvcDep
from review_console.pages.rendering import render
from workflows import usecases
from workflows.usecases import moves

router = APIRouter(include_in_schema=False)


def console_link(link: str | None) -> str | None:
    """A notification's link when it is a path of this console (nothing else is linked)."""
    if link and link.startswith("/") and not link.startswith("//") and "\\" not in link:
        return link
    return None


@router.get("/me/inbox")
async def inbox_page(request: Request, svc: SvcDep, user: CurrentUser) -> Response:
    """Your latest notifications, newest first, unread ones marked, each linking to the page it is about."""
    rows, unread = await moves.inbox(svc, user)
    return render(request, "inbox.html", user=user, notifications=rows, unread=unread, link=console_link)


@router.post("/me/inbox/read")
async def inbox_mark_read(svc: SvcDep, user: CurrentUser, id: Annotated[str, Form()] = "") -> Response:
    """Mark one notification read (``id``) or all of them (no ``id``); back to the inbox."""
    notification_id = int(id) if id.strip().isdigit() and len(id.strip()) < 19 else None
    if id.strip() and notification_id is None:
        raise usecases.NotFound("no such unread notification of yours")
    await moves.mark_read(svc, user, notification_id)
    return RedirectResponse("/me/inbox", status_code=303)
