"""Capacity week by week (policies/capacity.py): the pure arithmetic over typed records, no database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from policies.capacity import Booking, Overbooking, Person, date_span, find_overbookings, refusal
from workflows.messages import Assignment

START = date(2026, 11, 30)  # week 0 of the goal (a Monday, but nothing depends on it)
ANA = Person(employee_id="E0042", name="Ana Silva", capacity_pct=100)
BO = Person(employee_id="E0007", name="Bo Lindqvist", capacity_pct=80)
PEOPLE = {p.employee_id: p for p in (ANA, BO)}


def a(task: str, who: str, fraction: float, start: int, end: int) -> Assignment:
    return Assignment(task_id=task, employee_id=who, fraction=fraction, start_week=start, end_week=end)


def other(who: str, fraction: float, first: date, end: date, goal: str = "g-other") -> Booking:
    return Booking(employee_id=who, goal_id=goal, task_id="T9", fraction=fraction, starts_on=first, ends_on=end)


def week(n: int) -> date:
    return START + timedelta(weeks=n)


def check(assignments: list[Assignment], stored: list[Booking] | None = None) -> list[Overbooking]:
    return find_overbookings(goal_starts_on=START, assignments=assignments, stored=stored or [], people=PEOPLE)


def test_nobody_over_capacity_means_nothing_found() -> None:
    assert check([a("T1", "E0042", 0.5, 0, 4), a("T2", "E0042", 0.5, 2, 6), a("T3", "E0007", 0.8, 0, 6)]) == []
    # exactly full is fine, even with shares that do not add up exactly in binary floating point
    assert check([a("T1", "E0042", 0.1, 0, 2), a("T2", "E0042", 0.2, 0, 2), a("T3", "E0042", 0.7, 0, 2)]) == []


def test_a_swap_putting_one_person_on_two_tasks_counts_both() -> None:
    found = check([a("T2", "E0042", 0.5, 1, 6), a("T4", "E0042", 0.55, 3, 9)])
    assert len(found) == 1
    o = found[0]
    assert (o.employee_id, o.name, o.first_week, o.last_week) == ("E0042", "Ana Silva", 3, 5)
    assert (o.starts_on, o.ends_on) == (week(3), week(6) - timedelta(days=1))
    assert (o.load_pct, o.capacity_pct, o.other_goals_pct, o.this_goal_pct, o.free_pct) == (105, 100, 0, 105, 100)
    assert [(t.task_id, t.pct) for t in o.tasks] == [("T2", 50), ("T4", 55)]
    assert o.weeks_label == "weeks 3–5 (21 Dec 2026 – 10 Jan 2027)"
    assert o.sentence() == ("Ana Silva (E0042) would be booked 105% in weeks 3–5 (21 Dec 2026 – 10 Jan 2027); "
                            "free capacity 100%; this goal puts them on T2 at 50% and T4 at 55%.")


def test_other_goals_bookings_count_and_only_overlapping_ones() -> None:
    stored = [other("E0042", 0.5, week(0), week(4)),
              other("E0042", 0.9, week(10), week(12)),   # after this goal's assignment: irrelevant
              other("E0007", 0.8, week(0), week(12))]    # Bo is not in this goal: irrelevant
    found = check([a("T3", "E0042", 0.55, 2, 8)], stored)
    assert [(o.first_week, o.last_week, o.load_pct, o.other_goals_pct, o.free_pct) for o in found] == [
        (2, 3, 105, 50, 50)]
    assert found[0].sentence() == ("Ana Silva (E0042) would be booked 105% in weeks 2–3 (14–27 Dec 2026); "
                                   "free capacity 50% (50% already booked on other goals); "
                                   "this goal puts them on T3 at 55%.")


def test_capacity_below_100_is_the_limit() -> None:
    found = check([a("T1", "E0007", 0.5, 0, 2)], [other("E0007", 0.4, week(1), week(3))])
    assert len(found) == 1
    o = found[0]
    assert (o.first_week, o.last_week, o.load_pct, o.capacity_pct, o.free_pct) == (1, 1, 90, 80, 40)
    assert o.sentence() == ("Bo Lindqvist (E0007) would be booked 90% in week 1 (7–13 Dec 2026); free capacity 40% "
                            "(capacity 80%, 40% already booked on other goals); this goal puts them on T1 at 50%.")
    assert check([a("T1", "E0007", 0.4, 0, 2)], [other("E0007", 0.4, week(1), week(3))]) == []


def test_a_week_counts_the_busiest_day_not_every_booking_that_touches_it() -> None:
    # another goal starts on a Thursday: its two back-to-back 60% bookings hand over mid-week
    thursday = START + timedelta(days=3)
    stored = [other("E0042", 0.6, thursday, thursday + timedelta(weeks=1)),
              other("E0042", 0.6, thursday + timedelta(weeks=1), thursday + timedelta(weeks=2))]
    assert check([a("T1", "E0042", 0.4, 0, 3)], stored) == []
    # but a booking overlapping this goal's week by a single day counts in that week
    one_day = [other("E0042", 0.6, week(2) + timedelta(days=6), week(2) + timedelta(days=7))]
    found = check([a("T1", "E0042", 0.5, 0, 4)], one_day)
    assert [(o.first_week, o.last_week, o.load_pct) for o in found] == [(2, 2, 110)]


def test_runs_split_where_the_load_falls_back_and_vary_inside() -> None:
    stored = [other("E0042", 0.6, week(0), week(2)), other("E0042", 0.7, week(2), week(3)),
              other("E0042", 0.6, week(5), week(6))]
    found = check([a("T1", "E0042", 0.5, 0, 7)], stored)
    assert [(o.first_week, o.last_week, o.load_pct, o.lowest_load_pct, o.free_pct) for o in found] == [
        (0, 2, 120, 110, 30), (5, 5, 110, 110, 40)]
    assert "would be booked up to 120% in weeks 0–2" in found[0].sentence()
    assert "would be booked 110% in week 5" in found[1].sentence()


def test_several_people_are_reported_in_id_order_and_unknown_people_are_skipped() -> None:
    found = check([a("T1", "E0042", 0.6, 0, 2), a("T2", "E0042", 0.6, 1, 2), a("T3", "E0007", 0.9, 0, 1),
                   a("T4", "E9999", 1.0, 0, 1), a("T5", "E9999", 1.0, 0, 1)])
    assert [(o.employee_id, o.first_week) for o in found] == [("E0007", 0), ("E0042", 1)]
    message = refusal(found)
    assert message.startswith("Bo Lindqvist (E0007) would be booked 90% in week 0 (30 Nov – 6 Dec 2026)")
    assert "Ana Silva (E0042) would be booked 120% in week 1 (7–13 Dec 2026)" in message
    assert message.endswith("swap in someone with free time, or reject the staffing.")


def test_tasks_named_are_only_those_in_the_run() -> None:
    found = check([a("T1", "E0042", 0.5, 0, 2), a("T2", "E0042", 0.6, 1, 3), a("T3", "E0042", 0.2, 5, 6)])
    assert [(o.first_week, o.last_week) for o in found] == [(1, 1)]
    assert [t.task_id for t in found[0].tasks] == ["T1", "T2"]


def test_fractional_percentages_are_shown_with_one_decimal() -> None:
    found = check([a("T1", "E0042", 1 / 3, 0, 1), a("T2", "E0042", 0.7, 0, 1)])
    assert "booked 103.3%" in found[0].sentence() and "T1 at 33.3%" in found[0].sentence()


@pytest.mark.parametrize("first, last, text", [
    (date(2026, 12, 21), date(2026, 12, 27), "21–27 Dec 2026"),
    (date(2026, 11, 30), date(2026, 12, 6), "30 Nov – 6 Dec 2026"),
    (date(2026, 12, 28), date(2027, 1, 3), "28 Dec 2026 – 3 Jan 2027"),
])
def test_date_spans_are_short(first: date, last: date, text: str) -> None:
    assert date_span(first, last) == text
