"""A reviewer's edit of a plan: the changes as typed requests, applied and checked like the planner's own plans."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints, ValidationError, field_validator

from infra.store.plans import GoalPlan, PlanIssue, PlannedTask
from infra.store.reviews import Review
from policies.plan_checks import check_plan
from tools.taxonomy.skill_names import canonical, known_skill, suggest_skills
from workflows.usecases.errors import Invalid

TaskTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
TaskDescription = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]
SkillName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
TaskRef = Annotated[str, BeforeValidator(lambda v: v.strip().upper() if isinstance(v, str) else v),
                    StringConstraints(pattern=r"^T\d{1,2}$")]


def _unique(names: list[str] | None) -> list[str] | None:
    """Names without repeats (case aside), first spelling and order kept."""
    if names is None:
        return None
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(" ".join(name.casefold().split()), name)
    return list(seen.values())


class TaskEdit(BaseModel):
    """A reviewer's change to one task of a plan under review; fields left out (None) stay as planned."""

    drop: bool = False
    """Remove the task from the plan (other tasks stop depending on it unless their dependencies are given)."""
    title: TaskTitle | None = None
    """New title (3-200 characters)."""
    description: TaskDescription | None = None
    """New description of what has to be done."""
    skills: list[SkillName] | None = Field(default=None, min_length=1, max_length=12)
    """New skills, most important first: each a known skill (ESCO label or O*NET technology/skill name)."""
    effort_hours: int | None = Field(default=None, ge=1, le=5000)
    """New effort estimate in person-hours."""
    start_week: int | None = Field(default=None, ge=0, le=520)
    """New first week (0 = the week the goal starts)."""
    end_week: int | None = Field(default=None, ge=1, le=520)
    """New end week (exclusive; at most the goal's deadline)."""
    depends_on: list[TaskRef] | None = Field(default=None, max_length=15)
    """New dependencies: ids of tasks that must come first (``[]`` removes them all)."""

    _unique_skills = field_validator("skills", "depends_on")(_unique)


class NewTask(BaseModel):
    """A task a reviewer adds to a plan; it gets the next free id (``T<n>``), no phase and no occupations."""

    title: TaskTitle
    """Short name of the task (3-200 characters)."""
    description: TaskDescription | None = None
    """What has to be done; the title when left out."""
    skills: list[SkillName] = Field(min_length=1, max_length=12)
    """Skills it needs, most important first: each a known skill (ESCO label or O*NET technology/skill name)."""
    effort_hours: int = Field(ge=1, le=5000)
    """Estimated person-hours."""
    start_week: int = Field(ge=0, le=520)
    """First week (0 = the week the goal starts)."""
    end_week: int = Field(ge=1, le=520)
    """End week (exclusive; after the start week, at most the goal's deadline)."""
    depends_on: list[TaskRef] = Field(default_factory=list, max_length=15)
    """Ids of tasks that must come first (proposed tasks, or new tasks listed before this one)."""

    _unique_skills = field_validator("skills", "depends_on")(_unique)


FIELD_LABELS = {"task_id": "id", "title": "title", "description": "description", "skills": "skills",
                "effort_hours": "effort", "start_week": "start week", "end_week": "end week", "window": "window",
                "depends_on": "dependencies", "grounding": "grounding", "assumptions": "assumptions",
                "tasks": "tasks"}
"""Plan fields in the words a reviewer reads next to them."""


def issue_text(issue: PlanIssue) -> str:
    """``T3 end week: ends in week 60, after the goal's deadline (week 6)``."""
    label = FIELD_LABELS.get(issue.field, issue.field.replace("_", " "))
    return f"{issue.task_id} {label}: {issue.message}" if issue.task_id else f"{label}: {issue.message}"


