"""Trust ramp: known confidence bounds, promotion, floors, pins, resets and burst demotion."""

from __future__ import annotations

import math
import random

import pytest

from policies.review_routing import ActionType, RiskTier, route_review
from policies.trust_ramp import (
    RAMP_POLICY_VERSION,
    RampEventKind,
    RampPolicy,
    RampState,
    clean_reviews_to_promote,
    effective_share,
    errors_to_burst,
    make_fingerprint,
    pin,
    ramp_status,
    record_review,
    reset_if_changed,
    samples_to_promote,
    unreviewed_error_share,
    upper_bound,
)

POLICY = RampPolicy(action_type="draft_checklist")
PEOPLE = RampPolicy(action_type="propose_staffing", floor=1.0)
Z95 = 1.6448536269514722  # one-sided 95% standard normal quantile


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p), summed term by term (independent of the module's beta function)."""
    return math.fsum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))


def wilson_upper(k: int, n: int, z: float = Z95) -> float:
    """Closed-form upper end of the Wilson score interval."""
    p = k / n
    return (p + z * z / (2 * n) + z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)


def feed(policy: RampPolicy, state: RampState, outcomes: str) -> RampState:
    """Record sampled reviews: ``.`` clean, ``x`` error."""
    for outcome in outcomes:
        state, _ = record_review(policy, state, error=outcome == "x", sampled=True)
    return state


def at_level(policy: RampPolicy, index: int) -> RampState:
    """A state promoted to ``index`` by clean sampled reviews."""
    state = RampState()
    for _ in range(index):
        state = feed(policy, state, "." * samples_to_promote(policy, 0))
    assert state.level == index
    return state


# --- bounds -------------------------------------------------------------------------------------

@pytest.mark.parametrize("errors, n, expected, tolerance", [
    (0, 59, 0.0495, 1e-4),
    (0, 100, 0.0295, 1e-4),
    (1, 100, 0.0466, 1e-4),
    (0, 1, 0.95, 1e-12),
    (0, 149, 0.01991, 1e-5),
    (0, 148, 0.02004, 1e-5),
])
def test_clopper_pearson_known_values(errors: int, n: int, expected: float, tolerance: float) -> None:
    assert upper_bound(errors, n) == pytest.approx(expected, abs=tolerance)


@pytest.mark.parametrize("n", [1, 2, 10, 59, 100, 149, 1000, 100_000])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_clopper_pearson_zero_errors_closed_form(n: int, confidence: float) -> None:
    assert upper_bound(0, n, confidence) == pytest.approx(1 - (1 - confidence) ** (1 / n), rel=1e-12)


