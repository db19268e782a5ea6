"""The plan part of the review form: planned or typed values, problems next to fields, the changes it makes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from infra.store.plans import GoalPlan, PlanIssue
from workflows import usecases

_FORM_FIELD = {"title": "title", "task_id": "title", "description": "description", "skills": "skills",
               "effort_hours": "effort", "start_week": "start", "end_week": "end", "window": "end",
               "depends_on": "after"}
"""Plan issue field → the form field it is shown next to (anything else: the top of the task)."""
_NEW_FIELD = re.compile(r"^(title|description|skills|effort|start|end|after)_new(\d{1,2})$")


@dataclass(kw_only=True)
class TaskForm:
    """One task of the plan form: the planned values, or what the reviewer typed."""

    key: str
    """Suffix of its form fields: the task id, or ``new1``, ``new2`` ... for a task being added."""
    task_id: str
    """The task's id (a new task: the id it will get)."""
    new: bool = False
    """Whether the reviewer is adding it."""
    title: str = ""
    description: str = ""
    skills: list[str] = field(default_factory=list)
    effort: str = ""
    start: str = ""
    end: str = ""
    after: str = ""
    """Ids of the tasks it waits for, as typed (``T1, T2``)."""
    drop: bool = False
    phase: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    """Form field (title, description, skills, effort, start, end, after; ``task``: the whole task) → problems."""

    def is_blank(self) -> bool:
        """A new task's slot left empty (ignored)."""
        return not any((self.title.strip(), self.description.strip(), self.skills, self.effort.strip(),
                        self.start.strip(), self.end.strip(), self.after.strip()))

    def fail(self, form_field: str, message: str) -> None:
        """Record a problem next to a field."""
        self.errors.setdefault(form_field, []).append(message)


@dataclass(kw_only=True)
class PlanForm:
    """The plan part of the review form."""

    tasks: list[TaskForm]
    """Planned tasks, then the new ones."""
    assumptions: str
    """The assumptions, one per line."""
    open_questions: str = ""
    """The questions for the manager, one per line."""
    errors: dict[str, list[str]] = field(default_factory=dict)
    """Problems of the plan as a whole (``plan``), of its assumptions (``assumptions``) or its questions
    (``open_questions``)."""

    def attach(self, issues: list[PlanIssue], new_forms: dict[str, TaskForm]) -> None:
        """Put each issue next to its field (new tasks' issues name the ids the service gave them)."""
        by_id = {t.task_id: t for t in self.tasks if not t.new} | new_forms
        for issue in issues:
            task = by_id.get(issue.task_id or "")
            if task is None:
                where = issue.field if issue.field in ("assumptions", "open_questions") else "plan"
                self.errors.setdefault(where, []).append(usecases.issue_text(issue))
            else:
                task.fail(_FORM_FIELD.get(issue.field, "task"), issue.message)


@dataclass(kw_only=True)
class PlanChanges:
    """What the reviewer changed on the plan form, as the service takes it."""

    task_edits: dict[str, usecases.TaskEdit] = field(default_factory=dict)
    new_tasks: list[usecases.NewTask] = field(default_factory=list)
    new_forms: list[TaskForm] = field(default_factory=list)
    """The form of each new task, in ``new_tasks``' order."""
    assumptions: list[str] | None = None
    """The assumptions when they changed."""
    open_questions: list[str] | None = None
    """The questions for the manager when they changed."""
    invalid: bool = False
    """Some field could not be read (its problem is on the form)."""