class PlanEditInvalid(Invalid):
    """A plan edit that does not pass the plan's checks; ``issues`` name the task and field of each problem."""

    def __init__(self, issues: list[PlanIssue], new_task_ids: list[str] | None = None) -> None:
        super().__init__("; ".join(issue_text(i) for i in issues))
        self.issues = issues
        """What is wrong, task and field by task and field."""
        self.new_task_ids = new_task_ids or []
        """Ids the edit's new tasks got, in their order (issues about new tasks name these)."""


def validation_issues(err: ValidationError, task_id: str | None) -> list[PlanIssue]:
    """Pydantic's errors about a task (or the plan, when ``task_id`` is None) as plan issues in plain words."""
    issues = []
    for e in err.errors():
        loc = [str(p) for p in e["loc"]]
        field = loc[0] if loc else "end_week"  # the only check without a field is the window's order
        ctx = e.get("ctx") or {}
        kind = e["type"]
        if kind == "value_error" and "end_week must be after start_week" in e["msg"]:
            message = "the task must end after it starts (end_week must be after start_week)"
        elif kind in ("int_parsing", "int_type", "int_from_float"):
            message = "must be a whole number"
        elif kind == "string_too_short":
            message = f"needs at least {ctx.get('min_length')} characters"
        elif kind == "string_too_long":
            message = f"may have at most {ctx.get('max_length')} characters"
        elif kind == "too_short":
            message = "needs at least one skill" if field == "skills" else f"needs at least {ctx.get('min_length')}"
        elif kind == "too_long":
            message = (f"a plan may have at most {ctx.get('max_length')} tasks" if field == "tasks"
                       else f"at most {ctx.get('max_length')} allowed")
        elif kind == "greater_than_equal":
            message = f"must be {ctx.get('ge')} or more"
        elif kind == "less_than_equal":
            message = f"must be {ctx.get('le')} or less"
        elif kind == "missing":
            message = "is required"
        elif kind == "string_pattern_mismatch":
            message = f"{e.get('input')!r} is not a task id (T1, T2, …)"
        else:
            message = str(e["msg"])
        issues.append(PlanIssue(task_id=task_id, field=field, message=message))
    return issues


_CHECKED_FIELDS = frozenset({"task_id", "end_week", "start_week", "effort_hours", "depends_on", "skills", "title"})
"""Fields ``check_plan`` checks: an open issue about one of them is re-checked on the edited plan, not carried."""


def _issue_key(issue: PlanIssue) -> tuple[str | None, str, str]:
    return issue.task_id, issue.field, issue.message


def next_task_ids(plan: GoalPlan, count: int) -> list[str]:
    """Ids for new tasks: after the highest id the plan used (a dropped task's id is never reused)."""
    top = max((int(t.task_id[1:]) for t in plan.tasks), default=0)
    return [f"T{top + n}" for n in range(1, count + 1)]


def _with_suggestions(issue: PlanIssue, tasks: dict[str, PlannedTask]) -> PlanIssue:
    """An unknown-skill issue with the closest known names for each unknown skill."""
    task = tasks.get(issue.task_id or "")
    if issue.field != "skills" or task is None:
        return issue
    hints = []
    for name in (s for s in task.skills if not known_skill(s)):
        close = suggest_skills(name, top=3)
        if close:
            hints.append(f"for “{name}” try {', '.join(close)}")
    return issue.model_copy(update={"message": f"{issue.message} ({'; '.join(hints)})"}) if hints else issue


