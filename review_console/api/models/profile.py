"""API models: employees' own skills profiles, the roles they could move to, and signal sources."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from review_console.api.models.common import Timestamp
from tools.people.bridges import Bridge


class FeedbackIn(BaseModel):
    """Feedback on one skill of your own profile."""

    skill: str = Field(min_length=1, max_length=120)
    """The skill."""
    verdict: Literal["confirm", "reject", "add"]
    """confirm or reject an inferred skill, or add one."""


class SourceIn(BaseModel):
    """Switch a signal source."""

    enabled: bool
    """Whether its evidence counts."""


class SkillEvidencePublic(BaseModel):
    """One piece of evidence behind a skill."""

    skill: str
    """The skill as the evidence names it."""
    source: str
    """Signal source."""
    detail: str
    """What was observed."""
    observed_at: Timestamp
    """When."""
    enabled: bool
    """Whether its source counts."""


class SkillPublic(BaseModel):
    """A skill of a profile."""

    skill: str
    """The skill."""
    skill_key: str
    """Its normalised key."""
    level: float
    """Level, 1 to 5."""
    confidence: float
    """Confidence, 0 to 1."""
    evidence_count: int
    """Pieces of evidence."""
    last_evidence: Timestamp
    """Latest evidence."""
    evidence: list[SkillEvidencePublic]
    """The evidence, newest first."""


class RejectedSkillPublic(BaseModel):
    """A skill the employee rejected."""

    skill: str
    """The skill."""
    skill_key: str
    """Its normalised key."""
    verdict: str
    """``reject``."""
    at: Timestamp
    """When."""


class SkillsProfilePublic(BaseModel):
    """An employee's skills with level, confidence, last evidence and the evidence behind each."""

    employee_id: str
    """The employee."""
    name: str
    """Their name."""
    title: str
    """Their job title."""
    department: str | None
    """Department code."""
    onet_code: str | None
    """O*NET occupation of their job."""
    skills: list[SkillPublic]
    """Their skills, strongest first."""
    rejected: list[RejectedSkillPublic]
    """Skills they rejected."""


class BridgesPublic(BaseModel):
    """An employee's nearest occupations and aspired ones, each with what transfers and the gap."""

    employee_id: str
    """The employee."""
    name: str
    """Their name."""
    title: str
    """Their job title."""
    current_code: str | None
    """O*NET-SOC code of their current occupation (None when unknown)."""
    current_title: str | None
    """Title of that occupation."""
    bridges: list[Bridge]
    """The nearest occupations, best first, then aspired ones that are not among them."""
    aspirations: list[str]
    """Their stated aspirations."""
    unmatched_aspirations: list[str]
    """Aspirations that name no O*NET occupation (or only their current one)."""
    formula: str
    """How the score is made."""
    attribution: str
    """Where the occupation data comes from."""


class SourcePublic(BaseModel):
    """A signal source."""

    source: str
    """Its name."""
    enabled: bool
    """Whether its evidence counts."""
    changed_by: str | None
    """Who switched it last."""
    changed_at: Timestamp
    """When."""
    evidence: int
    """Pieces of evidence it holds."""


class SourceSwitched(BaseModel):
    """A source switched on or off."""

    source: str
    """The source."""
    enabled: bool
    """Whether it counts now."""
    profiles_recomputed: int
    """Profiles recomputed."""
