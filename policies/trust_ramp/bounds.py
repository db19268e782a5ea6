"""The trust ramp's statistics: one-sided upper confidence bounds of an error rate, and how many reviews a bound needs.

Exact Clopper–Pearson (the regularized incomplete beta function, by continued fraction) or the Wilson score
bound; standard library only.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist
from typing import Literal

BoundMethod = Literal["clopper_pearson", "wilson"]
"""How the upper confidence bound of the error rate is computed."""

METHODS: tuple[BoundMethod, ...] = ("clopper_pearson", "wilson")
"""Every :data:`BoundMethod`."""


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
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")


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
def samples_needed(errors: int, max_error_rate: float, confidence: float, method: BoundMethod,
                   min_samples: int) -> int:
    """The smallest ``n >= min_samples`` with ``upper_bound(errors, n) < max_error_rate`` (cached per error count).

    Bisection over ``n``: the bound falls as ``n`` grows with ``errors`` fixed.
    """
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
