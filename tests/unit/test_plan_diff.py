"""plan_diff: a reviewer's plan edit as lines a person reads."""

from __future__ import annotations

from typing import Any

from infra.store.plan_diff import plan_diff
from infra.store.plans import GoalPlan, PlannedTask


def task(task_id: str, title: str, **fields: Any) -> PlannedTask:
    values: dict[str, Any] = {"description": f"{title}.", "skills": ["SQL"], "effort_hours": 40, "start_week": 0,
                              "end_week": 2, **fields}
    return PlannedTask(task_id=task_id, title=title, **values)


PLAN = GoalPlan(
    summary="A fraud-analytics dashboard for the EU cards business.", deadline_weeks=6,
    tasks=[task("T1", "Gather the dashboard's requirements", phase="discover"),
           task("T2", "Build the fraud dashboard", start_week=2, end_week=5, depends_on=["T1"], phase="build",
                skills=["SQL", "Tableau"]),
           task("T3", "Roll out the dashboard", start_week=5, end_week=6, depends_on=["T2"])],
    assumptions=["Card data is already in the warehouse."],
    open_questions=["Which markets go first?"])


def edit(*tasks: PlannedTask, **plan: Any) -> GoalPlan:
    return PLAN.model_copy(update={"tasks": list(tasks), **plan})


def test_the_same_plan_has_no_changes() -> None:
    assert plan_diff(PLAN, PLAN) == []
    assert plan_diff(PLAN, GoalPlan.model_validate(PLAN.model_dump(mode="json"))) == []


def test_each_kind_of_task_change_is_one_line() -> None:
    t1, t2, t3 = PLAN.tasks
    after = edit(
        t1.model_copy(update={"title": "Agree the dashboard's requirements", "description": "Talk to the fraud team."}),
        t2.model_copy(update={"skills": ["SQL", "Power BI"], "effort_hours": 80, "start_week": 1, "end_week": 4,
                              "depends_on": [], "phase": "design"}),
        t3)
    assert plan_diff(PLAN, after) == [
        "T1 renamed from “Gather the dashboard's requirements” to “Agree the dashboard's requirements”",
        "T1 description changed to “Talk to the fraud team.”",
        "T2 skills changed: added Power BI; removed Tableau (now SQL, Power BI)",
        "T2 effort changed from 40 h to 80 h",
        "T2 window changed from weeks 2–5 to weeks 1–4",
        "T2 dependencies changed from after T1 to no dependencies",
        "T2 phase changed from “build” to “design”",
    ]


def test_added_and_dropped_tasks() -> None:
    t1, t2, _ = PLAN.tasks
    new = task("T4", "Train the fraud analysts", skills=["teach data analytics"], effort_hours=16, start_week=4,
               end_week=6, depends_on=["T2"])
    assert plan_diff(PLAN, edit(t1, t2, new)) == [
        "T4 added: “Train the fraud analysts”, weeks 4–6, 16 h, skills: teach data analytics, after T2",
        "T3 dropped: “Roll out the dashboard”",
    ]
    lone = task("T5", "Write the runbook")
    assert plan_diff(PLAN, edit(*PLAN.tasks, lone))[-1] == "T5 added: “Write the runbook”, weeks 0–2, 40 h, skills: SQL"


def test_skill_order_and_new_dependencies() -> None:
    t1, t2, t3 = PLAN.tasks
    after = edit(t1, t2.model_copy(update={"skills": ["Tableau", "SQL"]}),
                 t3.model_copy(update={"depends_on": ["T1", "T2"]}))
    assert plan_diff(PLAN, after) == [
        "T2 skills changed: reordered (now Tableau, SQL)",
        "T3 dependencies changed from after T2 to after T1, T2",
    ]


def test_plan_wide_changes() -> None:
    long = "Fraud analysts can give two hours a week to testing the dashboard while they run the daily case queue."
    after = edit(*PLAN.tasks, assumptions=[long], open_questions=["Which markets go first?", "Who signs off?"],
                 deadline_weeks=8, summary="A dashboard.")
    lines = plan_diff(PLAN, after)
    assert lines[0].startswith("assumption added: “Fraud analysts can give two hours") and lines[0].endswith("…”")
    assert len(lines[0]) < len(long)
    assert lines[1:] == ["assumption removed: “Card data is already in the warehouse.”",
                         "open question added: “Who signs off?”",
                         "deadline changed from week 6 to week 8",
                         "summary changed to “A dashboard.”"]
    swapped = edit(*PLAN.tasks, assumptions=["b", "a"])
    assert plan_diff(edit(*PLAN.tasks, assumptions=["a", "b"]), swapped) == ["assumptions reordered"]
