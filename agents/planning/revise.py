"""Critique and revise: turn failed checks into instructions, and apply the ones the planner can fix itself.

The offline revision is deterministic: windows pulled inside the deadline and after what they depend on, effort
that one person cannot do in the window spread over a wider window (or capped, with an assumption saying so),
dependency loops and missing tasks removed, duplicates dropped, an ungrounded task's activity widened. A real
model gets the critique as feedback and redrafts (see :mod:`.graph`).
"""

from __future__ import annotations

from agents.planning.draft import TaskDraft
from infra.store.plans import GoalPlan, PlanIssue
from policies import plan_checks as checks


def critique_text(issues: list[PlanIssue]) -> str:
    """The problems as instructions, one a line."""
    lines = [f"- {issue}" for issue in issues]
    return f"{len(issues)} problem(s) to fix:\n" + "\n".join(lines)


def revise_drafts(drafts: list[TaskDraft], plan: GoalPlan, issues: list[PlanIssue]
                  ) -> tuple[list[TaskDraft], list[str], list[str]]:
    """Apply the fixes the planner can make to the drafts behind ``plan``.

    Returns:
        The revised drafts, assumptions to add to the plan, and the changes made (for the audit trail).
    """
    revised = [d.model_copy(deep=True) for d in drafts]
    tasks = {t.task_id: t for t in plan.tasks}
    notes: list[str] = []
    changes: list[str] = []
    dropped: set[int] = set()
    deadline = plan.deadline_weeks
    for issue in issues:
        if issue.task_id is None or issue.task_id not in tasks:
            continue
        n = int(issue.task_id[1:])
        item, task = revised[n - 1], tasks[issue.task_id]
        if issue.field == "end_week":
            item.start_week, item.end_week = min(task.start_week, deadline - 1), deadline
            changes.append(f"{issue.task_id}: window pulled inside the deadline (weeks {item.start_week}-{deadline})")
        elif issue.field == "start_week":
            start = max([task.start_week, *(tasks[d].start_week for d in task.depends_on if d in tasks)])
            end = min(deadline, max([task.end_week, start + 1, *(tasks[d].end_week for d in task.depends_on
                                                                    if d in tasks)]))
            item.start_week, item.end_week = min(start, end - 1), end
            changes.append(f"{issue.task_id}: moved after what it depends on (weeks {item.start_week}-{end})")
        elif issue.field == "effort_hours":
            changes.append(_fit_effort(item, task.task_id, task.start_week, task.effort_hours, deadline, notes))
        elif issue.field == "depends_on":
            item.depends_on = [d for d in item.depends_on if d != n and 1 <= d <= len(drafts) and d < n]
            changes.append(f"{issue.task_id}: dependencies on itself, later or missing tasks removed")
        elif issue.field == "title":
            dropped.add(n)
            changes.append(f"{issue.task_id}: dropped as a duplicate")
        elif issue.field == "grounding":
            item.activity = f"{item.phase} work: {item.description}"
            changes.append(f"{issue.task_id}: work activity widened to its description for grounding")
    if dropped:
        revised = _drop(revised, dropped)
    return revised, notes, changes


def _fit_effort(item: TaskDraft, task_id: str, start: int, hours: int, deadline: int, notes: list[str]) -> str:
    """Widen the window to the deadline; if one person still cannot do it, cap it and say so."""
    weeks_needed = -(-hours // checks.HOURS_PER_WEEK)
    new_start = max(0, min(start, deadline - weeks_needed))
    item.start_week, item.end_week = new_start, deadline
    capacity = (deadline - new_start) * checks.HOURS_PER_WEEK
    if hours <= capacity:
        return f"{task_id}: window widened to weeks {new_start}-{deadline} for {hours} h"
    item.capped_hours = capacity
    note = (f"{task_id} needs about {hours} h but one person can give {capacity} h before the deadline: capped at"
            " that; it needs a second person or a later deadline.")
    if note not in notes:
        notes.append(note)
    return f"{task_id}: effort capped at {capacity} h (one person full time to the deadline)"


def _drop(drafts: list[TaskDraft], dropped: set[int]) -> list[TaskDraft]:
    """Remove drafts and renumber the dependencies of the rest."""
    keep = [n for n in range(1, len(drafts) + 1) if n not in dropped]
    renumber = {old: new for new, old in enumerate(keep, start=1)}
    out = []
    for old in keep:
        item = drafts[old - 1]
        item.depends_on = [renumber[d] for d in item.depends_on if d in renumber]
        out.append(item)
    return out
