"""Trust ramp: how much of one action type's output humans review, earned from measured error rates.

Pure functions over frozen dataclasses; no I/O, standard library only.

The ladder is a tuple of review shares, ``(1.0, 0.5, 0.1)`` by default, per action type. The
current share goes to :func:`policies.review_routing.route_review` as ``sample_share`` (through
:func:`effective_share`), and the outcome of every review goes back through :func:`record_review`.

Promotion (one step down the ladder, e.g. 100% → 50%)
    Only randomly sampled reviews count (reviews forced by a rule are ignored: they are not a
    random sample of the agent's output). The agent moves one step down when, at the current
    level, at least ``min_samples`` sampled reviews were counted **and** the one-sided upper
    confidence bound of the error rate (exact Clopper–Pearson by default, Wilson score optional)
    is strictly below ``max_error_rate``. Never below ``floor``. Counts restart at every level
    change, so each level is earned on evidence gathered at that level.

    Because the bound for a fixed number of errors falls as the number of reviews grows, the check
    is done as ``samples >= samples_to_promote(policy, errors)`` (the smallest such count, cached
    per error count); the two formulations are equivalent.

    The bound is re-checked after every sampled review. Repeated looks make the chance that an
    agent exactly at ``max_error_rate`` is ever promoted larger than ``1 - confidence``; the
    burst detector below is what takes such an agent back to 100%.

Burst detection (demotion to 100% at once)
    A repeated Wald sequential probability ratio test over sampled reviews, between
    ``p0 = burst_p0_factor * max_error_rate`` (acceptable, 1% by default) and
    ``p1 = burst_p1_factor * max_error_rate`` (bad, 4% by default). Each sampled review adds
    ``log(p1/p0)`` (an error) or ``log((1-p1)/(1-p0))`` (a clean review) to a running log-likelihood
    ratio. When it reaches ``A = log((1-beta)/alpha)`` the agent goes back to 100% review at once
    and all counts restart; when it falls to ``B = log(beta/(1-alpha))`` the test accepts
    "acceptable" and a new test starts from 0. With the defaults (alpha 0.05, beta 0.10, 2%
    threshold) three errors within about 40 sampled reviews are a burst. At 100% review a crossing
    is reported as a burst but changes nothing else. The statistic carries over a promotion (recent
    errors still count) and restarts on demotion and on a fingerprint change.

Pins
    An admin can pin the share (:func:`pin`). A pin freezes promotion; evidence keeps being
    counted. Automatic safety actions override a pin below 100%: a burst and a fingerprint change
    clear it. A pin at 100% survives both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cached_property, lru_cache
from itertools import pairwise
from statistics import NormalDist
from typing import Literal

RAMP_POLICY_VERSION = "trust-ramp/1"
"""Version of these rules, recorded on every ramp event."""

BoundMethod = Literal["clopper_pearson", "wilson"]
"""How the upper confidence bound of the error rate is computed."""

_METHODS: tuple[BoundMethod, ...] = ("clopper_pearson", "wilson")


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
        if self.method not in _METHODS:
            raise ValueError(f"method must be one of {_METHODS}")
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


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta function ``I_x(a, b)`` for ``a, b > 0``."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def _binom_cdf(k: int, n: int, p: float) -> float:
    """``P(X <= k)`` for ``X ~ Binomial(n, p)``, ``0 <= k < n``."""
    return _betainc(n - k, k + 1, 1.0 - p)


def _z(confidence: float) -> float:
    """One-sided standard normal quantile."""
    return NormalDist().inv_cdf(confidence)


def _wilson_upper(errors: int, n: int, z: float) -> float:
    """Upper end of the Wilson score interval with quantile ``z``."""
    p_hat = errors / n
    z2 = z * z
    centre = p_hat + z2 / (2 * n)
    half = z * math.sqrt(p_hat * (1.0 - p_hat) / n + z2 / (4 * n * n))
    return min(1.0, (centre + half) / (1.0 + z2 / n))


def _check_counts(errors: int, n: int, confidence: float, method: str) -> None:
    if n < 0 or not 0 <= errors <= max(n, 0):
        raise ValueError("need 0 <= errors <= n")
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be between 0 and 1")
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}")


def upper_bound(errors: int, n: int, confidence: float = 0.95, method: BoundMethod = "clopper_pearson") -> float:
    """One-sided upper confidence bound of an error rate from ``errors`` out of ``n`` reviews.

    Clopper–Pearson is exact (never undercovers): the rate ``p`` at which seeing ``errors`` or
    fewer has probability ``1 - confidence``, found by bisection on the regularized incomplete beta
    function (closed form ``1 - (1-confidence)**(1/n)`` for 0 errors). Wilson is the closed-form
    score bound with the one-sided normal quantile; slightly less conservative.

    Args:
        errors: Errors observed.
        n: Reviews observed.
        confidence: One-sided confidence level, e.g. 0.95.
        method: ``"clopper_pearson"`` or ``"wilson"``.

    Returns:
        The bound in [0, 1]; 1.0 when ``n`` is 0.

    Raises:
        ValueError: If the counts, the confidence or the method are invalid.
    """
    _check_counts(errors, n, confidence, method)
    if n == 0:
        return 1.0
    if method == "wilson":
        return _wilson_upper(errors, n, _z(confidence))
    if errors == n:
        return 1.0
    alpha = 1.0 - confidence
    if errors == 0:
        return -math.expm1(math.log(alpha) / n)
    lo, hi = errors / n, 1.0  # P(X <= errors) falls from above alpha at p_hat to 0 at 1
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if _binom_cdf(errors, n, mid) > alpha:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-15:
            break
    return hi


def _bound_below(errors: int, n: int, threshold: float, confidence: float, method: BoundMethod) -> bool:
    """Whether ``upper_bound(errors, n) < threshold``, without the bisection."""
    if method == "wilson":
        return _wilson_upper(errors, n, _z(confidence)) < threshold
    if errors >= n:
        return False
    # The Clopper-Pearson bound is below the threshold exactly when, at the threshold, seeing this
    # few errors is less likely than 1 - confidence (the binomial CDF falls as p grows).
    return _binom_cdf(errors, n, threshold) < 1.0 - confidence


@lru_cache(maxsize=4096)
def _samples_needed(errors: int, max_error_rate: float, confidence: float, method: BoundMethod,
                    min_samples: int) -> int:
    # The bound is at least errors / n, so n must exceed errors / max_error_rate.
    lo = max(min_samples, errors + 1, math.floor(errors / max_error_rate) + 1)
    if _bound_below(errors, lo, max_error_rate, confidence, method):
        return lo
    hi = 2 * lo
    while not _bound_below(errors, hi, max_error_rate, confidence, method):
        lo, hi = hi, 2 * hi
    while hi - lo > 1:  # not below at lo, below at hi; the bound falls as n grows
        mid = (lo + hi) // 2
        if _bound_below(errors, mid, max_error_rate, confidence, method):
            hi = mid
        else:
            lo = mid
    return hi


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
    return _samples_needed(errors, policy.max_error_rate, policy.confidence, policy.method, policy.min_samples)


def _index(policy: RampPolicy, state: RampState) -> int:
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
    index = _index(policy, state)
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
    return policy.levels[_index(policy, state)]


def clean_reviews_to_promote(policy: RampPolicy, state: RampState) -> int | None:
    """How many more consecutive clean sampled reviews the next promotion needs.

    Args:
        policy: Ramp settings.
        state: Current ramp state.

    Returns:
        At least 1; None at the floor (no promotion possible) or while pinned.
    """
    if state.pinned is not None or _index(policy, state) >= policy.floor_index:
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


def unreviewed_error_share(level: float, error_rate: float) -> float:
    """Expected share of all actions that are errors going out without review at a level.

    ``(1 - level) * error_rate``: the average outgoing quality of sampling-plan literature. Divide
    by ``error_rate`` for the share of errors that go unreviewed (``1 - level``).

    Args:
        level: Review share, 0-1.
        error_rate: The agent's error rate, 0-1.

    Returns:
        The expected share, 0-1.

    Raises:
        ValueError: If an argument is outside 0-1.
    """
    if not (0.0 <= level <= 1.0 and 0.0 <= error_rate <= 1.0):
        raise ValueError("level and error_rate must be between 0 and 1")
    return (1.0 - level) * error_rate


def ramp_status(policy: RampPolicy, state: RampState, *, affects_people: bool) -> RampStatus:
    """Summarise one action type's ramp for the admin page.

    Args:
        policy: Ramp settings.
        state: Current ramp state.
        affects_people: Whether the action significantly affects a person.

    Returns:
        The status.
    """
    index = _index(policy, state)
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
