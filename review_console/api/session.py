"""JSON API: liveness and the session (sign in, sign out, who am I).

``POST /api/login`` starts a server-side session (cookie ``talentops_session``, HttpOnly, SameSite=Lax, Secure over
https) and answers with the session's CSRF token in the ``X-CSRF-Token`` header (for scripts that post the console's
HTML forms). Scripts may instead send HTTP Basic credentials on every ``/api`` call, without a cookie.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status

from review_console.api.models.session import HealthPublic, LoggedOut, LoginIn
from review_console.api.models.users import UserPublic
from review_console.deps import CurrentUser, SvcDep
from review_console.security import (
    CSRF_HEADER,
    SESSION_COOKIE,
    clear_session_cookie,
    client_address,
    set_session_cookie,
)
from workflows import usecases

router = APIRouter()


@router.get("/health", tags=["meta"])
async def health(svc: SvcDep) -> HealthPublic:
    """Liveness and what this console is connected to (no secrets)."""
    await svc.pool.fetchval("SELECT 1")
    return HealthPublic(ok=True, model=svc.settings.model, temporal=svc.client is not None)


@router.post("/login", tags=["auth"], responses={429: {"description": "Too many failed sign-ins: see Retry-After"}})
async def login(body: LoginIn, request: Request, response: Response, svc: SvcDep) -> UserPublic:
    """Start a session (cookie); a new one at every sign-in. Throttled after repeated failures (429, Retry-After)."""
    signed = await usecases.sign_in(svc, body.login, body.password, address=client_address(request),
                                    user_agent=request.headers.get("user-agent"),
                                    replacing=request.cookies.get(SESSION_COOKIE), via="api")
    if signed is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong login or password")
    set_session_cookie(response, request, svc.settings, signed.token)
    response.headers[CSRF_HEADER] = signed.csrf_token
    return UserPublic.model_validate(signed.user, from_attributes=True)


@router.post("/logout", tags=["auth"])
async def logout(request: Request, response: Response, svc: SvcDep) -> LoggedOut:
    """End the session (its cookie no longer works anywhere)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await usecases.sign_out(svc, token)
    clear_session_cookie(response, request, svc.settings)
    return LoggedOut(ok=True)


@router.get("/me", tags=["auth"])
async def me(user: CurrentUser) -> UserPublic:
    """The signed-in user."""
    return UserPublic.model_validate(user, from_attributes=True)
