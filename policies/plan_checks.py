"""Deterministic checks of a plan: the same rules for the planner's drafts and a reviewer's edits.

Pure functions over :class:`~infra.store.plans.GoalPlan` (no I/O), so the goal workflow's update validator can run
them too. Each finding names the task and the field, in words a reviewer can act on.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from infra.store.plans import GoalPlan, PlanIssue, PlannedTask

HOURS_PER_WEEK = 40
"""Working hours in a full-time week (one person can give at most this to a task)."""
_DUPLICATE_OVERLAP = 0.8
"""Titles sharing this share of their words are the same task."""


def check_plan(plan: GoalPlan, *, known_skill: Callable[[str], bool] | None = None,
               require_grounding: bool = False) -> list[PlanIssue]:
    """Everything wrong with a plan, task by task; empty when it passes.

    Args:
        plan: The plan.
        known_skill: Whether a skill name is in the taxonomy; skills are not checked when None.
        require_grounding: Every task must name the occupations it was grounded in (the planner's own
            drafts; a reviewer's new task is matched on its words and skills instead).
    """
    issues: list[PlanIssue] = []
    ids = [t.task_id for t in plan.tasks]
    for task_id in sorted({i for i in ids if ids.count(i) > 1}):
        issues.append(PlanIssue(task_id=task_id, field="task_id", message="the same task id is used twice"))
    by_id = {t.task_id: t for t in plan.tasks}
    for task in plan.tasks:
        issues += _window(task, plan.deadline_weeks)
        issues += _effort(task)
        issues += _dependencies(task, by_id)
        if require_grounding and not task.occupations:
            issues.append(PlanIssue(task_id=task.task_id, field="grounding",
                                    message="not tied to any O*NET work activity or occupation"))
        if known_skill is not None:
            unknown = [s for s in task.skills if not known_skill(s)]
            if unknown:
                issues.append(PlanIssue(task_id=task.task_id, field="skills",
                                        message=f"unknown to the skills taxonomy: {', '.join(unknown)}"))
    issues += _cycles(by_id)
    issues += _duplicates(plan.tasks)
    return issues


def _window(task: PlannedTask, deadline: int) -> list[PlanIssue]:
    if task.end_week > deadline:
        return [PlanIssue(task_id=task.task_id, field="end_week",
                          message=f"ends in week {task.end_week}, after the goal's deadline (week {deadline})")]
    return []


def _effort(task: PlannedTask) -> list[PlanIssue]:
    weeks = task.end_week - task.start_week
    if task.effort_hours > weeks * HOURS_PER_WEEK:
        return [PlanIssue(task_id=task.task_id, field="effort_hours",
                          message=f"{task.effort_hours} h in {weeks} week(s) is more than one person full time "
                                  f"({weeks * HOURS_PER_WEEK} h); widen the window or split the task")]
    return []


def _dependencies(task: PlannedTask, by_id: dict[str, PlannedTask]) -> list[PlanIssue]:
    issues = []
    for dep_id in task.depends_on:
        dep = by_id.get(dep_id)
        if dep_id == task.task_id:
            issues.append(PlanIssue(task_id=task.task_id, field="depends_on", message="depends on itself"))
        elif dep is None:
            issues.append(PlanIssue(task_id=task.task_id, field="depends_on",
                                    message=f"depends on {dep_id}, which is not in the plan"))
        elif task.start_week < dep.start_week or task.end_week < dep.end_week:
            issues.append(PlanIssue(
                task_id=task.task_id, field="start_week",
                message=f"runs weeks {task.start_week}-{task.end_week} but depends on {dep_id} "
                        f"(weeks {dep.start_week}-{dep.end_week}): it may not start or end before {dep_id}"))
    return issues


def _cycles(by_id: dict[str, PlannedTask]) -> list[PlanIssue]:
    """Dependency loops (T2 → T3 → T2), each reported once at its smallest task id."""
    issues: list[PlanIssue] = []
    reported: set[str] = set()
    for start in sorted(by_id):
        path = _loop_from(start, by_id)
        if path and not reported & set(path):
            reported |= set(path)
            issues.append(PlanIssue(task_id=start, field="depends_on",
                                    message="dependencies go round in a loop: " + " → ".join([*path, start])))
    return issues


def _loop_from(start: str, by_id: dict[str, PlannedTask]) -> list[str] | None:
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for dep in by_id[node].depends_on if node in by_id else []:
            if dep == start and len(path) > 1:
                return path
            if dep in by_id and dep not in seen and dep != node:
                seen.add(dep)
                stack.append((dep, [*path, dep]))
    return None


def _words(title: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", title.lower()) if len(w) > 2}


def _duplicates(tasks: list[PlannedTask]) -> list[PlanIssue]:
    issues = []
    for i, a in enumerate(tasks):
        for b in tasks[:i]:
            wa, wb = _words(a.title), _words(b.title)
            if wa and wb and len(wa & wb) / len(wa | wb) >= _DUPLICATE_OVERLAP:
                issues.append(PlanIssue(task_id=a.task_id, field="title",
                                        message=f"repeats {b.task_id} (“{b.title}”)"))
                break
    return issues
