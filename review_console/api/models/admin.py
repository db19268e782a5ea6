"""API models: the trust ramp per action type and its versioned review policies."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from policies.ramp_store import LevelChange
from policies.review_routing import TimeoutDefault
from policies.trust_ramp import BoundMethod, RampStatus


class PinIn(BaseModel):
    """Pin a review share, or unpin with null."""

    share: float | None = Field(default=None, gt=0, le=1)
    """Share of actions to review (between the floor and 1), or null to let the ramp decide."""


class ReviewPolicyPublic(BaseModel):
    """An action type's review policy: the editable document (``PUT /api/admin/policies/{action_type}``)."""

    levels: list[float]
    """Review shares from most to least review."""
    max_error_rate: float
    """Highest error rate tolerated below 100% review."""
    floor: float
    """Lowest share the ramp may reach."""
    min_samples: int
    """Sampled reviews needed at a level before promotion."""
    confidence: float
    """Confidence of the upper bound used for promotion."""
    method: BoundMethod
    """Upper-bound method."""
    sla_seconds: int | None
    """Review SLA; None: the deployment's default."""
    max_escalations: int
    """Escalations before the timeout default applies."""
    timeout_default: TimeoutDefault
    """What happens to a review still undecided then: park, approve or reject."""
    bias_threshold: float
    """Impact ratios below this are bias-audit findings."""
    bias_action: Literal["flag", "block"]
    """What a robust finding does: flag it for the reviewer, or block the plan."""


class LevelChangePublic(LevelChange):
    """A point of an action type's review-level history."""


class TrustRampPublic(BaseModel):
    """One action type on the trust ramp: policy, level, evidence, bound, clean reviews to promote, history."""

    action_type: str
    """The action type."""
    risk_tier: str
    """Its risk tier."""
    affects_people: bool
    """Whether it decides about people (always reviewed)."""
    policy_version: str
    """Label of the policy in force."""
    policy: ReviewPolicyPublic
    """The policy in force."""
    changed_by: str | None
    """Who saved that policy version."""
    status: RampStatus
    """The ramp's figures."""
    history: list[LevelChangePublic]
    """Level over time (oldest first)."""


class PolicySaved(BaseModel):
    """A new version of an action type's review policy."""

    action_type: str
    """The action type."""
    version: int
    """Version saved."""
    policy: ReviewPolicyPublic
    """The policy as saved."""


class PinSaved(BaseModel):
    """An action type's pin after a change."""

    action_type: str
    """The action type."""
    pinned: float | None
    """The pinned review share; None: the ramp decides."""
