"""Grounding a task in O*NET: the work activities that describe it, the occupations that do them for this goal,
and the technologies and skills that fit.

An occupation's score for a task has three parts, each from 0 to 1:

* **activity**: the task's words (its work activity and title) against every Detailed Work Activity; the
  closest ones lead to the occupations whose task statements perform them;
* **goal**: how close the occupation's own task statements come to the goal as a whole (its three closest), so
  "test the new WMS" goes to logistics people in a distribution-centre goal and to software testers in a
  software goal, and "ED" work to emergency-department staff;
* **role**: how close the occupation is to who usually does this kind of task ("purchasing agents, buyers …"
  for a negotiation), from the template.

``score = 0.3 activity + 0.7 (share · goal + (1 - share) · role) - 0.15 per job zone below the task's``, where
``share`` says how much the goal's domain, rather than the role, decides who does the task. It is lowered when
no occupation's task statements come close to the goal (O*NET has no payments product managers): then who
usually does the task counts for more.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from tools.taxonomy.work_activities import F32, ActivitySpace, load_activity_space

TOP_ACTIVITIES = 15
"""Closest work activities a task is compared through."""
ACTIVITY_FLOOR = 0.3
"""Similarity a work activity needs to count at all."""
ACTIVITY_WEIGHT = 0.3
"""Weight of the activity part (the rest: goal and role)."""
SPREAD = 0.3
"""Goal and role similarities count from (best - SPREAD) to the best."""
ZONE_PENALTY = 0.15
"""Score lost per job zone below what the task needs."""
STATEMENTS_PER_OCCUPATION = 3
"""An occupation's goal similarity is the mean of its closest task statements."""
MAX_OCCUPATIONS = 3
"""Occupations kept per task."""
KEEP_SHARE = 0.85
"""Occupations within this share of the best score are kept."""
_GENERIC_SKILLS = frozenset({
    "Reading Comprehension", "Active Listening", "Speaking", "Writing", "English Language", "Critical Thinking",
    "Monitoring", "Active Learning", "Social Perceptiveness", "Coordination", "Time Management",
    "Judgment and Decision Making", "Complex Problem Solving", "Service Orientation"})
"""O*NET skills nearly every occupation rates important: they say nothing about a task."""
TECH_FLOOR = 0.35
"""Similarity a technology needs to the task and goal to be listed as a skill."""
SKILL_FLOOR = 0.2
"""Similarity an O*NET skill or knowledge area needs to the task and goal to be listed."""


@dataclass(frozen=True, kw_only=True)
class Grounding:
    """What a task was grounded in."""

    activities: list[str]
    """O*NET detailed work activities, closest first."""
    occupations: list[str]
    """O*NET-SOC codes, best first."""
    skills: list[str]
    """Technologies and skills that fit, most relevant first."""
    activity_similarity: float
    """Similarity of the closest activity (how well the task is grounded)."""


@dataclass(frozen=True, kw_only=True)
class GoalFit:
    """How close each occupation's work comes to a goal."""

    relative: F32
    """Per occupation, 0 to 1 relative to the best (see :data:`SPREAD`)."""
    confidence: float
    """0.3-1: how close the best occupation comes (low: O*NET has nobody who does quite this)."""


def goal_fit(goal_vector: F32, *, named: list[str] = (), space: ActivitySpace | None = None) -> GoalFit:  # type: ignore[assignment]
    """Each occupation's closeness to a goal: the mean similarity of its closest task statements.

    Args:
        goal_vector: Unit vector of the goal.
        named: Occupations that use a technology the goal names; they count as close as the best.
        space: The activity space.
    """
    space = space or load_activity_space()
    similarities = space.statement_vectors @ goal_vector
    order = np.argsort(-similarities)
    total = np.zeros(len(space.occupation_codes), dtype=np.float32)
    counted = np.zeros(len(space.occupation_codes), dtype=np.int32)
    for i in order[:4000]:  # enough for every occupation near the top to fill its three
        owner = space.statement_owner[i]
        if counted[owner] < STATEMENTS_PER_OCCUPATION:
            total[owner] += similarities[i]
            counted[owner] += 1
    mean = np.where(counted > 0, total / np.maximum(counted, 1), 0.0).astype(np.float32)
    best = float(mean.max())
    column = {c: j for j, c in enumerate(space.occupation_codes)}
    for code in named:
        mean[column[code]] = max(float(mean[column[code]]), best)
    return GoalFit(relative=_relative(mean), confidence=float(np.clip((best - 0.3) / 0.25, 0.3, 1.0)))


@lru_cache(maxsize=64)
def domain_people_fit(description: str) -> F32:
    """Each occupation's closeness to the people who work in a domain (relative to the best)."""
    space = load_activity_space()
    people = space.encode([f"specialists and managers who work in {description}"])[0]
    return _relative(space.occupation_vectors @ people)


