"""Trust-ramp settings per action type (:class:`RampPolicy`) and where one stands on its ramp (:class:`RampState`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

from policies.trust_ramp.bounds import METHODS, BoundMethod

RAMP_POLICY_VERSION = "trust-ramp/1"
"""Version of these rules, recorded on every ramp event."""


@dataclass(frozen=True, kw_only=True)
class RampPolicy:
    """Trust-ramp settings for one action type (admin-editable, versioned)."""

    action_type: str
    """Action type these settings apply to, e.g. ``draft_onboarding_checklist``."""
    levels: tuple[float, ...] = (1.0, 0.5, 0.1)
    """Review shares from most to least review; strictly decreasing, first 1.0, all above 0."""
    max_error_rate: float = 0.02
    """Highest error rate (errors per sampled review) tolerated below 100% review."""
    floor: float = 0.1
    """Lowest share the ramp may reach; one of ``levels`` (1.0 for decisions about people)."""
    min_samples: int = 100
    """Sampled reviews needed at a level before promotion is possible at all."""
    confidence: float = 0.95
    """Confidence of the one-sided upper bound used for promotion."""
    method: BoundMethod = "clopper_pearson"
    """Upper-bound method: exact ``clopper_pearson`` or ``wilson`` score."""
    burst_p0_factor: float = 0.5
    """Acceptable error rate of the burst SPRT, as a multiple of ``max_error_rate``."""
    burst_p1_factor: float = 2.0
    """Bad error rate of the burst SPRT, as a multiple of ``max_error_rate``."""
    burst_alpha: float = 0.05
    """SPRT chance of calling a burst per test when the agent is at the acceptable rate."""
    burst_beta: float = 0.10
    """SPRT chance of accepting an agent per test when it is at the bad rate."""
    version: str = RAMP_POLICY_VERSION
    """Version of these settings, recorded on every ramp event."""

    def __post_init__(self) -> None:
        """Normalise ``levels`` to floats and reject settings the ramp cannot work with.

        Raises:
            ValueError: If any setting is out of range or inconsistent.
        """
        levels = tuple(float(level) for level in self.levels)
        object.__setattr__(self, "levels", levels)
        if not self.action_type:
            raise ValueError("action_type must not be empty")
        if not levels or levels[0] != 1.0:
            raise ValueError("levels must start at 1.0 (demotion goes back to 100% review)")
        if any(not 0.0 < level <= 1.0 for level in levels):
            raise ValueError("every level must be above 0 and at most 1 (a share of 0 measures nothing)")
        if any(later >= earlier for earlier, later in pairwise(levels)):
            raise ValueError("levels must be strictly decreasing")
        if self.floor not in levels:
            raise ValueError("floor must be one of levels")
        if not 0.0 < self.max_error_rate < 1.0:
            raise ValueError("max_error_rate must be between 0 and 1")
        if isinstance(self.min_samples, bool) or not isinstance(self.min_samples, int) or self.min_samples < 1:
            raise ValueError("min_samples must be a positive integer")
        if not 0.5 <= self.confidence < 1.0:
            raise ValueError("confidence must be at least 0.5 and below 1")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}")
        if not 0.0 < self.burst_p0 < self.burst_p1 < 1.0:
            raise ValueError("burst rates must satisfy 0 < p0 < p1 < 1")
        if not (0.0 < self.burst_alpha < 1.0 and 0.0 < self.burst_beta < 1.0
                and self.burst_alpha + self.burst_beta < 1.0):
            raise ValueError("burst_alpha and burst_beta must be in (0, 1) and sum to less than 1")
        if not self.version:
            raise ValueError("version must not be empty")

    @cached_property
    def floor_index(self) -> int:
        """Index of ``floor`` in ``levels``."""
        return self.levels.index(self.floor)

    @cached_property
    def burst_p0(self) -> float:
        """Acceptable error rate of the burst SPRT."""
        return self.burst_p0_factor * self.max_error_rate

    @cached_property
    def burst_p1(self) -> float:
        """Bad error rate of the burst SPRT."""
        return self.burst_p1_factor * self.max_error_rate

    @cached_property
    def burst_upper(self) -> float:
        """SPRT boundary ``log((1-beta)/alpha)``: at or above it, a burst."""
        return math.log((1.0 - self.burst_beta) / self.burst_alpha)

    @cached_property
    def burst_lower(self) -> float:
        """SPRT boundary ``log(beta/(1-alpha))``: at or below it, a new test starts."""
        return math.log(self.burst_beta / (1.0 - self.burst_alpha))

    @cached_property
    def burst_step_error(self) -> float:
        """Log-likelihood-ratio increment of an erroneous sampled review."""
        return math.log(self.burst_p1 / self.burst_p0)

    @cached_property
    def burst_step_clean(self) -> float:
        """Log-likelihood-ratio increment (negative) of a clean sampled review."""
        return math.log((1.0 - self.burst_p1) / (1.0 - self.burst_p0))


@dataclass(frozen=True, kw_only=True)
class RampState:
    """Where one action type stands on its ramp and the evidence behind it (stored per action type)."""

    level: int = 0
    """Index into ``RampPolicy.levels``; 0 is 100% review."""
    samples: int = 0
    """Randomly sampled reviews counted at this level."""
    errors: int = 0
    """Errors among those sampled reviews."""
    burst_llr: float = 0.0
    """Burst detector over recent sampled outcomes: the running log-likelihood ratio of the SPRT."""
    pinned: float | None = None
    """Share an admin pinned the action type to, or None."""
    fingerprint: str = ""
    """Model / prompt / policy versions the evidence belongs to (see :func:`make_fingerprint`)."""

    def __post_init__(self) -> None:
        """Reject impossible counts.

        Raises:
            ValueError: If counts or the pin are out of range.
        """
        if self.level < 0:
            raise ValueError("level must not be negative")
        if not 0 <= self.errors <= self.samples:
            raise ValueError("errors must be between 0 and samples")
        if self.pinned is not None and not 0.0 < self.pinned <= 1.0:
            raise ValueError("pinned must be above 0 and at most 1")


def make_fingerprint(*, model: str, prompt_version: str, policy_version: str) -> str:
    """Readable fingerprint of what produced the evidence; when it changes, the evidence is void.

    Args:
        model: Model identifier, e.g. ``openai:gpt-4.1`` or ``local-planner/1``.
        prompt_version: Version of the agent's prompt.
        policy_version: Version of the policies the agent acts under.

    Returns:
        ``model=...;prompt=...;policy=...``.
    """
    return f"model={model};prompt={prompt_version};policy={policy_version}"
