"""API models: employees' own skills profiles, the roles they could move to, and signal sources."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from tools.people.bridges import Bridge
from tools.people.profile import SignalSource, SkillsProfile


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


class SkillsProfilePublic(SkillsProfile):
    """An employee's skills with level, confidence, last evidence and the evidence behind each."""


class SourcePublic(SignalSource):
    """A signal source, whether it counts, and how much evidence it holds."""


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


class SourceSwitched(BaseModel):
    """A source switched on or off."""

    source: str
    """The source."""
    enabled: bool
    """Whether it counts now."""
    profiles_recomputed: int
    """Profiles recomputed."""
