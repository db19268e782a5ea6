"""Which certifications a goal's tasks need: a reviewer adds or removes one (audited), and the goal page reads them
with the certification flags of the goal's assignments.

The plan's grounding sets requirements when a plan is stored (``tools.certifications.grounding``, set by
``grounding``); a reviewer's are theirs: a later re-grounding (a plan edit) keeps them, and does not bring back a
grounded requirement a reviewer removed. The staffing proposal reads them when it is made; a change after that
shows on the next proposal (a task proposed again), not on the one already under review.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from infra import audit
from infra.store import certifications as store
from infra.store import employees, goals, plans
from infra.store.certifications import FlagStatus, TaskRequirement
from infra.store.users import User
from infra.telemetry import current_trace_id
from tools.certifications import grounding
from tools.certifications.grounding import GROUNDING, REMOVED_EVENT, REQUIRED_EVENT
from workflows.messages import Via
from workflows.usecases.context import Services
from workflows.usecases.errors import Conflict, Forbidden, Invalid, NotFound

REASON_MIN, REASON_MAX = 3, 500
"""Bounds of a reviewer's reason for a requirement."""
FLAG_WORDS: dict[FlagStatus, str] = {
    "open": "Open: HR decides whether to keep them on, replace them or pause the work",
    "kept": "Kept on while they renew", "paused": "Paused until they renew", "replaced": "Replaced on the task",
    "resolved": "Resolved: the certification was renewed"}
"""Each flag status in words (``kept`` adds its date)."""


class TaskCertification(BaseModel):
    """A certification type a task needs."""

    goal_id: str
    """Goal."""
    task_id: str
    """Task."""
    type_id: str
    """Type."""
    name: str
    """Type's name."""
    set_by: str
    """``grounding`` (the plan's text called for it) or the reviewer who set it."""
    reason: str
    """Why the task needs it."""

    @property
    def set_by_words(self) -> str:
        """Who set it, in words."""
        return "the plan's grounding" if self.set_by == GROUNDING else self.set_by


def _may_review(user: User) -> None:
    if user.role not in ("reviewer", "admin"):
        raise Forbidden(f"a {user.role} cannot change what a task needs; it needs the role reviewer or admin")


async def _task_title(svc: Services, goal_id: str, task_id: str) -> str:
    """The task's title (checking the goal and the task exist)."""
    goal = await goals.get(svc.pool, goal_id)
    if goal is None:
        raise NotFound(f"no goal {goal_id!r}")
    task = next((t for t in await plans.load_tasks(svc.pool, goal_id) if t.task_id == task_id), None)
    if task is None:
        raise NotFound(f"goal {goal_id} has no task {task_id!r}")
    return task.title


def _event(user: User, action: str, goal_id: str, payload: dict[str, object]) -> audit.AuditEvent:
    return audit.AuditEvent(actor_type="human", actor=user.login, actor_role=user.role, action=action,
                            goal_id=goal_id, args_hash=audit.args_hash(payload), payload=payload,
                            trace_id=current_trace_id())


async def require_certification(svc: Services, user: User, *, goal_id: str, task_id: str, type_id: str, reason: str,
                                via: Via = "console") -> TaskCertification:
    """A reviewer's requirement: the task needs ``type_id`` (the type's latest version; a grounded requirement of
    the same type becomes the reviewer's, with their reason). Audited.

    Raises:
        Forbidden: ``user`` is not a reviewer or an admin.
        NotFound: No such goal, or no such task in it.
        Invalid: No such certification type (or a retired one), or a reason too short or too long.
        Conflict: A reviewer already requires it on this task.
    """
    _may_review(user)
    await _task_title(svc, goal_id, task_id)
    said = " ".join(reason.split())
    if not REASON_MIN <= len(said) <= REASON_MAX:
        raise Invalid(f"say why the task needs it, in {REASON_MIN} to {REASON_MAX} characters")
    ctype = await store.get_type(svc.pool, type_id)
    if ctype is None or ctype.retired:
        raise Invalid(f"no certification type {type_id!r}" + (" in force (it is retired)" if ctype else "")
                      + "; the catalogue lists the types by id")
    async with svc.pool.acquire() as conn, conn.transaction():
        current = next((r for r in await store.task_requirements(conn, goal_id)
                        if r.task_id == task_id and r.type_id == type_id), None)
        if current is not None and current.set_by != GROUNDING:
            raise Conflict(f"{task_id} already needs {ctype.name} (set by {current.set_by}: {current.reason})")
        if current is not None:
            await store.unrequire(conn, goal_id, task_id, type_id)
        await store.require(conn, goal_id, task_id, type_id, set_by=user.login, reason=said)
        await audit.append(conn, _event(user, REQUIRED_EVENT, goal_id, {
            "task_id": task_id, "type_id": type_id, "type_version": ctype.version, "reason": said, "via": via,
            "was_grounded": current is not None}))
    return TaskCertification(goal_id=goal_id, task_id=task_id, type_id=type_id, name=ctype.name, set_by=user.login,
                             reason=said)