def edited_plan(review: Review, task_edits: dict[str, TaskEdit], new_tasks: list[NewTask] | None = None,
                 assumptions: list[str] | None = None, open_questions: list[str] | None = None) -> GoalPlan:
    """The plan a reviewer's edit makes of the proposed one, checked like the planner's own drafts.

    Refused (:class:`PlanEditInvalid`, every problem named by task and field) when a task is not valid or when
    :func:`~policies.plan_checks.check_plan` finds anything wrong with the edited plan (a window past the
    deadline, a missing or looping dependency, a duplicate, effort no one can give, an unknown skill), except
    unknown skills the planner chose on a task whose skills the reviewer did not change: those, and the proposed
    plan's open issues about what the checks do not cover (grounding), stay in the result's ``open_issues``.
    """
    new_tasks = new_tasks or []
    if not task_edits and not new_tasks and assumptions is None and open_questions is None:
        raise Invalid("an edit needs at least one change to the plan")
    current = GoalPlan.model_validate(review.arguments)
    planned_ids = [t.task_id for t in current.tasks]
    new_ids = next_task_ids(current, len(new_tasks))
    issues = [PlanIssue(task_id=task_id, field="task_id", message="is not a task of this plan")
              for task_id in sorted(set(task_edits) - set(planned_ids))]
    if any(int(i[1:]) > 99 for i in new_ids):
        issues.append(PlanIssue(field="tasks", message="no free task id is left (T1-T99)"))
    dropped = {task_id for task_id, change in task_edits.items() if change.drop}
    rows: list[dict[str, Any]] = []
    for task in current.tasks:
        change = task_edits.get(task.task_id)
        if change is not None and change.drop:
            continue
        values = task.model_dump()
        update = change.model_dump(exclude={"drop"}, exclude_none=True) if change is not None else {}
        if "skills" in update:  # as the taxonomy spells them ("sql" → "SQL")
            update["skills"] = list(dict.fromkeys(canonical(s) for s in update["skills"]))
        if update.get("effort_hours", task.effort_hours) != task.effort_hours:
            update["effort_basis"] = f"set by the reviewer (the plan said {task.effort_hours} h)"
        values.update(update)
        if "depends_on" not in update:  # a dropped task no longer holds up the ones that waited for it
            values["depends_on"] = [d for d in task.depends_on if d not in dropped]
        rows.append(values)
    if not rows and not new_tasks:
        raise Invalid("an edit cannot drop every task; reject the plan instead")
    for task_id, new in zip(new_ids, new_tasks, strict=True):
        values = {**new.model_dump(), "task_id": task_id, "description": new.description or new.title, "phase": "",
                  "skills": list(dict.fromkeys(canonical(s) for s in new.skills)),
                  "occupations": [], "activities": [], "onet_code": None, "effort_basis": "estimated by the reviewer"}
        # in start order: after the last task that starts no later than it
        at = max((n + 1 for n, r in enumerate(rows) if r["start_week"] <= new.start_week), default=0)
        rows.insert(at, values)
    tasks: list[PlannedTask] = []
    for values in rows:
        try:
            tasks.append(PlannedTask.model_validate(values))
        except ValidationError as err:
            issues += validation_issues(err, values["task_id"])
    if issues:
        raise PlanEditInvalid(issues, new_ids)
    plan_values = {**current.model_dump(), "tasks": [t.model_dump() for t in tasks]}
    if assumptions is not None:
        plan_values["assumptions"] = list(dict.fromkeys(a.strip() for a in assumptions if a.strip()))
    if open_questions is not None:
        plan_values["open_questions"] = list(dict.fromkeys(q.strip() for q in open_questions if q.strip()))
    try:
        edited = GoalPlan.model_validate(plan_values)
    except ValidationError as err:
        raise PlanEditInvalid(validation_issues(err, None), new_ids) from err
    # every issue refuses the edit (the goal workflow's validator checks the same), but for skills the planner
    # chose that the taxonomy does not know on tasks whose skills the reviewer left alone: those stay open issues
    before = {_issue_key(i) for i in check_plan(current, known_skill=known_skill) if i.field == "skills"}
    found = check_plan(edited, known_skill=known_skill)
    new_issues = [i for i in found if _issue_key(i) not in before]
    if new_issues:
        by_id = {t.task_id: t for t in edited.tasks}
        raise PlanEditInvalid([_with_suggestions(i, by_id) for i in new_issues], new_ids)
    kept_ids = {t.task_id for t in edited.tasks}
    carried = [i for i in current.open_issues
               if (i.task_id is None or i.task_id in kept_ids) and i.field not in _CHECKED_FIELDS]
    return edited.model_copy(update={"open_issues": carried + found})
