"""A staffing proposal: for each task of a plan, the people who could do it, best first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from infra.db import Queryable

WindowStanding = Literal["valid_through", "renew_in_time", "lapses_during", "expired", "missing"]
"""How a candidate's certification covers a task's weeks (the values of
:data:`policies.certification_cadence.WindowStanding`, repeated here: infra imports no policy)."""


class CertificationStanding(BaseModel):
    """How one certification a task needs stands for one candidate over the task's weeks."""

    type_id: str
    """The certification type."""
    name: str
    """Its name."""
    standing: WindowStanding
    """Valid through the task, expires during it but can be renewed in time, lapses during it, expired, or not
    held."""
    expires_on: date | None = None
    """When the candidate's current period expires (None: never, or not held)."""
    words: str = ""
    """The standing in words, with its date ("valid through the task (expires 3 May 2028)")."""


class RequiredCertification(BaseModel):
    """A certification type a task needs, as the proposal was made."""

    type_id: str
    """The type."""
    name: str
    """Its name."""
    set_by: str
    """``grounding`` (the plan's text called for it) or the reviewer who set it."""
    reason: str
    """Why the task needs it."""


class Candidate(BaseModel):
    """A person who could do a task, with why."""

    employee_id: str
    """Employee id."""
    name: str
    """Display name."""
    title: str
    """Current job title."""
    department: str
    """Department code."""
    score: float = Field(ge=0, le=1)
    """Fit from 0 to 1 (skills, evidence, availability; for a task that needs certifications, a small bonus for
    holding them valid through its weeks)."""
    fraction: float = Field(gt=0, le=1)
    """Share of their time the task would take during its window."""
    reason: str
    """One line drawn from their evidence."""
    evidence: list[str] = Field(default_factory=list)
    """The evidence lines behind the score."""
    free_fraction: float | None = Field(default=None, ge=0, le=1)
    """Share of their time still free in the task's window (None in proposals recorded before it was kept)."""
    certifications: list[CertificationStanding] = Field(default_factory=list)
    """For a task that needs certifications: how each stands for them over the task's weeks (empty otherwise, and
    in proposals recorded before it was kept)."""


class TaskStaffing(BaseModel):
    """Ranked candidates for one task; the first is the one proposed."""

    task_id: str
    """Task this is for."""
    candidates: list[Candidate]
    """Best first; empty when nobody fits."""
    why: str = ""
    """The model's one-line explanation of its choice (empty from the offline planner: the reasons are the
    matcher's evidence)."""
    required_certifications: list[RequiredCertification] = Field(default_factory=list)
    """Certification types the task needs (empty: none, or a proposal recorded before they were kept)."""
    flags: list[str] = Field(default_factory=list)
    """What the product's checks flag to the reviewer about this task's proposal, in words (a proposed person who
    does not hold a needed certification valid through the task)."""


class StaffingProposal(BaseModel):
    """Who should do each task of a plan."""

    tasks: list[TaskStaffing]
    """One entry per task of the plan."""
    explanation: str
    """How the proposal was made."""


async def certified_people(conn: Queryable, type_ids: Sequence[str], *, not_expired_on: date,
                           limit: int = 30) -> list[str]:
    """People still here who hold one of these certification types, not revoked, whose current period has not
    expired before ``not_expired_on`` (the matcher considers them for a task that needs the type), longest
    validity first."""
    rows = await conn.fetch(
        "SELECT c.employee_id, max(coalesce(p.expires_on, 'infinity'::date)) AS until"
        " FROM certifications c JOIN employees e USING (employee_id)"
        " JOIN LATERAL (SELECT expires_on FROM certification_periods cp WHERE cp.certification_id = c.certification_id"
        "   ORDER BY cp.period DESC LIMIT 1) p ON true"
        " WHERE c.type_id = ANY($1::text[]) AND c.revoked_on IS NULL AND e.left_on IS NULL"
        "   AND (p.expires_on IS NULL OR p.expires_on >= $2)"
        " GROUP BY c.employee_id ORDER BY until DESC, c.employee_id LIMIT $3",
        list(type_ids), not_expired_on, limit)
    return [r["employee_id"] for r in rows]
