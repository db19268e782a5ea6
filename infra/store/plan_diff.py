"""What a reviewer's edit changed in a plan, in lines a person reads (the audit trail and the review page show them).

Pure: two :class:`~infra.store.plans.GoalPlan` in, sentences out. Tasks are matched by id; the order is the edited
plan's, then the dropped tasks, then plan-wide changes (assumptions, questions, deadline, summary).
"""

from __future__ import annotations

from infra.store.plans import GoalPlan, PlannedTask

__all__ = ["plan_diff"]

_CLIP = 80
"""Longest quoted text (descriptions, assumptions) before it is cut with an ellipsis."""


def plan_diff(before: GoalPlan, after: GoalPlan) -> list[str]:
    """One line per change from ``before`` to ``after``; empty when they plan the same work.

    For example ``["T2 renamed from “Build the dashboard” to “Build the fraud dashboard”",
    "T2 window changed from weeks 1–3 to weeks 1–4", "T5 dropped: “Go live”"]``.
    """
    lines: list[str] = []
    old_tasks = {t.task_id: t for t in before.tasks}
    new_ids = {t.task_id for t in after.tasks}
    for task in after.tasks:
        old = old_tasks.get(task.task_id)
        lines += _added(task) if old is None else _changed(old, task)
    lines += [f"{t.task_id} dropped: “{t.title}”" for t in before.tasks if t.task_id not in new_ids]
    lines += _list_changes("assumption", before.assumptions, after.assumptions)
    lines += _list_changes("open question", before.open_questions, after.open_questions)
    if before.deadline_weeks != after.deadline_weeks:
        lines.append(f"deadline changed from week {before.deadline_weeks} to week {after.deadline_weeks}")
    if before.summary != after.summary:
        lines.append(f"summary changed to “{_clip(after.summary)}”")
    return lines


def _after(ids: list[str]) -> str:
    return "after " + ", ".join(ids) if ids else "no dependencies"


def _weeks(task: PlannedTask) -> str:
    return f"weeks {task.start_week}–{task.end_week}"


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _CLIP else text[: _CLIP - 1].rstrip() + "…"


def _added(task: PlannedTask) -> list[str]:
    deps = f", {_after(task.depends_on)}" if task.depends_on else ""
    return [f"{task.task_id} added: “{task.title}”, {_weeks(task)}, {task.effort_hours} h, "
            f"skills: {', '.join(task.skills)}{deps}"]


def _changed(old: PlannedTask, new: PlannedTask) -> list[str]:
    tid = new.task_id
    lines: list[str] = []
    if old.title != new.title:
        lines.append(f"{tid} renamed from “{old.title}” to “{new.title}”")
    if old.description != new.description:
        lines.append(f"{tid} description changed to “{_clip(new.description)}”")
    if old.skills != new.skills:
        added = [s for s in new.skills if s not in old.skills]
        removed = [s for s in old.skills if s not in new.skills]
        parts = [f"added {', '.join(added)}"] if added else []
        parts += [f"removed {', '.join(removed)}"] if removed else []
        lines.append(f"{tid} skills changed: " + ("; ".join(parts) if parts else "reordered")
                     + f" (now {', '.join(new.skills)})")
    if old.effort_hours != new.effort_hours:
        lines.append(f"{tid} effort changed from {old.effort_hours} h to {new.effort_hours} h")
    if (old.start_week, old.end_week) != (new.start_week, new.end_week):
        lines.append(f"{tid} window changed from {_weeks(old)} to {_weeks(new)}")
    if old.depends_on != new.depends_on:
        lines.append(f"{tid} dependencies changed from {_after(old.depends_on)} to {_after(new.depends_on)}")
    if old.phase != new.phase:
        lines.append(f"{tid} phase changed from “{old.phase or 'none'}” to “{new.phase or 'none'}”")
    return lines


def _list_changes(what: str, before: list[str], after: list[str]) -> list[str]:
    lines = [f"{what} added: “{_clip(a)}”" for a in after if a not in before]
    lines += [f"{what} removed: “{_clip(b)}”" for b in before if b not in after]
    if not lines and before != after:
        lines.append(f"{what}s reordered")
    return lines
