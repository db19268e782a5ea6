"""Which certification types a plan's tasks need, and why: the plan's certification grounding.

:func:`task_needs` is a pure function of a task (title, description, skills) and the catalogue's current types. A
task needs a type when its title or description **mentions one of the type's keywords** (or the type's name) as
whole words: "PCI DSS" in "Prepare the card-payments platform for the PCI DSS audit" calls for the type whose
keywords include ``pci dss``; "pci" inside "specification" or "aws" inside "laws" does not. Words may run together
with spaces, hyphens or slashes ("PCI-DSS", "pci dss"). A short keyword of letters only (``aml``, ``pci``, ``aws``,
``pmp``) is an acronym: it counts only written in capitals ("AML"; "cams" in "security cams" is not CAMS).

The task's skills alone never make it need a type, even where the type evidences them: read on real plans, that
signal is not strong enough. The planner puts the same technology skill on every task of a goal (a customer database
moving to AWS lists "Amazon Web Services AWS software" on each of its seven tasks, training its users included), and
a broad main skill met an audit ("Prepare the card-payments platform for the PCI DSS audit" with the main skill
"Project management" would have needed the PMP). Where a keyword already calls for a type and the task's main skill
is one the type evidences, the reason says so too.

A task that trains or informs people (its title starts "Train", "Teach", "Tell", "Hand over", "Communicate" or
"Prepare the teams…") needs a type only when its *description* calls for it: its title repeats the goal's object
("Train the people who use the customer database on PostgreSQL on AWS"), and teaching people to use a system does
not need the system's certification.

:func:`store_needs` writes them for a goal after its tasks are stored (a planned plan, or a reviewer's edit):
re-grounding replaces the grounding's rows, never a reviewer's, and never brings back a grounded requirement a
reviewer removed (the audit trail remembers it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from infra.db import Connection
from infra.store import certifications as store
from infra.store.certifications import CertificationType, TaskRequirement
from infra.store.plans import PlannedTask
from tools.taxonomy.skill_key import skill_key

GROUNDING = "grounding"
"""``set_by`` of the requirements the grounding sets."""
REQUIRED_EVENT = "task.certification_required"
"""Audit action of a reviewer adding a requirement."""
REMOVED_EVENT = "task.certification_removed"
"""Audit action of a reviewer removing one."""
ACRONYM_MAX = 4
"""Keywords of letters only up to this length are acronyms, matched in capitals only."""
_SEPARATOR = r"[\s\-/]*"
_TEACHING = re.compile(r"^\s*(train|teach|tell|hand over|communicate|brief|prepare (?:the )?(?:teams|people|users|"
                       r"customers|staff))\b", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class Need:
    """A certification type a task needs, and why (in words a reviewer reads)."""

    task_id: str
    """The task."""
    type_id: str
    """The type."""
    name: str
    """The type's name."""
    reason: str
    """Why: "the task mentions “PCI DSS”"."""


@lru_cache(maxsize=4096)
def _pattern(keyword: str) -> re.Pattern[str] | None:
    """The whole-word pattern of a keyword (None for one without a letter or digit)."""
    parts = [p for p in re.split(r"[\s\-/]+", keyword.strip()) if p]
    if not parts or not any(ch.isalnum() for ch in keyword):
        return None
    body = _SEPARATOR.join(re.escape(p) for p in parts)
    acronym = len(parts) == 1 and parts[0].isalpha() and len(parts[0]) <= ACRONYM_MAX
    if acronym:
        return re.compile(rf"(?<![A-Za-z0-9]){body.upper()}(?![A-Za-z0-9])")
    return re.compile(rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])", re.IGNORECASE)


def _keywords(ctype: CertificationType) -> list[str]:
    """The type's keywords, then its name (a task naming the certification itself calls for it)."""
    return list(dict.fromkeys([*ctype.keywords, ctype.name.lower()]))


