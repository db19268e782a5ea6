"""API models: your own work after staffing (your assignments and your answer), your team's releases, your inbox,
and every line manager's release counts."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from infra.store.assignments import MoveState, PersonAssignment
from infra.store.moves import ReleaseCounts, ReleaseRequest
from infra.store.notifications import Notification
from review_console.api.models.common import BIGINT_MAX, ListOf

REASON_FIELD_MAX = 2000
"""Longest reason a request may carry (the use cases keep at most 1,000 characters once spaces are collapsed, and say
so in a sentence)."""
Reason = Annotated[str, Field(max_length=REASON_FIELD_MAX)]
"""A reason in a request body."""


class MyAssignmentPublic(PersonAssignment):
    """A task you are staffed on: the goal, the task, your time share, the dates, why you, and where your move is
    (``state``; once you accepted: your line manager's name and when their silence counts as release)."""


class AnswerIn(BaseModel):
    """Your answer to a task you are offered."""

    accept: bool
    """True to accept, False to decline."""
    reason: Reason | None = None
    """Why you decline (needed to decline; the goal's manager reads it)."""


class ReleaseIn(BaseModel):
    """A line manager's answer to a release request."""

    release: bool
    """True to release the person for the task, False to refuse."""
    reason: Reason | None = None
    """Why you refuse (needed to refuse; HR reviews the refusal)."""


class MoveStatePublic(BaseModel):
    """Where the move is after your answer."""

    state: MoveState
    """``accepted`` or ``declined`` after the person's answer; ``released`` or ``refused`` after the line
    manager's."""


class ReleaseRequestPublic(ReleaseRequest):
    """A release you are asked for (or gave) as a line manager: the person, the task, the goal, the time share, the
    dates, and when your silence counts as release."""


class ReleaseCountsPublic(ReleaseCounts):
    """How one line manager answered release requests: waiting, released, released by silence, refused."""


class TeamReleases(ListOf[ReleaseRequestPublic]):
    """The releases asked of you (waiting first), and how you answered them (None: none was asked of you)."""

    counts: ReleaseCountsPublic | None
    """Your counts; None when nobody asked you for a release."""


class NotificationPublic(Notification):
    """A notification: one line, the message, the console page it is about, when it was sent and read."""


class Inbox(ListOf[NotificationPublic]):
    """Your latest notifications, newest first, and how many of all yours are unread."""

    unread: int
    """Unread notifications."""


class MarkReadIn(BaseModel):
    """Which notification to mark read."""

    id: int | None = Field(default=None, ge=1, le=BIGINT_MAX)
    """One of your unread notifications; None marks all of them read."""


class MarkedRead(BaseModel):
    """How many notifications were marked read."""

    marked: int
    """Notifications that changed from unread to read."""
