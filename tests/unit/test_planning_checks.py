"""check_plan: the rules every plan passes, each finding naming the task and field a reviewer must change."""

from __future__ import annotations

from typing import Any

import pytest

from infra.store.plans import GoalPlan, PlanIssue, PlannedTask
from policies.plan_checks import HOURS_PER_WEEK, check_plan

DEADLINE = 8


def task(task_id: str, title: str, *, start: int = 0, end: int = 2, hours: int = 40, after: tuple[str, ...] = (),
         skills: tuple[str, ...] = ("SQL",), occupations: tuple[str, ...] = ("15-1242.00",)) -> PlannedTask:
    return PlannedTask(task_id=task_id, title=title, description=f"{title}.", skills=list(skills),
                       effort_hours=hours, start_week=start, end_week=end, depends_on=list(after),
                       occupations=list(occupations), phase="build", effort_basis="build work: 40 h")


def clean_tasks() -> list[PlannedTask]:
    """A small, sound plan for moving the customer database: every later test breaks one thing in it."""
    return [
        task("T1", "Map the current customer database", start=0, end=2, hours=60),
        task("T2", "Plan the move of the customer database", start=1, end=3, hours=60, after=("T1",)),
        task("T3", "Migrate the customer data to PostgreSQL", start=3, end=6, hours=100, after=("T2",)),
        task("T4", "Test the customer database end to end", start=5, end=7, hours=60, after=("T3",)),
        task("T5", "Cut over the customer database", start=7, end=8, hours=30, after=("T4",)),
    ]


def plan(tasks: list[PlannedTask], deadline: int = DEADLINE) -> GoalPlan:
    return GoalPlan(summary="Move the customer database to managed Postgres", deadline_weeks=deadline, tasks=tasks)


def replace(tasks: list[PlannedTask], task_id: str, **changes: Any) -> list[PlannedTask]:
    return [t.model_copy(update=changes) if t.task_id == task_id else t for t in tasks]


def found(issues: list[PlanIssue]) -> list[tuple[str | None, str]]:
    return [(i.task_id, i.field) for i in issues]


def test_a_clean_plan_has_no_issues() -> None:
    assert check_plan(plan(clean_tasks()), known_skill=lambda s: s == "SQL", require_grounding=True) == []


def test_a_window_past_the_deadline_is_reported_on_its_task_and_end_week() -> None:
    issues = check_plan(plan(replace(clean_tasks(), "T5", end_week=10)))
    assert found(issues) == [("T5", "end_week")]
    assert "week 10" in issues[0].message and "week 8" in issues[0].message


def test_a_plan_shortened_under_its_tasks_reports_each_late_task() -> None:
    issues = check_plan(plan(clean_tasks(), deadline=6))
    assert found(issues) == [("T4", "end_week"), ("T5", "end_week")]


def test_effort_over_one_person_full_time_is_reported() -> None:
    issues = check_plan(plan(replace(clean_tasks(), "T3", effort_hours=3 * HOURS_PER_WEEK + 1)))
    assert found(issues) == [("T3", "effort_hours")]
    assert "121 h in 3 week(s)" in issues[0].message and "(120 h)" in issues[0].message


def test_exactly_one_person_full_time_is_fine() -> None:
    assert check_plan(plan(replace(clean_tasks(), "T3", effort_hours=3 * HOURS_PER_WEEK))) == []


def test_depending_on_a_task_not_in_the_plan_is_reported() -> None:
    issues = check_plan(plan(replace(clean_tasks(), "T4", depends_on=["T3", "T9"])))
    assert found(issues) == [("T4", "depends_on")]
    assert "T9" in issues[0].message and "not in the plan" in issues[0].message


def test_depending_on_itself_is_reported_once() -> None:
    issues = check_plan(plan(replace(clean_tasks(), "T2", depends_on=["T1", "T2"])))
    assert found(issues) == [("T2", "depends_on")]
    assert issues[0].message == "depends on itself"


