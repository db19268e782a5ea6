"""JSON API for admins: the console sessions in force, and revoking one (audited as ``session.revoked``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel

from infra.store.sessions import SessionRecord
from infra.store.timestamps import Timestamp
from infra.store.users import Role
from review_console.api.models.common import ID_MAX, ListOf
from review_console.deps import AdminUser, SvcDep
from workflows import usecases

SessionIdPath = Annotated[str, Path(max_length=ID_MAX, description="Session handle (from the list).")]

router = APIRouter(prefix="/admin/sessions", tags=["admin"])


class SessionPublic(BaseModel):
    """A live console session (never its token)."""

    session_id: str
    """Handle to revoke it by."""
    login: str
    """Who signed in."""
    display_name: str
    """Their name."""
    role: Role
    """Their role."""
    created_at: Timestamp
    """When they signed in."""
    last_seen_at: Timestamp
    """When the session was last used (to within a minute)."""
    client_address: str | None
    """Address the sign-in came from."""
    user_agent: str | None
    """Browser or client that signed in."""


def _public(record: SessionRecord) -> SessionPublic:
    return SessionPublic.model_validate(record.model_dump())


@router.get("")
async def list_sessions(svc: SvcDep, user: AdminUser) -> ListOf[SessionPublic]:
    """Every live session, by login then most recently used first."""
    rows = [_public(r) for r in await usecases.list_sessions(svc, by=user)]
    return ListOf[SessionPublic](data=rows, count=len(rows))


@router.delete("/{session_id}")
async def revoke_session(session_id: SessionIdPath, svc: SvcDep, user: AdminUser) -> SessionPublic:
    """End a session now: its cookie stops working at once (404 when it has already ended)."""
    return _public(await usecases.revoke_session(svc, session_id, by=user))
