"""API models: onboarding after a move (your plans and their items, ticking one off, marking someone productive, a
goal's plans) and the learning catalogue's import."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from infra.store.learning import LearningItem
from infra.store.onboarding import CheckinOutcome, PlanRecord
from workflows.usecases.onboarding import PlanView

NOTE_FIELD_MAX = 2000
"""Longest note a request may carry (the use case keeps at most 1,000 characters once spaces are collapsed, and
says so in a sentence)."""
Note = Annotated[str, Field(max_length=NOTE_FIELD_MAX)]
"""A note in a request body."""


class OnboardingPlanPublic(PlanView):
    """An onboarding plan you have a part in, with its items in plan order (each: what to do, whose it is, when it
    is due once the plan started, whether it is done, by whom and with which check-in outcome, whether it is yours
    today and which items it waits for), and whether you manage the goal (the goal's manager marks the person
    productive)."""


class OnboardingRecordPublic(PlanRecord):
    """A person's onboarding plan on a goal: where it is, its buddy, the skills it closes, its start, the time to
    productivity once marked, and why it ended once it did."""


class TickIn(BaseModel):
    """Ticking off an item of yours."""

    outcome: CheckinOutcome | None = None
    """For a check-in only: ``productive`` or ``not_yet``; null for any other item."""
    note: Note | None = None
    """What you want to keep with it (at most 1,000 characters)."""


class Ticked(BaseModel):
    """The plan's items done after your tick."""

    done: list[str]
    """Ids of every item of the plan that is done now."""


class MarkedProductive(BaseModel):
    """The person was marked productive on the task (their time to productivity ends today)."""

    productive: Literal[True]
    """Always true."""


class LearningItemPublic(LearningItem):
    """An item of the learning catalogue: its LMS id, title, provider, link, skills, hours and format."""


class CatalogueImported(BaseModel):
    """What an import of the learning catalogue did."""

    added: int = Field(ge=0)
    """New items."""
    updated: int = Field(ge=0)
    """Items already there (by ``item_id``), updated."""
    items: list[LearningItemPublic]
    """The file's items."""
