"""JSON API: liveness and the session (sign in, sign out, who am I)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status

from review_console.api.models.session import HealthPublic, LoggedOut, LoginIn
from review_console.api.models.users import UserPublic
from review_console.deps import CurrentUser, SvcDep
from workflows import usecases

router = APIRouter()


@router.get("/health", tags=["meta"])
async def health(svc: SvcDep) -> HealthPublic:
    """Liveness and what this console is connected to (no secrets)."""
    await svc.pool.fetchval("SELECT 1")
    return HealthPublic(ok=True, model=svc.settings.model, temporal=svc.client is not None)


@router.post("/login", tags=["auth"])
async def login(body: LoginIn, request: Request, svc: SvcDep) -> UserPublic:
    """Start a session (cookie)."""
    user = await usecases.authenticate(svc, body.login, body.password)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong login or password")
    request.session["login"] = user.login
    return UserPublic.model_validate(user, from_attributes=True)


@router.post("/logout", tags=["auth"])
async def logout(request: Request) -> LoggedOut:
    """End the session."""
    request.session.clear()
    return LoggedOut(ok=True)


@router.get("/me", tags=["auth"])
async def me(user: CurrentUser) -> UserPublic:
    """The signed-in user."""
    return UserPublic.model_validate(user, from_attributes=True)
