"""The JSON API under ``/api``: one router per resource; every operation publishes the refusals (4xx) it may answer
with their bodies (``models.common.ERROR_RESPONSES``)."""

from __future__ import annotations

from fastapi import APIRouter

from review_console.api import (
    admin,
    audit,
    certifications,
    goals,
    inbox,
    onboarding,
    profile,
    releases,
    reviews,
    session,
    task_certifications,
    users,
    work,
)
from review_console.api import sessions as admin_sessions
from review_console.api.models.common import ERROR_RESPONSES

router = APIRouter(prefix="/api", responses=ERROR_RESPONSES)
for resource in (session, users, goals, audit, reviews, admin, profile, work, releases, inbox, onboarding):
    router.include_router(resource.router)
router.include_router(admin_sessions.router)
router.include_router(certifications.router)
router.include_router(task_certifications.router)
