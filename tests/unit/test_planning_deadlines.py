"""read_deadline: the date a goal must be done by, and what was assumed to read it.

Every case is read on Sunday 6 December 2026, so "March" is March 2027 and "Q3" is 2027's.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from tools.goal_text.deadlines import (
    ASAP_WEEKS,
    DEFAULT_WEEKS,
    MAX_WEEKS,
    SPRINT_WEEKS,
    Deadline,
    DeadlineError,
    read_deadline,
)
from tools.goal_text.errors import PlanningError

TODAY = date(2026, 12, 6)  # a Sunday


def weeks_until(due: date) -> int:
    return math.ceil((due - TODAY).days / 7)


def read(text: str) -> Deadline:
    return read_deadline(text, TODAY)


# --- explicit deadlines: a date, no assumption -------------------------------------------------------------------


@pytest.mark.parametrize("text, due, phrase", [
    ("Stand up the fraud dashboard by 15 March", date(2027, 3, 15), "15 March"),
    ("Stand up the fraud dashboard by end of March", date(2027, 3, 31), "by end of March"),
    ("Stand up the fraud dashboard by the end of March", date(2027, 3, 31), "by the end of March"),
    ("Launch EU instant payments in Q3 2027", date(2027, 9, 30), "in Q3 2027"),
    ("Move the payroll before June", date(2027, 5, 31), "before June"),
    ("Close the books by year end", date(2026, 12, 31), "by year end"),
    ("Close the books by EOY", date(2026, 12, 31), "by EOY"),
    ("Ship the new pricing page next quarter", date(2027, 3, 31), "next quarter"),  # Q4 now: next is Q1 2027
    ("Cut over to the new ledger on 2027-02-01", date(2027, 2, 1), "2027-02-01"),
    ("Send the board pack by Friday", date(2026, 12, 11), "by Friday"),
    ("Finish the supplier review by Jan 10", date(2027, 1, 10), "Jan 10"),
])
def test_a_date_the_goal_gives_is_planned_for_as_it_stands(text: str, due: date, phrase: str) -> None:
    found = read(text)
    assert found.due == due
    assert found.weeks == weeks_until(due)
    assert found.phrase == phrase
    assert found.assumption is None, f"{text!r} gives its date outright; nothing should be assumed"


def test_within_6_weeks_is_six_weeks() -> None:
    found = read("Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks")
    assert (found.weeks, found.due, found.phrase, found.assumption) == (
        6, TODAY + timedelta(weeks=6), "within 6 weeks", None)


@pytest.mark.parametrize("text, weeks", [
    ("Roll the new rota out over two months", 9),  # 2 x 52/12 weeks = 61 days: into the ninth week
    ("Launch in six weeks' time", 6),
    ("Fix the returns backlog in 90 days", 13),
    ("Hire the analysts within the next 6 weeks", 6),
    ("Open the Porto branch within 3 years", MAX_WEEKS),
    ("Our churn dashboard is a mess - rebuild it so the exec team can trust the numbers, 8 weeks", 8),
    ("Rebuild the churn dashboard: six weeks.", 6),
])
def test_durations_in_words_or_figures(text: str, weeks: int) -> None:
    assert read(text).weeks == weeks


def test_a_duration_inside_a_clause_is_no_deadline() -> None:
    assert read("Migrate the EDW, 6 weeks of parallel running included, by Q3 2027").phrase == "by Q3 2027"


def test_a_number_hyphenated_to_a_word_after_a_month_is_no_day() -> None:
    """"starts 15 Feb. 12-month curriculum": the deadline is 15 February, not 12 February."""
    found = read("Nurse residency for 60 new-grad RNs, first cohort starts 15 Feb. 12-month curriculum")
    assert found.due == date(2027, 2, 15) and found.phrase == "15 Feb."


# --- readings that rest on an assumption, which the plan must state ----------------------------------------------


def test_by_q3_means_next_years_q3_and_says_so() -> None:
    found = read("Launch EU instant payments by Q3")
    assert found.due == date(2027, 9, 30)
    assert found.phrase == "by Q3"
    assert found.assumption is not None
    assert "2027" in found.assumption and "passed" in found.assumption
    assert found.assumption.startswith("“by Q3”")  # quotes the goal's own words


def test_by_august_is_read_as_before_the_first_of_august_and_says_so() -> None:
    found = read("Get the new returns process live by August")
    assert found.due == date(2027, 7, 31)
    assert found.phrase == "by August"
    assert found.assumption is not None
    assert found.assumption.startswith("“by August” read as before 01 August 2027")
    assert "end of August" in found.assumption  # tells the manager how to ask for the month's end instead


def test_in_the_next_sprint_assumes_a_sprint_length() -> None:
    found = read("Ship the checkout fix in the next sprint")
    assert found.weeks == 2 * SPRINT_WEEKS  # the current sprint, then the next one
    assert found.phrase == "in the next sprint"
    assert found.assumption is not None
    assert f"a sprint taken as {SPRINT_WEEKS} weeks" in found.assumption


@pytest.mark.parametrize("text, phrase, weeks", [
    ("Fix the card declines ASAP", "ASAP", ASAP_WEEKS),
    ("Move our warehouse pick-and-pack process to the new WMS before peak season", "before peak season",
     DEFAULT_WEEKS),
    ("Replace the meeting-room booking tool soon", "soon", DEFAULT_WEEKS),
])
def test_a_vague_deadline_becomes_weeks_with_an_assumption_quoting_it(text: str, phrase: str, weeks: int) -> None:
    found = read(text)
    assert found.weeks == weeks
    assert found.due == TODAY + timedelta(weeks=weeks)
    assert found.phrase == phrase
    assert found.assumption == f"assumed {weeks} weeks: “{phrase}” is not a date"


def test_no_deadline_means_twelve_weeks_and_says_none_was_given() -> None:
    found = read("Move payroll to the new HRIS")
    assert (found.weeks, found.phrase) == (DEFAULT_WEEKS, None)
    assert found.assumption is not None and "no deadline given" in found.assumption


# --- deadlines that cannot be planned for -------------------------------------------------------------------------


@pytest.mark.parametrize("text, message", [
    ("Send the audit evidence by yesterday", "not in the future"),
    ("Launch the loyalty app by 1 March 2020", "“1 March 2020” is not in the future"),
    ("Move the payroll to the new HRIS within 157 weeks", f"more than {MAX_WEEKS} weeks away"),
    ("Rebuild the head office in 4 years", "split the goal into stages"),
])
def test_a_past_or_too_distant_deadline_is_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(DeadlineError) as caught:
        read(text)
    assert isinstance(caught.value, PlanningError)  # the planner's one error type, shown to the manager
    assert message in str(caught.value)


def test_the_longest_allowed_horizon_is_accepted() -> None:
    assert read(f"Replace the ERP within {MAX_WEEKS} weeks").weeks == MAX_WEEKS


# --- several deadlines, and the goal's own words -------------------------------------------------------------------


def test_several_deadlines_plan_for_the_earliest_and_name_the_others() -> None:
    found = read("Migrate the CRM within 6 weeks, and have the reports moved by 15 March")
    assert found.weeks == 6 and found.phrase == "within 6 weeks"
    assert found.assumption is not None
    assert "“15 March”" in found.assumption
    assert "earliest" in found.assumption


def test_the_earliest_wins_whichever_comes_first_in_the_text() -> None:
    found = read("Launch the app by Q3 2027 or within 8 weeks if the vendor agrees")
    assert found.weeks == 8
    assert found.assumption is not None and "“by Q3 2027”" in found.assumption


@pytest.mark.parametrize("text, phrase", [
    ("Finish the Fit-Out By End Of March", "By End Of March"),
    ("Migrate the warehouse BEFORE Peak Season", "BEFORE Peak Season"),
    ("Launch EU instant payments By Q3 2027", "By Q3 2027"),
])
def test_the_phrase_is_returned_as_the_goal_wrote_it(text: str, phrase: str) -> None:
    assert read(text).phrase == phrase


def test_whitespace_in_the_goal_does_not_change_the_reading() -> None:
    assert read("Launch   the app\n within  6\tweeks") == read("Launch the app within 6 weeks")
