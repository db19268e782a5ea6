"""When a certification stands where, and who is reminded when: pure rules shared by the cadence workflow, the
pages and the matcher (deterministic: they run inside the workflow sandbox too).

A period is *valid* until 90 days before it expires, then *expiring*; on its expiry day it *lapses* into its
grace period (*in grace*), and once the grace days are over it is *expired*. A revoked certification is *revoked*
whatever its dates say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

CertStatus = Literal["valid", "expiring", "in_grace", "expired", "revoked"]
"""Where a certification stands on a day."""
STATUS_WORDS: dict[CertStatus, str] = {
    "valid": "Valid", "expiring": "Expiring soon", "in_grace": "Lapsed, in grace", "expired": "Expired",
    "revoked": "Revoked"}
EXPIRING_WITHIN_DAYS = 90
"""A certification is *expiring* this many days before its expiry day."""
DEFAULT_REMINDER_DAYS: tuple[int, ...] = (90, 60, 30, 7)
"""Reminders go out this many days before expiry (configurable: ``TALENTOPS_CERTIFICATION_REMINDER_DAYS``)."""
MANAGER_FROM_DAYS = 30
"""From this many days before expiry the holder's line manager is told too."""

Audience = Literal["holder", "line_manager", "hr"]
ReminderKind = Literal["before", "lapsed", "expired"]


def status_on(today: date, *, expires_on: date | None, grace_days: int, revoked_on: date | None = None) -> CertStatus:
    """Where a period stands on ``today``."""
    if revoked_on is not None and revoked_on <= today:
        return "revoked"
    if expires_on is None or today < expires_on - timedelta(days=EXPIRING_WITHIN_DAYS):
        return "valid"
    if today < expires_on:
        return "expiring"
    if today < expires_on + timedelta(days=grace_days):
        return "in_grace"
    return "expired"


@dataclass(frozen=True, kw_only=True)
class Reminder:
    """A reminder (or lapse notice) due on ``on`` to ``audience``."""

    on: date
    """The day it goes out."""
    kind: ReminderKind
    """Before expiry, at the lapse, or when the grace period ends."""
    days_before: int
    """Days before expiry (0 at the lapse, minus the grace days when it expires)."""
    audience: tuple[Audience, ...]
    """Who is told."""

    @property
    def key(self) -> str:
        """Its business key within the period (the period and channel are added by whoever sends it)."""
        return f"{self.kind}:{self.days_before}"


def reminders(*, expires_on: date, grace_days: int, offsets: Sequence[int], planned_on: date) -> list[Reminder]:
    """Every reminder of a period, in order, as planned on ``planned_on``.

    Reminders whose day passed before the plan began are dropped, except the latest of them, which goes out at
    once: a certification first seen a week before it expires gets the 7-day reminder, not four at the same time,
    and one that lapsed last week gets the lapse notice alone.
    """
    planned: list[Reminder] = []
    for days in sorted({d for d in offsets if d > 0}, reverse=True):
        audience: tuple[Audience, ...] = ("holder", "line_manager") if days <= MANAGER_FROM_DAYS else ("holder",)
        planned.append(Reminder(on=expires_on - timedelta(days=days), kind="before", days_before=days,
                                audience=audience))
    planned.append(Reminder(on=expires_on, kind="lapsed", days_before=0, audience=("holder", "line_manager", "hr")))
    if grace_days > 0:
        planned.append(Reminder(on=expires_on + timedelta(days=grace_days), kind="expired", days_before=-grace_days,
                                audience=("holder", "line_manager", "hr")))
    passed = [r for r in planned if r.on < planned_on]
    stale = {r.key for r in passed[:-1]}
    return [r for r in planned if r.key not in stale]


def describe(reminder: Reminder, *, name: str, expires_on: date, grace_days: int, sent_on: date | None = None) -> str:
    """What a reminder says, in plain words (the days left counted from ``sent_on``: a reminder sent late, after a
    late import or an outage, says how many days are really left)."""
    if reminder.kind == "before":
        left = (expires_on - sent_on).days if sent_on is not None else reminder.days_before
        when = "tomorrow" if left == 1 else "today" if left <= 0 else f"in {left} days"
        return (f"{name} expires on {expires_on:%d %B %Y} ({when}). "
                "Renew it and upload the new certificate on My certifications.")
    grace_end = expires_on + timedelta(days=grace_days - 1)  # its last day
    if reminder.kind == "lapsed":
        grace = (f"It is in its grace period until {grace_end:%d %B %Y}." if grace_days
                 else "It has no grace period.")
        return f"{name} lapsed on {expires_on:%d %B %Y}. {grace} Upload the renewed certificate to restore it."
    return f"{name} expired: its grace period ended on {grace_end:%d %B %Y}. Work that needs it must not go ahead."


WindowStanding = Literal["valid_through", "renew_in_time", "lapses_during", "expired", "missing"]
"""How a person's certification covers a task's window (see :func:`window_standing`)."""
WINDOW_WORDS: dict[WindowStanding, str] = {
    "valid_through": "valid through the task", "renew_in_time": "expires during the task; can renew in time",
    "lapses_during": "lapses during the task", "expired": "expired", "missing": "not held"}


def window_standing(*, today: date, start: date, end: date, expires_on: date | None, grace_days: int,
                    renewal_lead_days: int, held: bool, revoked: bool = False) -> WindowStanding:
    """Whether a certification stays valid from ``start`` to ``end`` of a task.

    ``renew_in_time``: it expires before the task ends, but there are at least the type's renewal lead days
    before it does, so a renewal started now lands in time; ``lapses_during``: it would lapse while the task runs.
    """
    if not held or revoked:
        return "missing"
    if expires_on is None or expires_on > end:
        return "valid_through"
    if today >= expires_on + timedelta(days=grace_days):
        return "expired"
    if (expires_on - today).days >= renewal_lead_days:
        return "renew_in_time"
    return "lapses_during" if expires_on > start or today < expires_on else "expired"
