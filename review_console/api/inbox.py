"""JSON API: your inbox, what the product told you (offers, release requests, confirmations), and marking it read."""

from __future__ import annotations

from fastapi import APIRouter

from review_console.api.models.work import Inbox, MarkedRead, MarkReadIn, NotificationPublic
from review_console.deps import CurrentUser, SvcDep
from workflows.usecases import moves

router = APIRouter(tags=["inbox"])


@router.get("/me/inbox")
async def inbox(svc: SvcDep, user: CurrentUser) -> Inbox:
    """Your latest notifications, newest first, each with the console page it is about; ``unread`` counts all your
    unread ones."""
    rows, unread = await moves.inbox(svc, user)
    return Inbox(data=[NotificationPublic.model_validate(r, from_attributes=True) for r in rows], count=len(rows),
                 unread=unread)


@router.post("/me/inbox/read")
async def mark_read(body: MarkReadIn, svc: SvcDep, user: CurrentUser) -> MarkedRead:
    """Mark one of your unread notifications read (``id``), or all of them (``id`` null); 404 when ``id`` is not one
    of your unread notifications."""
    return MarkedRead(marked=await moves.mark_read(svc, user, body.id))
