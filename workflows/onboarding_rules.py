"""When a running onboarding plan nudges whom: reminders before items are due, escalations of missed check-ins,
and when the plan is finished. Pure and deterministic: it runs inside the workflow sandbox.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from infra.store.onboarding import PlanItem
from policies.onboarding_checks import CHECKIN_DAYS, LAST_DAY, checkin_id

REMIND_DAYS_BEFORE = (3, 0)
"""Reminders go out this many days before an item is due (0: on the day)."""
GRACE_DAYS = 3
"""A check-in still open this many days after it was due is escalated one level up; again after as many more."""
ESCALATION_LEVELS = 2
"""Level 1: the goal manager's own manager; level 2: HR."""


@dataclass(frozen=True, kw_only=True)
class Nudge:
    """A reminder or an escalation that falls due at ``at``."""

    at: datetime
    """When it falls due."""
    kind: Literal["reminder", "escalation"]
    """What it is."""
    item_id: str
    """About which item."""
    step: int
    """Days before the due day (reminder) or escalation level."""

    @property
    def key(self) -> str:
        """Its business key within the plan."""
        prefix = "remind" if self.kind == "reminder" else "escalate"
        return f"{prefix}:{self.item_id}:{self.step}"


def day_at(starts_at: datetime, day: int) -> datetime:
    """The moment the plan's ``day`` begins."""
    return starts_at + timedelta(days=day)


def plan_day(starts_at: datetime, now: datetime) -> int:
    """Which day of the plan ``now`` is (0 on the first day)."""
    return max(0, (now - starts_at).days)


def nudges(items: list[PlanItem], done: Collection[str], sent: Collection[str],
           starts_at: datetime) -> list[Nudge]:
    """Every nudge still to send, earliest first: reminders of open items (none before the start), escalations of
    open check-ins."""
    found: list[Nudge] = []
    for item in items:
        if item.item_id in done:
            continue
        for before in REMIND_DAYS_BEFORE:
            if item.due_day - before >= 0:
                found.append(Nudge(at=day_at(starts_at, item.due_day - before), kind="reminder",
                                   item_id=item.item_id, step=before))
        if item.kind == "checkin":
            for level in range(1, ESCALATION_LEVELS + 1):
                found.append(Nudge(at=day_at(starts_at, item.due_day + GRACE_DAYS * level), kind="escalation",
                                   item_id=item.item_id, step=level))
    return sorted((n for n in found if n.key not in sent), key=lambda n: (n.at, n.kind, n.item_id, n.step))


def finished(items: list[PlanItem], done: Mapping[str, object], now: datetime,
             starts_at: datetime) -> str | None:
    """Why the plan is over, in words, or None while it runs: everything done (early, when before day 90), the
    day-90 check-in held, or past the last day with items open."""
    day = plan_day(starts_at, now)
    open_items = [i.item_id for i in items if i.item_id not in done]
    if not open_items:
        last = CHECKIN_DAYS[-1]
        return f"every item done by day {day}" + (f", before day {last}: an early finish" if day < last else "")
    if checkin_id(CHECKIN_DAYS[-1]) in done:
        return f"the day-{CHECKIN_DAYS[-1]} check-in was held; still open: {', '.join(open_items)}"
    if day > LAST_DAY + GRACE_DAYS * ESCALATION_LEVELS:
        return f"ended after day {LAST_DAY} with items open: {', '.join(open_items)}"
    return None


def blocking(item: PlanItem, done: Collection[str]) -> list[str]:
    """The items that must be ticked off before ``item``."""
    return [d for d in item.depends_on if d not in done]
