"""Capacity week by week: would a goal's assignments book anyone past their capacity?

Weeks are the goal's own weeks, counted from its ``starts_on`` date (week ``k`` is the seven days from
``starts_on + 7k``), the same weeks its tasks and assignments use. Other goals' stored assignments have their own
dates (each goal starts on its own day), so a week's load is the highest load on any *day* of that week: the
shares of this goal's assignments that cover the week plus the shares of other goals' assignments that cover
that day. Two bookings that hand over in the middle of a week are therefore not added up, while anything that
overlaps on a single day is. Shares are counted in basis points (1/100 of a percent), so 50% + 50% is exactly
100% and never 100.0000001%.

The arithmetic (:func:`find_overbookings`) is pure, over the typed records below; :func:`check_goal` reads
what it needs from Postgres and :func:`lock_employees` serialises writers per employee.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from infra.db import Connection

BASIS = 10_000
"""Basis points in a whole (100%)."""
_WEEK = timedelta(days=7)
_DAY = timedelta(days=1)


class ProposedAssignment(Protocol):
    """What the check needs of an assignment of the goal (``workflows.messages.Assignment`` has it)."""

    @property
    def task_id(self) -> str:
        """Task within the goal."""

    @property
    def employee_id(self) -> str:
        """Who."""

    @property
    def fraction(self) -> float:
        """Share of their time, 0-1."""

    @property
    def start_week(self) -> int:
        """First week, relative to the goal's start."""

    @property
    def end_week(self) -> int:
        """Week it ends (exclusive)."""


@dataclass(frozen=True, kw_only=True)
class Person:
    """Someone who may be booked, with their capacity."""

    employee_id: str
    """Employee id."""
    name: str
    """Display name."""
    capacity_pct: int
    """Share of their time that may be booked at all, in percent (``employees.capacity_pct``)."""


@dataclass(frozen=True, kw_only=True)
class Booking:
    """A stored assignment of another goal: a share of someone's time between two dates."""

    employee_id: str
    """Who."""
    goal_id: str
    """Goal it belongs to."""
    task_id: str
    """Task of that goal."""
    fraction: float
    """Share of their time, 0-1."""
    starts_on: date
    """First day."""
    ends_on: date
    """Day it ends (exclusive)."""


@dataclass(frozen=True, kw_only=True)
class TaskShare:
    """One of this goal's tasks someone would work on during an overbooked run of weeks."""

    task_id: str
    """Task within the goal."""
    pct: float
    """Share of their time on it, in percent."""


@dataclass(frozen=True, kw_only=True)
class Overbooking:
    """Someone booked past their capacity in a run of consecutive weeks of the goal."""

    employee_id: str
    """Employee id."""
    name: str
    """Display name."""
    first_week: int
    """First overbooked week of the run (the goal's week number)."""
    last_week: int
    """Last overbooked week of the run (inclusive)."""
    starts_on: date
    """First day of ``first_week``."""
    ends_on: date
    """Last day of ``last_week`` (inclusive)."""
    load_pct: float
    """Highest load in the run, in percent: other goals plus this goal."""
    lowest_load_pct: float
    """Lowest load among the run's weeks (equal to ``load_pct`` when the load is the same throughout)."""
    capacity_pct: float
    """Their capacity, in percent."""
    other_goals_pct: float
    """Highest share already booked on other goals on any day of the run, in percent."""
    this_goal_pct: float
    """Highest share this goal's assignments take in any week of the run, in percent."""
    tasks: tuple[TaskShare, ...]
    """This goal's tasks that put them in those weeks, in task order."""

    @property
    def free_pct(self) -> float:
        """What was free for this goal in the run: capacity minus other goals' bookings (never below 0)."""
        return max(0.0, self.capacity_pct - self.other_goals_pct)

    @property
    def weeks_label(self) -> str:
        """``weeks 3–5 (21 Dec 2026 – 10 Jan 2027)`` or ``week 3 (21–27 Dec 2026)``."""
        weeks = (f"week {self.first_week}" if self.first_week == self.last_week
                 else f"weeks {self.first_week}–{self.last_week}")
        return f"{weeks} ({date_span(self.starts_on, self.ends_on)})"

    def sentence(self) -> str:
        """The refusal in plain words, e.g. ``Ana Silva (E0042) would be booked 105% in weeks 3–5 (…); free
        capacity 50% (50% already booked on other goals); this goal puts them on T3 at 55%.``"""
        load = _pct(self.load_pct)
        if self.lowest_load_pct != self.load_pct:
            load = "up to " + load
        known: list[str] = []
        if self.capacity_pct != 100:
            known.append(f"capacity {_pct(self.capacity_pct)}")
        if self.other_goals_pct > 0:
            known.append(f"{_pct(self.other_goals_pct)} already booked on other goals")
        detail = f" ({', '.join(known)})" if known else ""
        on = [f"{t.task_id} at {_pct(t.pct)}" for t in self.tasks]
        tasks = on[0] if len(on) == 1 else ", ".join(on[:-1]) + " and " + on[-1]
        return (f"{self.name} ({self.employee_id}) would be booked {load} in {self.weeks_label}; "
                f"free capacity {_pct(self.free_pct)}{detail}; this goal puts them on {tasks}.")