@pytest.mark.parametrize("start, end", [(0, 4), (2, 2 + 1)])  # starts before T2 starts / ends before T2 ends
def test_a_dependent_scheduled_before_its_dependency_is_reported(start: int, end: int) -> None:
    tasks = replace(clean_tasks(), "T2", start_week=1, end_week=5)
    tasks = replace(tasks, "T3", start_week=start, end_week=end, effort_hours=40)
    issues = check_plan(plan(tasks))
    assert found(issues) == [("T3", "start_week")]
    assert "depends on T2" in issues[0].message


def test_a_dependency_loop_is_reported_once() -> None:
    tasks = replace(clean_tasks(), "T2", depends_on=["T1", "T3"], start_week=3, end_week=6)
    issues = check_plan(plan(tasks))
    assert found(issues) == [("T2", "depends_on")]  # once, at the loop's smallest id, not again at T3
    assert issues[0].message == "dependencies go round in a loop: T2 → T3 → T2"


def test_two_separate_loops_are_each_reported() -> None:
    tasks = replace(clean_tasks(), "T1", depends_on=["T2"], start_week=1, end_week=3)
    tasks = replace(tasks, "T4", depends_on=["T3", "T5"], start_week=7, end_week=8, effort_hours=30)
    loops = [i for i in check_plan(plan(tasks)) if "loop" in i.message]
    assert [(i.task_id, i.message.split(": ")[1]) for i in loops] == [("T1", "T1 → T2 → T1"), ("T4", "T4 → T5 → T4")]


def test_a_duplicate_title_is_reported_on_the_later_task() -> None:
    tasks = [*clean_tasks(), task("T6", "Map the current customer database.", start=0, end=2)]
    issues = check_plan(plan(tasks))
    assert found(issues) == [("T6", "title")]
    assert "T1" in issues[0].message


def test_different_tasks_on_the_same_object_are_not_duplicates() -> None:
    titles = [t.title for t in clean_tasks()]
    assert all("customer" in title for title in titles)  # they all name the object …
    assert [i for i in check_plan(plan(clean_tasks())) if i.field == "title"] == []  # … and none repeats another


def test_the_same_task_id_twice_is_reported() -> None:
    tasks = [*clean_tasks(), task("T5", "Support users after the cutover", start=7, end=8)]
    assert ("T5", "task_id") in found(check_plan(plan(tasks)))


def test_unknown_skills_are_listed_when_a_taxonomy_is_given() -> None:
    tasks = replace(clean_tasks(), "T3", skills=["SQL", "Wizardry", "PostgreSQL"])
    known = {"SQL", "PostgreSQL"}
    issues = check_plan(plan(tasks), known_skill=lambda s: s in known)
    assert found(issues) == [("T3", "skills")]
    assert issues[0].message.endswith("Wizardry")
    assert check_plan(plan(tasks)) == []  # skills are not checked without a taxonomy


def test_require_grounding_flags_tasks_without_occupations() -> None:
    tasks = replace(clean_tasks(), "T4", occupations=[])
    assert check_plan(plan(tasks)) == []  # a reviewer's own task need not be grounded
    issues = check_plan(plan(tasks), require_grounding=True)
    assert found(issues) == [("T4", "grounding")]


def test_several_problems_are_all_reported() -> None:
    tasks = replace(clean_tasks(), "T5", end_week=12, effort_hours=500)
    tasks = replace(tasks, "T1", depends_on=["T7"])
    assert sorted(found(check_plan(plan(tasks)))) == [("T1", "depends_on"), ("T5", "effort_hours"),
                                                       ("T5", "end_week")]


def test_an_issue_reads_as_a_sentence_about_its_task() -> None:
    issue = check_plan(plan(replace(clean_tasks(), "T5", end_week=9)))[0]
    assert str(issue).startswith("T5: ends in week 9")
