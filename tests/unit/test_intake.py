"""check_goal_text: bad goals get a sentence a manager can act on, good goals come back cleaned."""

from __future__ import annotations

from datetime import date

import pytest

from agents.intake import MAX_CHARS, MIN_CHARS, check_goal_text
from agents.local_planner import MAX_DEADLINE_WEEKS, PlanningError

TODAY = date(2025, 3, 10)


@pytest.mark.parametrize("text, message", [
    ("", "the goal is empty; describe what has to be achieved"),
    (" \n\t  \r\n ", "the goal is empty"),
    ("do it", f"the goal is too short (at least {MIN_CHARS} characters)"),
    ("  fix   it   now  ", "too short"),  # 18 characters raw, 10 once whitespace is collapsed
    ("Build the payments dashboard " * 80, f"the goal is too long (2319 characters, at most {MAX_CHARS})"),
    ("qwxz vrrbt plokj mnbvc zzxq ghjk", "most words of this goal are unknown"),
    ("the and of with for the and of with", "most words of this goal are unknown"),
    ("aa bb cc dd ee ff gg hh ii", "at least three words describing the work"),
    ("Build 2025 1234 5678 9012 v2", "at least three words describing the work"),
    ("Build the payments\x00 dashboard for finance", "the goal contains control characters"),
    ("Build the payments\x07 dashboard for finance", "control characters"),
    ("Build the payments \x1b[31mdashboard for finance", "control characters"),
    ("Migrate the payments ledger to the cloud within 900 years",
     f"the deadline is more than {MAX_DEADLINE_WEEKS} weeks away; split the goal"),
])
def test_bad_goal_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(PlanningError) as caught:
        check_goal_text(text, TODAY)
    assert message in str(caught.value)


def test_planning_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        check_goal_text("", TODAY)


@pytest.mark.parametrize("raw, cleaned", [
    ("  Build   an analytics\n\tdashboard for sales  within 6 weeks ",
     "Build an analytics dashboard for sales within 6 weeks"),
    ("Consolidate our warehouses\r\nand cut shipping costs\n\nby end of year",
     "Consolidate our warehouses and cut shipping costs by end of year"),
    ("Launch instant payments for our customers within 8 weeks",
     "Launch instant payments for our customers within 8 weeks"),
])
def test_good_goal_comes_back_cleaned(raw: str, cleaned: str) -> None:
    assert check_goal_text(raw, TODAY) == cleaned
    assert check_goal_text(cleaned, TODAY) == cleaned, "cleaning is idempotent"


def test_length_limits_apply_to_the_cleaned_text() -> None:
    sentence = "Consolidate our warehouses and cut shipping costs. "
    long_goal = (sentence * (MAX_CHARS // len(sentence) + 1))[:MAX_CHARS].strip()
    padded = long_goal.replace(" ", "    ")  # far over the limit before whitespace is collapsed
    assert len(padded) > MAX_CHARS
    assert check_goal_text(padded, TODAY) == long_goal