def refusal(found: Sequence[Overbooking]) -> str:
    """One message for every overbooking found, with what to do about it."""
    return (" ".join(o.sentence() for o in found)
            + " Nobody may be booked past their capacity: swap in someone with free time, or reject the staffing.")


def _bp(fraction: float) -> int:
    """A share (0-1) in basis points."""
    return round(fraction * BASIS)


def _pct(value: float) -> str:
    """``105%``, ``33.3%``."""
    return f"{round(value, 1):g}%"


def date_span(first: date, last: date) -> str:
    """Days ``first`` to ``last`` (inclusive) in few words: ``21–27 Dec 2026``, ``30 Nov – 6 Dec 2026``,
    ``28 Dec 2026 – 3 Jan 2027``."""
    if first.year != last.year:
        return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"
    if first.month != last.month:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{first.day}–{last.day} {last:%b %Y}"


def find_overbookings(
    *,
    goal_starts_on: date,
    assignments: Sequence[ProposedAssignment],
    stored: Iterable[Booking],
    people: Mapping[str, Person],
) -> list[Overbooking]:
    """Everyone the goal's assignments would book past their capacity, in runs of consecutive weeks.

    Args:
        goal_starts_on: Date of the goal's week 0.
        assignments: All of the goal's assignments as they would execute (one person may be on several tasks:
            they add up).
        stored: Other goals' stored assignments of the people concerned (this goal's own stored rows must not
            be among them: executing replaces them). Bookings of people not in ``assignments`` are ignored.
        people: The people concerned by id; someone missing is not checked (an unknown employee is refused
            elsewhere).

    Returns:
        Per employee (by id) and run of weeks (in order), what is overbooked; empty when everyone fits.
    """
    others: dict[str, list[Booking]] = {}
    for b in stored:
        others.setdefault(b.employee_id, []).append(b)
    found: list[Overbooking] = []
    for employee_id in sorted({a.employee_id for a in assignments}):
        person = people.get(employee_id)
        if person is None:
            continue
        mine = [a for a in assignments if a.employee_id == employee_id]
        capacity = person.capacity_pct * BASIS // 100
        over: list[tuple[int, int, int]] = []  # (week, this goal, other goals) of overbooked weeks
        for week in sorted({w for a in mine for w in range(a.start_week, a.end_week)}):
            this_goal = sum(_bp(a.fraction) for a in mine if a.start_week <= week < a.end_week)
            first_day = goal_starts_on + week * _WEEK
            other_goals = max(
                sum(_bp(b.fraction) for b in others.get(employee_id, ()) if b.starts_on <= day < b.ends_on)
                for day in (first_day + n * _DAY for n in range(7)))
            if this_goal + other_goals > capacity:
                over.append((week, this_goal, other_goals))
        for run in _runs(over):
            first, last = run[0][0], run[-1][0]
            loads = [t + o for _, t, o in run]
            tasks = tuple(TaskShare(task_id=a.task_id, pct=_bp(a.fraction) / 100) for a in mine
                          if a.start_week <= last and first < a.end_week)
            found.append(Overbooking(
                employee_id=employee_id, name=person.name, first_week=first, last_week=last,
                starts_on=goal_starts_on + first * _WEEK, ends_on=goal_starts_on + (last + 1) * _WEEK - _DAY,
                load_pct=max(loads) / 100, lowest_load_pct=min(loads) / 100, capacity_pct=capacity / 100,
                other_goals_pct=max(o for _, _, o in run) / 100, this_goal_pct=max(t for _, t, _ in run) / 100,
                tasks=tasks))
    return found