def _task_refs(text: str) -> list[str]:
    """``T1, t2 3`` → ``["T1", "T2", "T3"]`` (anything else is kept for the check to name)."""
    refs = [r for r in re.split(r"[\s,;]+", text.strip()) if r]
    return [f"T{r}" if r.isdigit() else r.upper() for r in refs]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def plan_form_for(plan: GoalPlan, form: Any | None = None, *, add_slot: bool = False) -> PlanForm:
    """The plan's form: planned values, overridden by what was submitted (a field not sent keeps its planned value)."""

    def value(name: str, planned: str) -> str:
        return str(form.get(name, planned)) if form is not None else planned

    def skills(name: str, planned: list[str]) -> list[str]:
        if form is None or name not in form:
            return list(planned)
        return [str(v).strip() for v in form.getlist(name) if str(v).strip()]

    tasks = [TaskForm(key=t.task_id, task_id=t.task_id, title=value(f"title_{t.task_id}", t.title),
                      description=value(f"description_{t.task_id}", t.description),
                      skills=skills(f"skills_{t.task_id}", t.skills),
                      effort=value(f"effort_{t.task_id}", str(t.effort_hours)),
                      start=value(f"start_{t.task_id}", str(t.start_week)),
                      end=value(f"end_{t.task_id}", str(t.end_week)),
                      after=value(f"after_{t.task_id}", ", ".join(t.depends_on)),
                      drop=form is not None and bool(form.get(f"drop_{t.task_id}")), phase=t.phase)
             for t in plan.tasks]
    found = [int(m.group(2)) for k in (form.keys() if form is not None else []) if (m := _NEW_FIELD.match(str(k)))]
    slots = max([1, *found]) + (1 if add_slot else 0)
    ids = usecases.next_task_ids(plan, slots)
    for n in range(1, slots + 1):
        key = f"new{n}"
        tasks.append(TaskForm(key=key, task_id=ids[n - 1], new=True, title=value(f"title_{key}", ""),
                              description=value(f"description_{key}", ""), skills=skills(f"skills_{key}", []),
                              effort=value(f"effort_{key}", ""), start=value(f"start_{key}", ""),
                              end=value(f"end_{key}", ""), after=value(f"after_{key}", "")))
    return PlanForm(tasks=tasks, assumptions=value("assumptions", "\n".join(plan.assumptions)),
                    open_questions=value("open_questions", "\n".join(plan.open_questions)))


def plan_changes(plan_form: PlanForm, plan: GoalPlan) -> PlanChanges:
    """The changes on the plan form: a field counts when it differs from the plan. Fields that cannot be read (not a
    whole number, too short, ...) are marked on the form and make the changes ``invalid``."""
    changes = PlanChanges()
    planned = {t.task_id: t for t in plan.tasks}
    for row in plan_form.tasks:
        task = planned.get(row.task_id) if not row.new else None
        if task is not None:
            change: dict[str, Any] = {"drop": True} if row.drop else {
                name: typed for name, typed, was in (
                    ("title", row.title.strip(), task.title.strip()),
                    ("description", "\n".join(_lines(row.description)), "\n".join(_lines(task.description))),
                    ("skills", row.skills, [s.strip() for s in task.skills]),
                    ("effort_hours", row.effort.strip(), str(task.effort_hours)),
                    ("start_week", row.start.strip(), str(task.start_week)),
                    ("end_week", row.end.strip(), str(task.end_week)),
                    ("depends_on", _task_refs(row.after), task.depends_on),
                ) if typed != was}
            if change:
                try:
                    changes.task_edits[task.task_id] = usecases.TaskEdit.model_validate(change)
                except ValidationError as err:
                    changes.invalid = True
                    for issue in usecases.validation_issues(err, task.task_id):
                        row.fail(_FORM_FIELD.get(issue.field, "task"), issue.message)
        elif row.new and not row.is_blank():
            typed = {"title": row.title.strip(), "description": "\n".join(_lines(row.description)) or None,
                     "skills": row.skills or None, "effort_hours": row.effort.strip(),
                     "start_week": row.start.strip(), "end_week": row.end.strip(),
                     "depends_on": _task_refs(row.after)}
            try:
                changes.new_tasks.append(usecases.NewTask.model_validate(
                    {k: v for k, v in typed.items() if v not in ("", None)}))
                changes.new_forms.append(row)
            except ValidationError as err:
                changes.invalid = True
                for issue in usecases.validation_issues(err, row.task_id):
                    row.fail(_FORM_FIELD.get(issue.field, "task"), issue.message)
    assumptions = _lines(plan_form.assumptions)
    if assumptions != plan.assumptions:
        changes.assumptions = assumptions
    questions = _lines(plan_form.open_questions)
    if questions != plan.open_questions:
        changes.open_questions = questions
    return changes

