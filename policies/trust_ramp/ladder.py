"""The trust ramp's moves: a review counted, a promotion earned, a burst sending the level back to 100%, a reset,
a pin, and the share review routing gets."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from policies.trust_ramp.bounds import samples_needed, upper_bound
from policies.trust_ramp.policy import RampPolicy, RampState


class RampEventKind(StrEnum):
    """What a review did to the ramp."""

    IGNORED = "ignored"
    """A forced review: not counted."""
    COUNTED = "counted"
    """A sampled review was counted; the level did not change."""
    PROMOTED = "promoted"
    """The level moved one step down the ladder (less review)."""
    DEMOTED = "demoted"
    """An error burst took the level back to 100% review."""
    BURST = "burst"
    """An error burst while already at 100% review (a pin below 100% may have been cleared)."""


@dataclass(frozen=True, kw_only=True)
class RampEvent:
    """What one recorded review did, for the audit trail and the admin page."""

    kind: RampEventKind
    """What happened."""
    from_level: float
    """Ladder share before the review."""
    to_level: float
    """Ladder share after the review."""
    samples: int
    """Sampled reviews at the level before the review, including this one (the evidence used)."""
    errors: int
    """Errors among them."""
    upper_bound: float | None
    """Upper confidence bound of the error rate that allowed a promotion; None otherwise."""
    burst_llr: float
    """SPRT statistic after this review, before any restart (the value that decided a burst)."""
    pin_cleared: bool
    """Whether a burst cleared an admin pin below 100%."""
    reason: str
    """Human-readable explanation."""
    policy_version: str
    """Version of the ramp settings that decided."""


def samples_to_promote(policy: RampPolicy, errors: int) -> int:
    """Sampled reviews a level needs, with ``errors`` errors among them, before promotion.

    The smallest ``n >= min_samples`` with ``upper_bound(errors, n) < max_error_rate``. With the
    defaults (2%, 95%, Clopper–Pearson): 149 for 0 errors, 236 for 1, 313 for 2.

    Args:
        policy: Ramp settings.
        errors: Errors counted at the level.

    Returns:
        The number of sampled reviews.

    Raises:
        ValueError: If ``errors`` is negative.
    """
    if errors < 0:
        raise ValueError("errors must not be negative")
    return samples_needed(errors, policy.max_error_rate, policy.confidence, policy.method, policy.min_samples)


def level_index(policy: RampPolicy, state: RampState) -> int:
    """Current level index, clamped to the floor (levels or floor may have been edited since)."""
    return min(state.level, policy.floor_index)


def _moved(state: RampState, *, level: int, samples: int, errors: int, burst_llr: float,
           pinned: float | None) -> RampState:
    """``state`` with new ramp fields (a direct constructor call: ``replace`` is slow in a hot loop)."""
    return RampState(level=level, samples=samples, errors=errors, burst_llr=burst_llr, pinned=pinned,
                     fingerprint=state.fingerprint)


def record_review(policy: RampPolicy, state: RampState, *, error: bool, sampled: bool) -> tuple[RampState, RampEvent]:
    """Count one review outcome and move the ramp if the evidence says so.

    Args:
        policy: Ramp settings of the action type.
        state: Current ramp state of the action type.
        error: Whether the reviewer found the action wrong (rejected or had to edit it).
        sampled: Whether the review came from the random draw (``not Routing.forced``). Forced
            reviews are ignored: they are not a random sample of the agent's output.

    Returns:
        The new state and the event describing what happened.
    """
    index = level_index(policy, state)
    share = policy.levels[index]
    if not sampled:
        return state, RampEvent(
            kind=RampEventKind.IGNORED, from_level=share, to_level=share, samples=state.samples,
            errors=state.errors, upper_bound=None, burst_llr=state.burst_llr, pin_cleared=False,
            reason="forced review: not counted toward the ramp", policy_version=policy.version)

    samples = state.samples + 1
    errors = state.errors + (1 if error else 0)
    llr = state.burst_llr + (policy.burst_step_error if error else policy.burst_step_clean)

    if llr >= policy.burst_upper:
        pin_cleared = state.pinned is not None and state.pinned < 1.0
        pinned = None if pin_cleared else state.pinned
        top = policy.levels[0]
        if index > 0:
            new_state = _moved(state, level=0, samples=0, errors=0, burst_llr=0.0, pinned=pinned)
            kind, reason = RampEventKind.DEMOTED, f"error burst: back to {top:.0%} review"
        else:
            new_state = _moved(state, level=0, samples=samples, errors=errors, burst_llr=0.0, pinned=pinned)
            kind, reason = RampEventKind.BURST, f"error burst while at {top:.0%} review"
        if pin_cleared:
            reason += f"; admin pin at {state.pinned:.0%} cleared"
        return new_state, RampEvent(
            kind=kind, from_level=share, to_level=top, samples=samples, errors=errors, upper_bound=None,
            burst_llr=llr, pin_cleared=pin_cleared, reason=reason, policy_version=policy.version)

    next_llr = 0.0 if llr <= policy.burst_lower else llr  # "acceptable" accepted: start a new test
    # errors / samples < max_error_rate is necessary (the bound is never under the observed rate);
    # checking it first keeps samples_to_promote's cache to error counts that can matter.
    can_promote = (state.pinned is None and index < policy.floor_index
                   and errors < samples * policy.max_error_rate)
    if can_promote and samples >= samples_to_promote(policy, errors):
        bound = upper_bound(errors, samples, policy.confidence, policy.method)
        new_share = policy.levels[index + 1]
        return _moved(state, level=index + 1, samples=0, errors=0, burst_llr=next_llr, pinned=None), RampEvent(
            kind=RampEventKind.PROMOTED, from_level=share, to_level=new_share, samples=samples,
            errors=errors, upper_bound=bound, burst_llr=llr, pin_cleared=False,
            reason=(f"{errors} errors in {samples} sampled reviews: upper bound {bound:.2%} "
                    f"< {policy.max_error_rate:.2%}; review {share:.0%} → {new_share:.0%}"),
            policy_version=policy.version)
    return _moved(state, level=index, samples=samples, errors=errors, burst_llr=next_llr,
                  pinned=state.pinned), RampEvent(
        kind=RampEventKind.COUNTED, from_level=share, to_level=share, samples=samples, errors=errors,
        upper_bound=None, burst_llr=llr, pin_cleared=False,
        reason=f"{'error' if error else 'clean'} sampled review counted", policy_version=policy.version)


def reset_if_changed(state: RampState, fingerprint: str) -> RampState:
    """Void the evidence (back to 100% review) when the model, prompt or policy version changed.

    A pin at 100% survives; a pin below 100% is cleared (it would skip re-earning trust).

    Args:
        state: Current ramp state.
        fingerprint: Fingerprint of the agent as it runs now (:func:`make_fingerprint`).

    Returns:
        ``state`` itself when the fingerprint is unchanged, else a fresh state for ``fingerprint``.
    """
    if state.fingerprint == fingerprint:
        return state
    return RampState(fingerprint=fingerprint, pinned=state.pinned if state.pinned == 1.0 else None)


def pin(policy: RampPolicy, state: RampState, share: float | None) -> RampState:
    """Pin the action type to a review share (admin action), or unpin it with ``None``.

    Args:
        policy: Ramp settings (the pin may not go below ``floor``).
        state: Current ramp state.
        share: Share to pin to, between ``floor`` and 1, or None to unpin.

    Returns:
        The state with the pin set; the evidence is kept.

    Raises:
        ValueError: If ``share`` is below the floor or above 1.
    """
    if share is not None and not policy.floor <= share <= 1.0:
        raise ValueError(f"a pin must be between the floor ({policy.floor:.0%}) and 100%")
    return replace(state, pinned=share)


def effective_share(policy: RampPolicy, state: RampState, affects_people: bool) -> float:
    """The ``sample_share`` to pass to ``route_review`` for this action type.

    Args:
        policy: Ramp settings.
        state: Current ramp state.
        affects_people: Whether the action significantly affects a person; such actions are
            always fully reviewed whatever the ramp says.

    Returns:
        1.0 for people-affecting actions, else the pin (never below the floor), else the level.
    """
    if affects_people:
        return 1.0
    if state.pinned is not None:
        return max(state.pinned, policy.floor)
    return policy.levels[level_index(policy, state)]
