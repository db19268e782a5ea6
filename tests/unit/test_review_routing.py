"""route_review: people-affecting and high-risk actions are always reviewed; the rest is sampled."""

from __future__ import annotations

import pytest

from policies.review_routing import (
    DECOMPOSE_GOAL,
    POLICY_VERSION,
    PROPOSE_STAFFING,
    ActionType,
    RiskTier,
    route_review,
)

LOW = ActionType(name="tag_goal", risk_tier=RiskTier.LOW, affects_people=False)
MEDIUM = ActionType(name="reorder_tasks", risk_tier=RiskTier.MEDIUM, affects_people=False)
HIGH = ActionType(name="close_budget", risk_tier=RiskTier.HIGH, affects_people=False)
LOW_BUT_PEOPLE = ActionType(name="notify_employee", risk_tier=RiskTier.LOW, affects_people=True)

SHARES_AND_DRAWS = [(share, draw) for share in (0.0, 0.25, 1.0) for draw in (0.0, 0.24, 0.25, 0.999)]


def test_propose_staffing_is_a_high_risk_people_decision() -> None:
    assert PROPOSE_STAFFING.affects_people and PROPOSE_STAFFING.risk_tier is RiskTier.HIGH


@pytest.mark.parametrize("share, draw", SHARES_AND_DRAWS)
@pytest.mark.parametrize("action", [PROPOSE_STAFFING, LOW_BUT_PEOPLE], ids=lambda a: a.name)
def test_people_affecting_actions_are_always_reviewed(action: ActionType, share: float, draw: float) -> None:
    routing = route_review(action, sample_share=share, draw=draw)
    assert routing.review is True and routing.forced is True
    assert routing.because == "forced: decision significantly affects a person"
    assert routing.risk_tier is action.risk_tier


@pytest.mark.parametrize("share, draw", SHARES_AND_DRAWS)
def test_high_risk_actions_are_always_reviewed(share: float, draw: float) -> None:
    routing = route_review(HIGH, sample_share=share, draw=draw)
    assert routing.review is True and routing.forced is True
    assert routing.because == "forced: high-risk action"
    assert routing.risk_tier is RiskTier.HIGH


@pytest.mark.parametrize("action", [LOW, MEDIUM, DECOMPOSE_GOAL], ids=lambda a: a.name)
@pytest.mark.parametrize("share, draw, sampled", [
    (0.25, 0.0, True),
    (0.25, 0.2499, True),
    (0.25, 0.25, False),  # the draw must be strictly below the share
    (0.25, 0.9, False),
    (0.0, 0.0, False),  # a share of 0 never samples
    (1.0, 0.999999, True),  # a share of 1 always does
])
def test_lower_risk_actions_are_sampled(action: ActionType, share: float, draw: float, sampled: bool) -> None:
    routing = route_review(action, sample_share=share, draw=draw)
    assert routing.review is sampled
    assert routing.because == ("sampled" if sampled else "not sampled")
    assert routing.forced is False, "sampled routings count toward the trust ramp"
    assert routing.risk_tier is action.risk_tier


def test_defaults_review_everything() -> None:
    assert route_review(LOW).review is True
    assert route_review(DECOMPOSE_GOAL, draw=0.999).review is True


@pytest.mark.parametrize("share", [-0.01, 1.01, 2.0, float("nan"), float("inf")])
@pytest.mark.parametrize("action", [LOW, HIGH, PROPOSE_STAFFING], ids=lambda a: a.name)
def test_invalid_share_raises(action: ActionType, share: float) -> None:
    with pytest.raises(ValueError, match="sample_share must be between 0 and 1"):
        route_review(action, sample_share=share, draw=0.5)


@pytest.mark.parametrize("action", [PROPOSE_STAFFING, LOW_BUT_PEOPLE, HIGH, MEDIUM, LOW, DECOMPOSE_GOAL],
                         ids=lambda a: a.name)
@pytest.mark.parametrize("draw", [0.0, 0.5, 0.99])
def test_routing_carries_the_policy_version(action: ActionType, draw: float) -> None:
    routing = route_review(action, sample_share=0.5, draw=draw)
    assert routing.policy_version == POLICY_VERSION == "review-routing/1"