@lru_cache(maxsize=64)
def role_fit(who: str) -> F32:
    """Each occupation's closeness to a description of who does a kind of task (relative to the best)."""
    space = load_activity_space()
    return _relative(space.occupation_vectors @ space.encode([who])[0])


def _relative(similarities: F32) -> F32:
    scaled: F32 = np.clip((similarities - similarities.max() + SPREAD) / SPREAD, 0.0, 1.0).astype(np.float32)
    return scaled


def ground_task(task_text: str, *, goal: GoalFit, role: F32 | None, domain_share: float, min_zone: int,
                context: F32, domain: F32 | None = None, space: ActivitySpace | None = None) -> Grounding:
    """Ground one task.

    Args:
        task_text: The task's work activity and title.
        goal: :func:`goal_fit` of the goal.
        role: :func:`role_fit` of who usually does the task (None: the goal alone decides).
        domain_share: Weight of ``goal`` against ``role``.
        min_zone: Job zone the task needs at least.
        context: Unit vector of the goal, to choose technologies and skills that fit it.
        domain: :func:`domain_people_fit` of the goal's domain; half of the goal part when given (the goal's own
            words can be terse or odd, its domain is steadier).
        space: The activity space (the process-wide one by default).
    """
    space = space or load_activity_space()
    vector = space.encode([task_text])[0]
    similarities = space.activity_vectors @ vector
    top = np.argsort(-similarities)[:TOP_ACTIVITIES]
    top = top[similarities[top] >= ACTIVITY_FLOOR]
    activity = np.zeros(len(space.occupation_codes), dtype=np.float32)
    if len(top):
        activity = ((similarities[top] - ACTIVITY_FLOOR + 0.05) ** 2) @ space.links[top]
        activity = np.sqrt(activity / max(float(activity.max()), 1e-9))
    in_goal = goal.relative if domain is None else 0.5 * goal.relative + 0.5 * domain
    share = domain_share * (goal.confidence if domain is None else 0.5 + 0.5 * goal.confidence)
    who = in_goal if role is None else share * in_goal + (1 - share) * role
    zones = np.array([space.library.occupations[c].job_zone or 3 for c in space.occupation_codes], dtype=np.float32)
    score = ACTIVITY_WEIGHT * activity + (1 - ACTIVITY_WEIGHT) * who - ZONE_PENALTY * np.maximum(0, min_zone - zones)
    order = np.argsort(-score)[:MAX_OCCUPATIONS]
    best = float(score[order[0]])
    occupations = [space.occupation_codes[i] for i in order if score[i] >= KEEP_SHARE * best and score[i] > 0]
    mixed = vector + context
    mixed /= max(float(np.linalg.norm(mixed)), 1e-12)
    return Grounding(
        activities=[space.activities[i].title.rstrip(".") for i in top[:5]],
        occupations=occupations, skills=_skills(space, occupations, mixed),
        activity_similarity=round(float(similarities.max()), 4))


def _skills(space: ActivitySpace, occupations: list[str], context: F32) -> list[str]:
    """Technologies of the occupations that fit the task and goal, then their task-specific O*NET skills."""
    tech_index, skill_index = _indexes(id(space))
    techs: dict[str, float] = {}
    skills: dict[str, float] = {}
    for code in occupations:
        occupation = space.library.occupations[code]
        for name in occupation.technologies:
            techs[name] = float(space.tech_vectors[tech_index[name]] @ context)
        for name in occupation.skills:
            if name not in _GENERIC_SKILLS:
                skills[name] = float(space.skill_vectors[skill_index[name]] @ context)
    chosen = [n for n, s in sorted(techs.items(), key=lambda kv: (-kv[1], kv[0]))
              if s >= TECH_FLOOR and _generic(n)][:3]
    ranked = [n for n, _ in sorted(skills.items(), key=lambda kv: (-kv[1], kv[0]))]
    chosen += [n for n in ranked if skills[n] >= SKILL_FLOOR][:2]
    return chosen or ranked[:1]  # a task always names at least its closest O*NET skill


def _generic(name: str) -> bool:
    """A kind of technology ("Inventory control software", "Warehouse management system WMS") rather than one
    vendor's product ("Cadre Technologies Accuplus …"): at most half its words capitalised after the first."""
    words = name.split()[1:]
    return not words or sum(w[:1].isupper() for w in words if not w.isupper()) <= len(words) / 2


_INDEXES: dict[int, tuple[dict[str, int], dict[str, int]]] = {}


def _indexes(space_id: int) -> tuple[dict[str, int], dict[str, int]]:
    """Row of each technology and skill name, per space (the process has one)."""
    if space_id not in _INDEXES:
        space = load_activity_space()
        _INDEXES[id(space)] = ({n: i for i, n in enumerate(space.tech_names)},
                               {n: i for i, n in enumerate(space.skill_names)})
    return _INDEXES[space_id]