def _runs(weeks: list[tuple[int, int, int]]) -> list[list[tuple[int, int, int]]]:
    """Consecutive weeks grouped (the input is in week order)."""
    runs: list[list[tuple[int, int, int]]] = []
    for item in weeks:
        if runs and runs[-1][-1][0] + 1 == item[0]:
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


_PEOPLE_SQL = "SELECT employee_id, name, capacity_pct FROM employees WHERE employee_id = ANY($1::text[])"
_BOOKINGS_SQL = """
SELECT employee_id, goal_id, task_id, fraction, starts_on, ends_on FROM assignments
WHERE employee_id = ANY($1::text[]) AND goal_id <> $2 AND starts_on < $4::date AND $3::date < ends_on
  AND state NOT IN ('declined', 'withdrawn')
"""


async def check_goal(conn: Connection, goal_id: str,
                     assignments: Sequence[ProposedAssignment]) -> list[Overbooking]:
    """Who the goal's assignments would book past their capacity, given what other goals have stored.

    Reads without locking: call :func:`lock_employees` first in the transaction that then writes.

    Raises:
        LookupError: There is no such goal.
    """
    starts_on: date | None = await conn.fetchval("SELECT starts_on FROM goals WHERE goal_id = $1", goal_id)
    if starts_on is None:
        raise LookupError(f"no goal {goal_id!r}")
    if not assignments:
        return []
    ids = sorted({a.employee_id for a in assignments})
    people = {r["employee_id"]: Person(employee_id=r["employee_id"], name=r["name"], capacity_pct=r["capacity_pct"])
              for r in await conn.fetch(_PEOPLE_SQL, ids)}
    window_start = starts_on + min(a.start_week for a in assignments) * _WEEK
    window_end = starts_on + max(a.end_week for a in assignments) * _WEEK
    stored = [Booking(employee_id=r["employee_id"], goal_id=r["goal_id"], task_id=r["task_id"],
                      fraction=float(r["fraction"]), starts_on=r["starts_on"], ends_on=r["ends_on"])
              for r in await conn.fetch(_BOOKINGS_SQL, ids, goal_id, window_start, window_end)]
    return find_overbookings(goal_starts_on=starts_on, assignments=assignments, stored=stored, people=people)


LOCK_NAMESPACE = "talentops.capacity:"
"""Prefix of the advisory-lock keys (``hashtextextended(prefix || employee id, 0)``)."""


async def lock_employees(conn: Connection, employee_ids: Iterable[str]) -> None:
    """Take a transaction-level advisory lock per employee, in sorted order (so two writers never deadlock).

    Whoever stores assignments takes these before :func:`check_goal`, so a second writer for the same person
    waits until the first commits and then sees its rows. Must run inside a transaction.
    """
    for employee_id in sorted(set(employee_ids)):
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", LOCK_NAMESPACE + employee_id)
