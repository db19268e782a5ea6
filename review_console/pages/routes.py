"""The HTML console's pages: one router per resource (none of them in the OpenAPI schema)."""

from __future__ import annotations

from fastapi import APIRouter

from review_console.pages import admin, audit, goals, profile, reviews, session, skills, work

router = APIRouter()
for resource in (admin, profile, session, goals, audit, reviews, skills, work):
    router.include_router(resource.router)
