"""Which agent actions a human must review, and why. Pure: no I/O.

The trust ramp plugs in here: ``sample_share`` will come from the ramp's level for the action type.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

POLICY_VERSION = "review-routing/1"
"""Version of these rules, recorded on every review request and audit event."""


class RiskTier(StrEnum):
    """How much harm a wrong action can do."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, kw_only=True)
class ActionType:
    """A kind of agent action and the facts routing needs about it."""

    name: str
    """Stable name, e.g. ``propose_staffing``."""
    risk_tier: RiskTier
    """Risk tier of the action."""
    affects_people: bool
    """Whether it significantly affects a person (GDPR Art. 22, EU AI Act Art. 14)."""


PROPOSE_STAFFING = ActionType(name="propose_staffing", risk_tier=RiskTier.HIGH, affects_people=True)
"""Decide who is staffed on a goal's tasks."""
DECOMPOSE_GOAL = ActionType(name="decompose_goal", risk_tier=RiskTier.LOW, affects_people=False)
"""Break a goal into tasks."""


REPROPOSE_DECLINED_TASK = ActionType(name="repropose_declined_task", risk_tier=RiskTier.HIGH, affects_people=True)
"""Propose someone else for a task whose person declined it (or whose release HR did not grant)."""
OVERRIDE_RELEASE_REFUSAL = ActionType(name="override_release_refusal", risk_tier=RiskTier.HIGH, affects_people=True)
"""Move a person whose line manager refused to release them (HR decides: approve overrules, reject upholds)."""
DRAFT_ONBOARDING_PLAN = ActionType(name="draft_onboarding_plan", risk_tier=RiskTier.LOW, affects_people=False)
"""Draft the 30-60-90 plan of a person's move."""
SEND_REMINDER = ActionType(name="send_reminder", risk_tier=RiskTier.LOW, affects_people=False)
"""Remind someone of an item that is due."""
ESCALATE_MISSED_CHECKIN = ActionType(name="escalate_missed_checkin", risk_tier=RiskTier.MEDIUM, affects_people=False)
"""Tell the next manager up that a check-in was missed."""
VERIFY_CERTIFICATION_RENEWAL = ActionType(name="verify_certification_renewal", risk_tier=RiskTier.LOW,
                                          affects_people=False)
"""Accept a holder's renewed certificate as the certification's next period."""
FLAG_ASSIGNMENT_CERTIFICATION = ActionType(name="flag_assignment_certification", risk_tier=RiskTier.HIGH,
                                           affects_people=True)
"""Keep, replace or pause a staffed person whose certification the task needs lapsed."""


ACTION_TYPES: dict[str, ActionType] = {a.name: a for a in (
    PROPOSE_STAFFING, DECOMPOSE_GOAL, REPROPOSE_DECLINED_TASK, OVERRIDE_RELEASE_REFUSAL, DRAFT_ONBOARDING_PLAN,
    SEND_REMINDER, ESCALATE_MISSED_CHECKIN, VERIFY_CERTIFICATION_RENEWAL, FLAG_ASSIGNMENT_CERTIFICATION)}
"""Every kind of agent action, by name (each has its own place on the trust ramp)."""

ACTION_WORDS: dict[str, str] = {
    PROPOSE_STAFFING.name: "Staffing", DECOMPOSE_GOAL.name: "Plan",
    REPROPOSE_DECLINED_TASK.name: "New person for a declined task",
    OVERRIDE_RELEASE_REFUSAL.name: "Release refused by a line manager",
    DRAFT_ONBOARDING_PLAN.name: "Onboarding plan", SEND_REMINDER.name: "Reminder",
    ESCALATE_MISSED_CHECKIN.name: "Missed check-in escalation",
    VERIFY_CERTIFICATION_RENEWAL.name: "Certification renewal",
    FLAG_ASSIGNMENT_CERTIFICATION.name: "Certification lapsed on a staffed task",
}
"""Each action type in words, for pages."""
STAFFING_LIKE = frozenset({PROPOSE_STAFFING.name, REPROPOSE_DECLINED_TASK.name, OVERRIDE_RELEASE_REFUSAL.name})
"""Action types whose arguments are assignments (``StaffingArguments``): reviewed, edited and shown like a staffing."""

TimeoutDefault = Literal["park", "approve", "reject"]
"""What a review still undecided after its last escalation turns into."""
TIMEOUT_DEFAULTS: tuple[TimeoutDefault, ...] = ("park", "approve", "reject")

REJECTION_REASONS: dict[str, str] = {
    "wrong_person": "Wrong person proposed",
    "skills_mismatch": "Skills or evidence do not fit the task",
    "availability": "Availability or capacity is wrong",
    "scope": "Tasks missing, wrong or mis-sized",
    "fairness": "Fairness or bias concern",
    "policy": "Against policy or regulation",
    "other": "Other (explain)",
}
"""Reasons a reviewer picks from when rejecting; free text may add detail."""


def default_on_timeout(action: ActionType) -> TimeoutDefault:
    """People decisions park (never auto-approved); low-stakes actions go ahead unreviewed."""
    return "park" if action.affects_people or action.risk_tier is RiskTier.HIGH else "approve"


def bulk_approvable(action: ActionType) -> bool:
    """Whether reviews of this action may be approved in bulk: low risk and affecting nobody."""
    return action.risk_tier is RiskTier.LOW and not action.affects_people


@dataclass(frozen=True, kw_only=True)
class Routing:
    """The routing decision for one action."""

    review: bool
    """Whether a human must review before it executes."""
    because: str
    """Why: ``forced: ...`` for rule-based routing, ``sampled`` / ``not sampled`` for random draws."""
    risk_tier: RiskTier
    """Risk tier copied from the action type."""
    policy_version: str
    """Version of the rules that decided."""
    forced: bool
    """Whether a rule (not the random draw) decided; errors count toward the ramp only when False."""


def route_review(action: ActionType, *, sample_share: float = 1.0, draw: float = 0.0) -> Routing:
    """Decide whether an action goes to human review.

    Args:
        action: The action type.
        sample_share: Share of actions of this type to review (the trust-ramp level, 0-1).
        draw: A replay-safe uniform draw in [0, 1) (``workflow.random().random()``).
    """
    if not 0.0 <= sample_share <= 1.0:
        raise ValueError("sample_share must be between 0 and 1")
    if action.affects_people:
        return Routing(review=True, because="forced: decision significantly affects a person",
                       risk_tier=action.risk_tier, policy_version=POLICY_VERSION, forced=True)
    if action.risk_tier is RiskTier.HIGH:
        return Routing(review=True, because="forced: high-risk action", risk_tier=action.risk_tier,
                       policy_version=POLICY_VERSION, forced=True)
    sampled = draw < sample_share
    return Routing(review=sampled, because="sampled" if sampled else "not sampled",
                   risk_tier=action.risk_tier, policy_version=POLICY_VERSION, forced=False)
