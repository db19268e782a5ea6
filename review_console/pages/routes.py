"""The HTML console's pages: one router per resource (none of them in the OpenAPI schema); every page resolves the
header's facts (``rendering.nav_facts``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from review_console.pages import (
    admin,
    audit,
    certifications,
    goal_certifications,
    goals,
    inbox,
    onboarding,
    profile,
    reviews,
    session,
    skills,
    team,
    work,
)
from review_console.pages.rendering import nav_facts

router = APIRouter(dependencies=[Depends(nav_facts)])
for resource in (admin, profile, session, goals, audit, reviews, skills, work, team, inbox, onboarding):
    router.include_router(resource.router)
router.include_router(certifications.router)
router.include_router(goal_certifications.router)
