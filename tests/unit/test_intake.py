"""check_goal_text: bad goals get a sentence a manager can act on, good goals come back cleaned."""

from __future__ import annotations

from datetime import date

import pytest

from tools.goal_text.deadlines import MAX_WEEKS as MAX_DEADLINE_WEEKS
from tools.goal_text.errors import PlanningError
from tools.goal_text.intake import MAX_CHARS, MIN_CHARS, check_goal_text, separate_actions

TODAY = date(2025, 3, 10)


@pytest.mark.parametrize("text, message", [
    ("", "the goal is empty; describe what has to be achieved"),
    (" \n\t  \r\n ", "the goal is empty"),
    ("do it", f"the goal is too short (at least {MIN_CHARS} characters)"),
    ("  fix   it   now  ", "too short"),  # 18 characters raw, 10 once whitespace is collapsed
    ("Build the payments dashboard " * 80, f"the goal is too long (2319 characters, at most {MAX_CHARS})"),
    ("qwxz vrrbt plokj mnbvc zzxq ghjk", "most words of this goal are not ones the planner knows"),
    ("the and of with for the and of with", "most words of this goal are not ones the planner knows"),
    ("aa bb cc dd ee ff gg hh ii", "most words of this goal are not ones the planner knows"),
    ("Build 2025 1234 5678 9012 v2", "the goal needs a few more words"),
    ("do stuff and things now please", "the goal does not say what the work is about"),
    ("Launch the payments app by yesterday", "is not in the future"),
    ("Migrate the CRM to Salesforce, launch the new app, hire 20 engineers, renovate the Dublin office, run the "
     "SOX audit and organise the sales kick-off by Q3", "this reads as 6 goals in one"),
    ("Build the payments\x00 dashboard for finance", "the goal contains control characters"),
    ("Build the payments\x07 dashboard for finance", "control characters"),
    ("Build the payments \x1b[31mdashboard for finance", "control characters"),
    ("Migrate the payments ledger to the cloud within 900 years",
     f"is more than {MAX_DEADLINE_WEEKS} weeks away; split the goal"),
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
    ("DC move to 3PL by Q2", "DC move to 3PL by Q2"),  # abbreviations are read, not refused
    ("Hire and onboard 40 warehouse associates + 4 shift leads for the new Reno DC before peak season.",
     "Hire and onboard 40 warehouse associates + 4 shift leads for the new Reno DC before peak season."),
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


def test_one_goal_with_a_few_actions_is_one_goal() -> None:
    assert separate_actions("Hire and onboard 40 associates, then train them on the new WMS") == [
        "Hire", "onboard 40 associates", "train them on the"]
