"""What the onboarding agent needs to draft a person's plan: the task, the person's skills gap, the catalogue items
that close it and colleagues who could be their buddy. Read from Postgres; the drafting itself is pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from infra.db import Queryable
from infra.store import learning
from infra.store.learning import CatalogueMatch
from infra.store.moves import MoveKey
from tools.taxonomy.skill_key import skill_key

EVIDENCED_LEVEL = 2.0
"""A skill at this level or above (0-5) counts as evidenced: it is not part of the gap."""
BUDDY_LEVEL = 3.5
"""A buddy has strong evidence: this level or above in a skill of the gap (or of the task)."""
BUDDY_FREE_SHARE = 0.1
"""A buddy needs this share of their time free during the first 30 days."""


@dataclass(frozen=True, kw_only=True)
class BuddyCandidate:
    """A colleague who could help the person in."""

    employee_id: str
    """Who."""
    name: str
    """Their name."""
    title: str
    """Their job title."""
    skills: list[str]
    """The gap (or task) skills they are strong in."""
    strength: float
    """Sum of level x confidence over those skills."""
    free_share: float
    """Share of their time free during the first 30 days."""


@dataclass(frozen=True, kw_only=True)
class OnboardingContext:
    """Everything the drafter reads."""

    key: MoveKey
    """The assignment."""
    person_name: str
    """The person moving."""
    person_title: str
    """Their job title."""
    goal_text: str
    """The goal."""
    task_title: str
    """The task."""
    task_description: str
    """What the task is."""
    task_skills: list[str]
    """The task's grounded skills."""
    gap_skills: list[str]
    """The task's skills the person has no evidence of."""
    catalogue: list[CatalogueMatch] = field(default_factory=list)
    """Catalogue items teaching gap skills."""
    buddies: list[BuddyCandidate] = field(default_factory=list)
    """Possible buddies, strongest first."""
    has_line_manager: bool = True
    """Whether someone above the person can hand their work over."""
    starts_on: date
    """Day 0 of the plan."""


_TASK_SQL = """
SELECT e.name, e.title AS person_title, e.manager_id, g.text AS goal_text, t.title, t.description, t.skills
FROM assignments a JOIN employees e USING (employee_id) JOIN goals g USING (goal_id)
JOIN tasks t ON t.goal_id = a.goal_id AND t.task_id = a.task_id
WHERE a.goal_id = $1 AND a.task_id = $2 AND a.employee_id = $3
"""
_KNOWN_SQL = """
SELECT skill_key FROM employee_skills WHERE employee_id = $1 AND skill_key = ANY($2::text[]) AND level >= $3
"""
_BUDDIES_SQL = """
WITH strong AS (
    SELECT s.employee_id, sum(s.level * s.confidence) AS strength, array_agg(s.skill ORDER BY s.level DESC) AS skills
    FROM employee_skills s WHERE s.skill_key = ANY($1::text[]) AND s.level >= $3 AND s.employee_id <> $2
    GROUP BY s.employee_id
), booked AS (
    SELECT a.employee_id, sum(a.fraction) AS used FROM assignments a JOIN strong USING (employee_id)
    WHERE a.state NOT IN ('declined', 'withdrawn') AND a.starts_on < $5::date AND $4::date < a.ends_on
    GROUP BY a.employee_id
)
SELECT e.employee_id, e.name, e.title, strong.skills, strong.strength,
       e.capacity_pct / 100.0 - coalesce(booked.used, 0) AS free_share
FROM strong JOIN employees e USING (employee_id) LEFT JOIN booked USING (employee_id)
WHERE e.left_on IS NULL AND e.capacity_pct / 100.0 - coalesce(booked.used, 0) >= $6
ORDER BY strong.strength DESC, e.employee_id LIMIT 5
"""


async def gather(conn: Queryable, key: MoveKey, *, starts_on: date) -> OnboardingContext:
    """The drafter's context for an assignment whose plan starts on ``starts_on``.

    Raises:
        LookupError: There is no such assignment.
    """
    row = await conn.fetchrow(_TASK_SQL, key.goal_id, key.task_id, key.employee_id)
    if row is None:
        raise LookupError(f"no assignment of {key.employee_id} on task {key.task_id} of goal {key.goal_id}")
    task_skills: list[str] = list(row["skills"] or [])
    keys = {skill_key(s): s for s in task_skills}
    known = {r["skill_key"] for r in await conn.fetch(_KNOWN_SQL, key.employee_id, list(keys), EVIDENCED_LEVEL)}
    gap = [name for k, name in keys.items() if k not in known]
    wanted = [skill_key(s) for s in gap] or list(keys)
    buddies = [BuddyCandidate(employee_id=r["employee_id"], name=r["name"], title=r["title"], skills=list(r["skills"]),
                              strength=float(r["strength"]), free_share=float(r["free_share"]))
               for r in await conn.fetch(_BUDDIES_SQL, wanted, key.employee_id, BUDDY_LEVEL, starts_on,
                                         starts_on + timedelta(days=30), BUDDY_FREE_SHARE)]
    catalogue = await learning.for_skill_keys(conn, [skill_key(s) for s in gap]) if gap else []
    return OnboardingContext(
        key=key, person_name=row["name"], person_title=row["person_title"], goal_text=row["goal_text"],
        task_title=row["title"], task_description=row["description"], task_skills=task_skills, gap_skills=gap,
        catalogue=catalogue, buddies=buddies, has_line_manager=row["manager_id"] is not None, starts_on=starts_on)
