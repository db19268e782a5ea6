"""Trust ramp: how much of one action type's output humans review, earned from measured error rates.

Pure functions over frozen dataclasses; no I/O, standard library only. The settings and the state are in
:mod:`~policies.trust_ramp.policy`, the statistics in :mod:`~policies.trust_ramp.bounds`, the moves (review
counted, promotion, burst, reset, pin, effective share) in :mod:`~policies.trust_ramp.ladder` and the admin page's
summary in :mod:`~policies.trust_ramp.status`; the names below are re-exported here, so callers write
``trust_ramp.record_review(...)``.

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

from policies.trust_ramp.bounds import BoundMethod, unreviewed_error_share, upper_bound
from policies.trust_ramp.ladder import (
    RampEvent,
    RampEventKind,
    effective_share,
    pin,
    record_review,
    reset_if_changed,
    samples_to_promote,
)
from policies.trust_ramp.policy import RAMP_POLICY_VERSION, RampPolicy, RampState, make_fingerprint
from policies.trust_ramp.status import RampStatus, clean_reviews_to_promote, errors_to_burst, ramp_status

__all__ = [
    "RAMP_POLICY_VERSION",
    "BoundMethod",
    "RampEvent",
    "RampEventKind",
    "RampPolicy",
    "RampState",
    "RampStatus",
    "clean_reviews_to_promote",
    "effective_share",
    "errors_to_burst",
    "make_fingerprint",
    "pin",
    "ramp_status",
    "record_review",
    "reset_if_changed",
    "samples_to_promote",
    "unreviewed_error_share",
    "upper_bound",
]
