"""What the admin page shows of one action type's trust ramp: level, evidence, bound, and what the next move takes."""

from __future__ import annotations

from dataclasses import dataclass

from policies.trust_ramp.bounds import unreviewed_error_share, upper_bound
from policies.trust_ramp.ladder import effective_share, level_index, samples_to_promote
from policies.trust_ramp.policy import RampPolicy, RampState


@dataclass(frozen=True, kw_only=True)
class RampStatus:
    """Everything the admin page shows for one action type."""

    action_type: str
    """Action type."""
    level: float
    """Ladder share (ignoring pins and people rules)."""
    effective_share: float
    """Share actually passed to review routing."""
    pinned: float | None
    """Admin pin, if any."""
    floor: float
    """Lowest share the ramp may reach."""
    next_level: float | None
    """Share after the next promotion; None at the floor or when pinned."""
    samples: int
    """Sampled reviews counted at this level."""
    errors: int
    """Errors among them."""
    observed_error_rate: float | None
    """``errors / samples``; None before any sample."""
    upper_bound: float
    """One-sided upper confidence bound of the error rate (1.0 before any sample)."""
    max_error_rate: float
    """Threshold the bound must be under for promotion."""
    clean_reviews_to_promote: int | None
    """Consecutive clean sampled reviews still needed to promote; None at the floor or when pinned."""
    errors_to_burst: int
    """Consecutive sampled errors that would now count as a burst (back to 100% review)."""
    unreviewed_error_bound: float
    """Upper bound of the share of actions that are errors nobody reviews at the effective share."""


def clean_reviews_to_promote(policy: RampPolicy, state: RampState) -> int | None:
    """How many more consecutive clean sampled reviews the next promotion needs.

    Args:
        policy: Ramp settings.
        state: Current ramp state.

    Returns:
        At least 1; None at the floor (no promotion possible) or while pinned.
    """
    if state.pinned is not None or level_index(policy, state) >= policy.floor_index:
        return None
    return max(1, samples_to_promote(policy, state.errors) - state.samples)


def errors_to_burst(policy: RampPolicy, state: RampState) -> int:
    """How many consecutive sampled errors would now be called a burst.

    Args:
        policy: Ramp settings.
        state: Current ramp state.

    Returns:
        At least 1.
    """
    llr, count = state.burst_llr, 0
    while llr < policy.burst_upper:  # the same additions record_review makes
        llr += policy.burst_step_error
        count += 1
    return max(1, count)


def ramp_status(policy: RampPolicy, state: RampState, *, affects_people: bool) -> RampStatus:
    """Summarise one action type's ramp for the admin page.

    Args:
        policy: Ramp settings.
        state: Current ramp state.
        affects_people: Whether the action significantly affects a person.

    Returns:
        The status.
    """
    index = level_index(policy, state)
    share = effective_share(policy, state, affects_people)
    bound = upper_bound(state.errors, state.samples, policy.confidence, policy.method)
    to_promote = clean_reviews_to_promote(policy, state)
    return RampStatus(
        action_type=policy.action_type, level=policy.levels[index], effective_share=share,
        pinned=state.pinned, floor=policy.floor,
        next_level=policy.levels[index + 1] if to_promote is not None else None,
        samples=state.samples, errors=state.errors,
        observed_error_rate=state.errors / state.samples if state.samples else None,
        upper_bound=bound, max_error_rate=policy.max_error_rate, clean_reviews_to_promote=to_promote,
        errors_to_burst=errors_to_burst(policy, state),
        unreviewed_error_bound=unreviewed_error_share(share, bound))