async def remove_certification(svc: Services, user: User, *, goal_id: str, task_id: str, type_id: str,
                               via: Via = "console") -> TaskCertification:
    """A reviewer takes a requirement off a task (the grounding's or a reviewer's); a later re-grounding does not
    put it back. Audited; returns what was removed.

    Raises:
        Forbidden: ``user`` is not a reviewer or an admin.
        NotFound: No such goal or task, or the task does not need ``type_id``.
    """
    _may_review(user)
    await _task_title(svc, goal_id, task_id)
    async with svc.pool.acquire() as conn, conn.transaction():
        current = next((r for r in await store.task_requirements(conn, goal_id)
                        if r.task_id == task_id and r.type_id == type_id), None)
        if current is None or not await store.unrequire(conn, goal_id, task_id, type_id):
            raise NotFound(f"{task_id} of goal {goal_id} does not need the certification {type_id!r}")
        await audit.append(conn, _event(user, REMOVED_EVENT, goal_id, {
            "task_id": task_id, "type_id": type_id, "via": via, "was_set_by": current.set_by,
            "was_reason": current.reason}))
    return _view(goal_id, current)


def _view(goal_id: str, r: TaskRequirement) -> TaskCertification:
    return TaskCertification(goal_id=goal_id, **r.model_dump())


class FlagView(BaseModel):
    """A certification flag on one of the goal's assignments, in words."""

    task_id: str
    """Task."""
    task_title: str
    """The task's title."""
    employee_id: str
    """The person."""
    person: str
    """Their name."""
    certification: str
    """The lapsed certification's name."""
    status: FlagStatus
    """Open, or what HR decided."""
    words: str
    """The status in words ("kept until 3 Mar 2027")."""
    decided_by: str | None
    """Who decided."""
    decided_reason: str | None
    """Why."""


class GoalMention(BaseModel):
    """A certification type the goal's text calls for."""

    type_id: str
    """Type."""
    name: str
    """The type's name."""
    words: str
    """The goal's words that call for it."""


class GoalCertifications(BaseModel):
    """What the goal page shows about certifications: each task's requirements and the assignments' flags."""

    requirements: list[TaskCertification]
    """Each task's required types, in task order."""
    flags: list[FlagView]
    """Flags on the goal's assignments, oldest first."""
    goal_mentions: list[GoalMention] = []
    """Types the goal's own words call for that no task needs yet (the planner's task texts may not repeat them):
    a reviewer decides which tasks need them."""


def _flag_words(status: FlagStatus, renew_by: date | None) -> str:
    if status == "kept" and renew_by is not None:
        return f"Kept on until {renew_by.day} {renew_by:%b %Y}, the renewal date HR accepted"
    return FLAG_WORDS[status]


async def goal_certifications(svc: Services, goal_id: str) -> GoalCertifications:
    """The certifications a goal's tasks need (with who set each and why) and the flags on its assignments.

    Raises:
        NotFound: No such goal.
    """
    goal = await goals.get(svc.pool, goal_id)
    if goal is None:
        raise NotFound(f"no goal {goal_id!r}")
    tasks = await plans.load_tasks(svc.pool, goal_id)
    order = {t.task_id: n for n, t in enumerate(tasks)}
    titles = {t.task_id: t.title for t in tasks}
    rows = await store.task_requirements(svc.pool, goal_id)
    rows.sort(key=lambda r: (order.get(r.task_id, len(order)), r.name))
    flags = await store.flags_of_goal(svc.pool, goal_id)
    names = await employees.names(svc.pool, sorted({f.employee_id for f in flags}))
    shown = []
    for f in flags:
        cert = await store.get(svc.pool, f.certification_id)
        shown.append(FlagView(
            task_id=f.task_id, task_title=titles.get(f.task_id, f.task_id), employee_id=f.employee_id,
            person=names.get(f.employee_id, f.employee_id), certification=cert.name if cert else f.certification_id,
            status=f.status, words=_flag_words(f.status, f.renew_by), decided_by=f.decided_by,
            decided_reason=f.decided_reason))
    required = {r.type_id for r in rows}
    mentioned = [GoalMention(type_id=t.type_id, name=t.name, words=words)
                 for t in await store.current_types(svc.pool)
                 if t.type_id not in required and (words := grounding.mentions(goal.text, t)) is not None]
    return GoalCertifications(requirements=[_view(goal_id, r) for r in rows], flags=shown, goal_mentions=mentioned)