def mentions(text: str, ctype: CertificationType) -> str | None:
    """The first keyword of ``ctype`` that ``text`` mentions (the longest where several start at the same place), as
    the text writes it (None: none)."""
    found: list[tuple[int, int, str]] = []
    for keyword in _keywords(ctype):
        pattern = _pattern(keyword)
        hit = pattern.search(text) if pattern else None
        if hit:
            found.append((hit.start(), -len(hit.group(0)), hit.group(0)))
    return min(found)[2] if found else None


def task_needs(task: PlannedTask, types: Iterable[CertificationType]) -> list[Need]:
    """The types ``task`` needs, each with why (one per type, in the catalogue's order); see the module's rules."""
    teaching = bool(_TEACHING.match(task.title))
    text = task.description if teaching else f"{task.title}\n{task.description}"
    main_skill = skill_key(task.skills[0]) if task.skills else ""
    needs = []
    for ctype in types:
        said = None if ctype.retired else mentions(text, ctype)
        if said is None:
            continue
        reason = f"the task mentions “{said}”"
        if main_skill and main_skill in {skill_key(s) for s in ctype.skills}:
            reason += f", and its main skill, {task.skills[0]}, is one the certification evidences"
        needs.append(Need(task_id=task.task_id, type_id=ctype.type_id, name=ctype.name, reason=reason))
    return needs


def plan_needs(tasks: Iterable[PlannedTask], types: Sequence[CertificationType]) -> list[Need]:
    """:func:`task_needs` of every task, in the plan's order."""
    return [need for task in tasks for need in task_needs(task, types)]


async def detach(conn: Connection, goal_id: str) -> list[TaskRequirement]:
    """Before a goal's tasks are replaced: take its requirements off (they refer to the tasks) and return the
    reviewers' ones, which :func:`store_needs` puts back on the tasks that remain."""
    rows = await store.task_requirements(conn, goal_id)
    for r in rows:
        await store.unrequire(conn, goal_id, r.task_id, r.type_id)
    return [r for r in rows if r.set_by != GROUNDING]


async def removed_by_reviewers(conn: Connection, goal_id: str) -> set[tuple[str, str]]:
    """(task, type) pairs whose latest reviewer action on the goal was to remove the requirement."""
    rows = await conn.fetch(
        "SELECT DISTINCT ON (payload->>'task_id', payload->>'type_id') payload->>'task_id' AS task_id,"
        " payload->>'type_id' AS type_id, action FROM audit_events WHERE goal_id = $1 AND action = ANY($2::text[])"
        " ORDER BY payload->>'task_id', payload->>'type_id', seq DESC", goal_id, [REQUIRED_EVENT, REMOVED_EVENT])
    return {(r["task_id"], r["type_id"]) for r in rows if r["action"] == REMOVED_EVENT}


async def store_needs(conn: Connection, goal_id: str, tasks: Sequence[PlannedTask],
                      kept: Sequence[TaskRequirement]) -> tuple[list[Need], list[TaskRequirement]]:
    """Write the requirements of a goal whose tasks were just stored: the reviewers' ones ``kept`` (by
    :func:`detach`) on tasks that remain, then the grounding's (a type a reviewer set or removed on a task stays as
    the reviewer left it). Returns what the grounding set and the reviewers' requirements put back."""
    ids = {t.task_id for t in tasks}
    back = [r for r in kept if r.task_id in ids]
    for r in back:
        await store.require(conn, goal_id, r.task_id, r.type_id, set_by=r.set_by, reason=r.reason)
    removed = await removed_by_reviewers(conn, goal_id)
    reviewers = {(r.task_id, r.type_id) for r in back}
    grounded = [n for n in plan_needs(tasks, await store.current_types(conn))
                if (n.task_id, n.type_id) not in removed | reviewers]
    for n in grounded:
        await store.require(conn, goal_id, n.task_id, n.type_id, set_by=GROUNDING, reason=n.reason)
    return grounded, back
