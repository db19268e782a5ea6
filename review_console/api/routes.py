"""The JSON API under ``/api``: one router per resource."""

from __future__ import annotations

from fastapi import APIRouter

from review_console.api import admin, audit, goals, profile, reviews, session, users

router = APIRouter(prefix="/api")
for resource in (session, users, goals, audit, reviews, admin, profile):
    router.include_router(resource.router)