@pytest.mark.parametrize("errors, n", [(1, 100), (2, 50), (3, 20), (5, 200), (10, 1000), (1, 2), (49, 50), (40, 400)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_clopper_pearson_leaves_alpha_in_the_lower_tail(errors: int, n: int, confidence: float) -> None:
    bound = upper_bound(errors, n, confidence)
    assert errors / n < bound < 1
    assert binom_cdf(errors, n, bound) == pytest.approx(1 - confidence, abs=1e-9)


@pytest.mark.parametrize("errors, n", [(0, 1), (0, 59), (0, 100), (1, 100), (3, 20), (5, 200), (10, 1000), (7, 7)])
def test_wilson_matches_the_closed_formula(errors: int, n: int) -> None:
    assert upper_bound(errors, n, method="wilson") == pytest.approx(min(1.0, wilson_upper(errors, n)), rel=1e-12)


@pytest.mark.parametrize("method", ["clopper_pearson", "wilson"])
def test_no_evidence_and_all_errors_bound_at_one(method: str) -> None:
    assert upper_bound(0, 0, method=method) == 1.0  # type: ignore[arg-type]
    assert upper_bound(5, 5, method=method) == pytest.approx(1.0)  # type: ignore[arg-type]


def test_wilson_is_less_conservative_than_clopper_pearson() -> None:
    for errors, n in [(0, 59), (1, 100), (5, 200), (10, 1000)]:
        assert upper_bound(errors, n, method="wilson") < upper_bound(errors, n)


@pytest.mark.parametrize("errors, n, confidence, method", [
    (-1, 10, 0.95, "clopper_pearson"),
    (11, 10, 0.95, "clopper_pearson"),
    (0, -1, 0.95, "wilson"),
    (1, 10, 1.0, "clopper_pearson"),
    (1, 10, 0.0, "wilson"),
    (1, 10, 0.95, "jeffreys"),
])
def test_invalid_bound_arguments_raise(errors: int, n: int, confidence: float, method: str) -> None:
    with pytest.raises(ValueError):
        upper_bound(errors, n, confidence, method)  # type: ignore[arg-type]


# --- samples needed -----------------------------------------------------------------------------

@pytest.mark.parametrize("policy, errors, expected", [
    (POLICY, 0, 149),  # 1 - 0.05**(1/n) < 0.02  <=>  n > 148.3
    (POLICY, 1, 236),
    (RampPolicy(action_type="a", method="wilson", min_samples=1), 0, 133),  # z²/(n+z²) < 0.02 <=> n > 132.6
    (RampPolicy(action_type="a", max_error_rate=0.05, min_samples=1), 0, 59),  # 1 - 0.05**(1/59) = 0.0495
    (RampPolicy(action_type="a", max_error_rate=0.05, min_samples=100), 0, 100),  # min_samples binds
    (RampPolicy(action_type="a", max_error_rate=0.05, min_samples=1, confidence=0.99), 0, 90),
])
def test_samples_to_promote_known_values(policy: RampPolicy, errors: int, expected: int) -> None:
    assert samples_to_promote(policy, errors) == expected


@pytest.mark.parametrize("method", ["clopper_pearson", "wilson"])
@pytest.mark.parametrize("max_error_rate", [0.01, 0.02, 0.1])
@pytest.mark.parametrize("errors", [0, 1, 2, 5, 12])
def test_samples_to_promote_is_the_first_n_with_the_bound_under_the_threshold(
        method: str, max_error_rate: float, errors: int) -> None:
    policy = RampPolicy(action_type="a", max_error_rate=max_error_rate, min_samples=1, method=method)  # type: ignore[arg-type]
    n = samples_to_promote(policy, errors)
    assert upper_bound(errors, n, method=method) < max_error_rate  # type: ignore[arg-type]
    assert upper_bound(errors, n - 1, method=method) >= max_error_rate  # type: ignore[arg-type]


# --- promotion ----------------------------------------------------------------------------------

def test_clean_sampled_reviews_promote_down_to_the_floor_and_no_further() -> None:
    state = RampState()
    shares = []
    for _ in range(3 * 149):
        before = clean_reviews_to_promote(POLICY, state)
        state, event = record_review(POLICY, state, error=False, sampled=True)
        if event.kind is RampEventKind.PROMOTED:
            assert before == 1
            assert event.samples == 149 and event.errors == 0
            assert event.upper_bound is not None and event.upper_bound < POLICY.max_error_rate
            assert state.samples == 0 and state.errors == 0, "counts restart at every level change"
            shares.append(event.to_level)
    assert shares == [0.5, 0.1]
    assert state.level == 2 and state.samples == 149
    assert clean_reviews_to_promote(POLICY, state) is None
    assert effective_share(POLICY, state, False) == 0.1


def test_no_promotion_one_review_early() -> None:
    state = feed(POLICY, RampState(), "." * 148)
    assert state.level == 0 and clean_reviews_to_promote(POLICY, state) == 1
    state, event = record_review(POLICY, state, error=False, sampled=True)
    assert event.kind is RampEventKind.PROMOTED and state.level == 1


@pytest.mark.parametrize("outcomes, level, to_promote", [
    ("", 0, 149),
    ("." * 100, 0, 49),
    ("x" + "." * 99, 0, 136),  # 1 error: needs 236
    ("." * 100 + "x", 0, 135),  # the error came after 100 clean ones
    ("x" + "." * 235, 1, 149),  # promoted at exactly 236 with one error
])
def test_clean_reviews_to_promote(outcomes: str, level: int, to_promote: int) -> None:
    state = feed(POLICY, RampState(), outcomes)
    assert (state.level, clean_reviews_to_promote(POLICY, state)) == (level, to_promote)


def test_min_samples_binds_when_the_threshold_is_loose() -> None:
    policy = RampPolicy(action_type="a", max_error_rate=0.2, min_samples=100)
    assert feed(policy, RampState(), "." * 99).level == 0
    assert feed(policy, RampState(), "." * 100).level == 1


@pytest.mark.parametrize("floor, final", [(1.0, 0), (0.5, 1), (0.1, 2)])
def test_never_below_the_floor(floor: float, final: int) -> None:
    policy = RampPolicy(action_type="a", floor=floor)
    state = feed(policy, RampState(), "." * 2000)
    assert state.level == final
    assert effective_share(policy, state, False) == floor
    assert clean_reviews_to_promote(policy, state) is None


def test_people_decisions_stay_at_full_review() -> None:
    state = feed(PEOPLE, RampState(), "." * 1000)
    assert state.level == 0 and state.samples == 1000
    # whatever the state says, a people-affecting action is fully reviewed
    assert effective_share(POLICY, at_level(POLICY, 2), True) == 1.0
    assert effective_share(PEOPLE, state, True) == 1.0


def test_raising_the_floor_later_clamps_the_level() -> None:
    state = at_level(POLICY, 2)
    stricter = RampPolicy(action_type="draft_checklist", floor=0.5)
    assert effective_share(stricter, state, False) == 0.5
    state, event = record_review(stricter, state, error=False, sampled=True)
    assert event.from_level == 0.5 and state.level == 1


# --- forced reviews -----------------------------------------------------------------------------

@pytest.mark.parametrize("error", [True, False])
@pytest.mark.parametrize("level", [0, 1, 2])
def test_forced_reviews_do_not_count(error: bool, level: int) -> None:
    state = feed(POLICY, at_level(POLICY, level), "x.")
    new_state, event = record_review(POLICY, state, error=error, sampled=False)
    assert new_state == state
    assert event.kind is RampEventKind.IGNORED and event.upper_bound is None


def test_many_forced_errors_never_demote() -> None:
    state = at_level(POLICY, 2)
    for _ in range(100):
        state, _ = record_review(POLICY, state, error=True, sampled=False)
    assert state == at_level(POLICY, 2)


def test_route_review_forced_flag_drives_sampled() -> None:
    low = ActionType(name="draft_checklist", risk_tier=RiskTier.LOW, affects_people=False)
    high = ActionType(name="close_budget", risk_tier=RiskTier.HIGH, affects_people=False)
    state = at_level(POLICY, 1)
    for action in (low, high):
        routing = route_review(action, sample_share=effective_share(POLICY, state, action.affects_people), draw=0.2)
        assert routing.review
        new_state, event = record_review(POLICY, state, error=True, sampled=not routing.forced)
        assert (event.kind is RampEventKind.IGNORED) is (action is high)
        assert (new_state.errors == 1) is (action is low)


# --- burst demotion (SPRT) ----------------------------------------------------------------------

def test_sprt_boundaries_and_steps() -> None:
    assert POLICY.burst_p0 == pytest.approx(0.01) and POLICY.burst_p1 == pytest.approx(0.04)
    assert POLICY.burst_upper == pytest.approx(math.log(0.9 / 0.05))
    assert POLICY.burst_lower == pytest.approx(math.log(0.1 / 0.95))
    assert POLICY.burst_step_error == pytest.approx(math.log(4))
    assert POLICY.burst_step_clean == pytest.approx(math.log(0.96 / 0.99))


@pytest.mark.parametrize("level", [1, 2])
@pytest.mark.parametrize("outcomes, demoted", [
    ("xx", False),
    ("xxx", True),
    ("x" + "." * 20 + "x" + "." * 20 + "x", True),  # three errors within ~40 sampled reviews
    ("x" + "." * 30 + "x" + "." * 30 + "x", False),  # spread out: not a burst
    ("." * 73 + "xxx", False),  # 73 clean reviews pull the statistic down: a fourth error is needed
    ("." * 74 + "xxx", True),  # the 74th accepts "acceptable" and restarts the test from 0
])
def test_error_burst_demotes_to_full_review_at_once(level: int, outcomes: str, demoted: bool) -> None:
    state = RampState(level=level)
    events = []
    for outcome in outcomes:
        state, event = record_review(POLICY, state, error=outcome == "x", sampled=True)
        events.append(event)
    assert (events[-1].kind is RampEventKind.DEMOTED) is demoted
    if demoted:
        assert events[-1].to_level == 1.0 and events[-1].burst_llr >= POLICY.burst_upper
        assert state == RampState(), "level, counts and the SPRT restart"
    else:
        assert state.level == level


def test_sprt_restarts_after_accepting_acceptable() -> None:
    steps = math.ceil(POLICY.burst_lower / POLICY.burst_step_clean)  # 74 clean reviews
    assert steps == 74
    state = feed(POLICY, RampState(), "." * (steps - 1))
    assert POLICY.burst_lower < state.burst_llr < 0
    assert errors_to_burst(POLICY, state) == 4
    state = feed(POLICY, state, ".")
    assert state.burst_llr == 0.0
    assert errors_to_burst(POLICY, state) == 3


def test_burst_at_full_review_keeps_the_evidence() -> None:
    state = feed(POLICY, RampState(), ".." + "xx")
    state, event = record_review(POLICY, state, error=True, sampled=True)
    assert event.kind is RampEventKind.BURST and event.to_level == 1.0
    assert (state.level, state.samples, state.errors, state.burst_llr) == (0, 5, 3, 0.0)


def test_sprt_statistic_carries_over_a_promotion() -> None:
    state, event = record_review(POLICY, RampState(samples=148, burst_llr=2.7), error=False, sampled=True)
    assert event.kind is RampEventKind.PROMOTED
    assert state.level == 1 and state.samples == 0 and state.burst_llr == pytest.approx(2.7 + POLICY.burst_step_clean)
    assert errors_to_burst(POLICY, state) == 1
    state, event = record_review(POLICY, state, error=True, sampled=True)
    assert event.kind is RampEventKind.DEMOTED


def test_an_agent_at_half_the_threshold_rarely_bursts() -> None:
    rng = random.Random(7)
    state, demotions = at_level(POLICY, 2), 0
    for _ in range(20_000):
        state, event = record_review(POLICY, state, error=rng.random() < 0.005, sampled=True)
        demotions += event.kind is RampEventKind.DEMOTED
    assert demotions <= 3


def test_an_agent_at_four_times_the_threshold_is_caught_quickly() -> None:
    rng = random.Random(11)
    for _ in range(50):
        state = at_level(POLICY, 2)
        count = 0
        while state.level:
            count += 1
            state, _ = record_review(POLICY, state, error=rng.random() < 0.08, sampled=True)
        assert count < 300


# --- pins ---------------------------------------------------------------------------------------

def test_pin_freezes_promotion_and_sets_the_share() -> None:
    state = pin(POLICY, RampState(), 0.5)
    assert effective_share(POLICY, state, False) == 0.5
    assert clean_reviews_to_promote(POLICY, state) is None
    state = feed(POLICY, state, "." * 500)
    assert state.level == 0 and state.samples == 500, "evidence keeps being counted"
    state, event = record_review(POLICY, pin(POLICY, state, None), error=False, sampled=True)
    assert event.kind is RampEventKind.PROMOTED


def test_pin_at_full_review_survives_a_burst() -> None:
    state = pin(POLICY, at_level(POLICY, 2), 1.0)
    assert effective_share(POLICY, state, False) == 1.0
    state, event = record_review(POLICY, feed(POLICY, state, "xx"), error=True, sampled=True)
    assert event.kind is RampEventKind.DEMOTED and not event.pin_cleared
    assert state.pinned == 1.0


@pytest.mark.parametrize("level, kind", [(0, RampEventKind.BURST), (2, RampEventKind.DEMOTED)])
def test_burst_clears_a_pin_below_full_review(level: int, kind: RampEventKind) -> None:
    state = pin(POLICY, at_level(POLICY, level), 0.1)
    state, event = record_review(POLICY, feed(POLICY, state, "xx"), error=True, sampled=True)
    assert event.kind is kind and event.pin_cleared and "pin" in event.reason
    assert state.pinned is None and effective_share(POLICY, state, False) == 1.0


@pytest.mark.parametrize("policy, share", [(POLICY, 0.05), (POLICY, 1.5), (PEOPLE, 0.5), (POLICY, math.nan)])
def test_pin_outside_floor_and_full_review_is_refused(policy: RampPolicy, share: float) -> None:
    with pytest.raises(ValueError, match="pin"):
        pin(policy, RampState(), share)


# --- fingerprint reset --------------------------------------------------------------------------

FP_A = make_fingerprint(model="local-planner/1", prompt_version="p3", policy_version="review-routing/1")


@pytest.mark.parametrize("changed", [
    {"model": "openai:gpt-4.1"}, {"prompt_version": "p4"}, {"policy_version": "review-routing/2"},
])
def test_model_prompt_or_policy_change_resets_the_evidence(changed: dict[str, str]) -> None:
    fields = {"model": "local-planner/1", "prompt_version": "p3", "policy_version": "review-routing/1"} | changed
    new_fp = make_fingerprint(**fields)
    assert new_fp != FP_A
    state = feed(POLICY, RampState(fingerprint=FP_A), "." * 400)
    assert state.level == 2
    reset = reset_if_changed(state, new_fp)
    assert reset == RampState(fingerprint=new_fp)
    assert effective_share(POLICY, reset, False) == 1.0


def test_same_fingerprint_keeps_the_state() -> None:
    state = feed(POLICY, RampState(fingerprint=FP_A), "." * 200)
    assert reset_if_changed(state, FP_A) is state


@pytest.mark.parametrize("pinned, kept", [(1.0, 1.0), (0.5, None), (None, None)])
def test_reset_keeps_only_a_full_review_pin(pinned: float | None, kept: float | None) -> None:
    state = RampState(level=2, samples=10, fingerprint=FP_A, pinned=pinned)
    assert reset_if_changed(state, "other").pinned == kept


# --- helpers for the admin page -----------------------------------------------------------------

@pytest.mark.parametrize("level, rate, expected", [
    (1.0, 0.05, 0.0),
    (0.5, 0.02, 0.01),
    (0.1, 0.02, 0.018),
    (0.1, 0.005, 0.0045),
    (0.0, 0.08, 0.08),
])
def test_unreviewed_error_share(level: float, rate: float, expected: float) -> None:
    assert unreviewed_error_share(level, rate) == pytest.approx(expected)


@pytest.mark.parametrize("level, rate", [(-0.1, 0.02), (1.1, 0.02), (0.5, -0.01), (0.5, 1.5), (math.nan, 0.1)])
def test_unreviewed_error_share_rejects_out_of_range(level: float, rate: float) -> None:
    with pytest.raises(ValueError):
        unreviewed_error_share(level, rate)


@pytest.mark.parametrize("policy, state, affects_people, expected", [
    (POLICY, RampState(), False, 1.0),
    (POLICY, RampState(level=1), False, 0.5),
    (POLICY, RampState(level=2), False, 0.1),
    (POLICY, RampState(level=2), True, 1.0),
    (POLICY, RampState(level=2, pinned=1.0), False, 1.0),
    (POLICY, RampState(level=0, pinned=0.5), False, 0.5),
    (POLICY, RampState(level=0, pinned=0.05), False, 0.1),  # a pin stored below the floor is lifted
    (POLICY, RampState(level=7), False, 0.1),  # levels were shortened since
    (PEOPLE, RampState(level=2), False, 1.0),
])
def test_effective_share(policy: RampPolicy, state: RampState, affects_people: bool, expected: float) -> None:
    assert effective_share(policy, state, affects_people) == expected


def test_ramp_status() -> None:
    state = feed(POLICY, RampState(), "x" + "." * 99)
    status = ramp_status(POLICY, state, affects_people=False)
    assert (status.level, status.effective_share, status.next_level) == (1.0, 1.0, 0.5)
    assert (status.samples, status.errors, status.observed_error_rate) == (100, 1, 0.01)
    assert status.upper_bound == pytest.approx(0.0466, abs=1e-4)
    assert status.clean_reviews_to_promote == 136
    assert status.unreviewed_error_bound == 0.0
    status = ramp_status(POLICY, at_level(POLICY, 2), affects_people=False)
    assert status.next_level is None and status.clean_reviews_to_promote is None
    assert status.unreviewed_error_bound == pytest.approx(0.9, rel=1e-9), "no evidence yet at 10%: bound 1.0"
    assert status.errors_to_burst == 3
    assert ramp_status(POLICY, RampState(), affects_people=True).effective_share == 1.0


def test_events_carry_the_policy_version() -> None:
    _, event = record_review(POLICY, RampState(), error=False, sampled=True)
    assert event.policy_version == RAMP_POLICY_VERSION == "trust-ramp/1"
    custom = RampPolicy(action_type="a", version="trust-ramp/1+admin-2026-11-03")
    assert record_review(custom, RampState(), error=True, sampled=False)[1].policy_version == custom.version


# --- validation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    {"action_type": ""},
    {"levels": ()},
    {"levels": (0.5, 0.1), "floor": 0.1},
    {"levels": (1.0, 0.5, 0.5), "floor": 0.5},
    {"levels": (1.0, 0.1, 0.5)},
    {"levels": (1.0, 0.5, 0.0), "floor": 0.0},
    {"floor": 0.2},
    {"max_error_rate": 0.0},
    {"max_error_rate": 0.6},  # p1 = 1.2
    {"min_samples": 0},
    {"confidence": 1.0},
    {"confidence": 0.4},
    {"method": "exact"},
    {"burst_p0_factor": 2.0, "burst_p1_factor": 1.0},
    {"burst_alpha": 0.6, "burst_beta": 0.5},
    {"version": ""},
])
def test_invalid_policies_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        RampPolicy(**({"action_type": "a"} | kwargs))  # type: ignore[arg-type]


def test_levels_from_a_json_list_are_normalised() -> None:
    policy = RampPolicy(action_type="a", levels=[1, 0.25], floor=0.25)  # type: ignore[arg-type]
    assert policy.levels == (1.0, 0.25) and policy.floor_index == 1


@pytest.mark.parametrize("kwargs", [{"level": -1}, {"samples": 3, "errors": 4}, {"errors": -1}, {"pinned": 0.0}])
def test_invalid_states_are_refused(kwargs: dict[str, int | float]) -> None:
    with pytest.raises(ValueError):
        RampState(**kwargs)  # type: ignore[arg-type]
