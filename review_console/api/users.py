"""JSON API: users (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from review_console.api.models.common import ID_MAX, ListOf
from review_console.api.models.users import UserPublic
from review_console.deps import AdminUser, SvcDep
from workflows import usecases

router = APIRouter()

RoleOpt = Annotated[str | None, Query(max_length=ID_MAX, description="Only users of this role.")]


@router.get("/users", tags=["users"])
async def users(svc: SvcDep, _: AdminUser, role: RoleOpt = None) -> ListOf[UserPublic]:
    """All users (admins only)."""
    rows = await usecases.list_users(svc, role)
    return ListOf(data=[UserPublic.model_validate(r, from_attributes=True) for r in rows], count=len(rows))
