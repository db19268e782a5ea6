"""Bridges: the occupations an employee could move to, what of theirs transfers, and the gap to close.

For an employee with a current O*NET occupation ``c`` and a skills profile (``employee_skills``: level 1-5), every
other occupation ``o`` gets

    score(o) = 0.5 · adjacency(c, o) + 0.5 · fit(o)

* ``adjacency(c, o)`` in [0, 1]: :meth:`tools.taxonomy.adjacency.OccupationSpace.related_scores` of the current
  occupation (shared tasks, skills, technologies, SOC group and job zone, blended with O*NET's Related
  Occupations where listed); 0 when the employee has no known occupation.
* ``fit(o)`` in [0, 1]: how much of ``o``'s requirements the employee already holds: the mean of the skill fit
  and the technology fit over the parts ``o`` lists, where

  - skill fit = Σ wᵣ · credit / Σ wᵣ over ``o``'s O*NET skills and knowledge areas, wᵣ = 1 − r/24 for the
    r-th most important (r from 0, as the adjacency signal weighs them);
  - technology fit = Σ credit / n over ``o``'s n technology skills;
  - credit = clip(level − 1, 0, 1): no credit for a skill the employee lacks, partial credit below
    :data:`SOLID_LEVEL` (level 1.6 earns 0.6), full credit from level 2. Confidence is not used again: level
    already grows with the same decayed evidence.

What **transfers** are ``o``'s skills and technologies the employee holds at level ≥ :data:`SOLID_LEVEL`; the
**gap** is the rest of ``o``'s list (lacking, or held below that level, with the level), most important first:
skills in O*NET's importance order, technologies in the library's order (hot technologies first). Foundational
skills that most occupations list (:data:`FOUNDATIONAL_SHARE`: Active Listening, Critical Thinking, English
Language, Speaking, Reading Comprehension) say nothing about a move: they count neither for fit nor in gaps.

The ``top`` best occupations (the employee's current one excluded) are returned, plus every occupation named in
the employee's stated ``aspirations`` (``employees.profile``; O*NET titles, alternate titles or codes), marked,
even when it is not among the nearest. Skills the employee rejected, and skills whose only evidence comes from
switched-off sources, are left out, as in :mod:`tools.people.profile` and :mod:`tools.people.skill_levels`.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any, Literal

import numpy as np

from infra.db import Connection
from tools.taxonomy.adjacency import OccupationSpace, get_occupation_space, normalise_code
from tools.taxonomy.skill_key import skill_key
from tools.taxonomy.titles import title_words

SOLID_LEVEL = 2.0
"""A skill held at this level or above transfers; below it, it is part of the gap ("held only weakly")."""
ADJACENCY_WEIGHT = 0.5
"""Share of the score that comes from the current occupation's adjacency (the rest is fit)."""
FOUNDATIONAL_SHARE = 0.6
"""O*NET skills listed by at least this share of occupations are foundational: no fit, no gap."""
GAP_LIMIT = 10
"""At most this many gap skills and this many gap technologies per bridge."""
_CODE = re.compile(r"^\d{2}-\d{4}(\.\d{2})?$")

Kind = Literal["skill", "technology"]


class UnknownEmployee(LookupError):
    """No employee has this id."""

    def __init__(self, employee_id: str) -> None:
        super().__init__(f"no employee {employee_id!r}")
        self.employee_id = employee_id


@dataclass(frozen=True, kw_only=True)
class HeldSkill:
    """One of the target's skills or technologies that the employee holds at a transferable level."""

    name: str
    """The skill or technology as the target occupation names it."""
    kind: Kind
    """``skill`` (O*NET skill or knowledge area) or ``technology``."""
    level: float
    """The employee's level, 1 to 5."""


@dataclass(frozen=True, kw_only=True)
class GapItem:
    """One of the target's skills or technologies the employee lacks or holds only weakly."""

    name: str
    """The skill or technology as the target occupation names it."""
    kind: Kind
    """``skill`` (O*NET skill or knowledge area) or ``technology``."""
    level: float | None = None
    """The employee's level when they hold it below :data:`SOLID_LEVEL`; None when they lack it."""


@dataclass(frozen=True, kw_only=True)
class Bridge:
    """An occupation an employee could move to."""

    code: str
    """O*NET-SOC code."""
    title: str
    """Occupation title."""
    score: float
    """``0.5 · adjacency + 0.5 · fit``, from 0 to 1."""
    adjacency: float
    """Adjacency of the employee's current occupation to this one, 0 to 1."""
    fit: float
    """Share of this occupation's skills and technologies the employee already holds (level-weighted), 0 to 1."""
    transfers: list[HeldSkill] = field(default_factory=list)
    """What the employee already has that it needs, highest level first."""
    gap_skills: list[GapItem] = field(default_factory=list)
    """Its skills and knowledge areas the employee lacks or holds weakly, most important first."""
    gap_technologies: list[GapItem] = field(default_factory=list)
    """Its technologies the employee lacks or holds weakly, in the library's order (hot ones first)."""
    nearest: bool = True
    """Whether it is among the ``top`` nearest (False: listed only because the employee aspires to it)."""
    aspired: bool = False
    """Whether the employee's stated aspirations name it."""
    aspiration: str | None = None
    """The aspiration as the employee stated it."""


@dataclass(frozen=True, kw_only=True)
class EmployeeBridges:
    """An employee's nearest occupations and aspired ones, each with what transfers and the gap."""

    employee_id: str
    """The employee."""
    name: str
    """Their name."""
    title: str
    """Their job title."""
    current_code: str | None
    """O*NET-SOC code of their current occupation (None when unknown)."""
    current_title: str | None
    """Title of that occupation."""
    bridges: list[Bridge] = field(default_factory=list)
    """The nearest occupations, best first, then aspired ones that are not among them."""
    aspirations: list[str] = field(default_factory=list)
    """Their stated aspirations."""
    unmatched_aspirations: list[str] = field(default_factory=list)
    """Aspirations that name no O*NET occupation (or only their current one)."""
    formula: str = "score = 0.5 · adjacency + 0.5 · fit"
    """How the score is made (see :mod:`tools.people.bridges`)."""
    attribution: str = ""
    """Where the occupation data comes from."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)


# ---------------------------------------------------------------------------------------------------------------
# what each occupation asks for


@dataclass(frozen=True)
class _Requirements:
    skills: list[tuple[str, str, float]]
    """(name, key, weight) of the non-foundational skills, most important first."""
    technologies: list[tuple[str, str]]
    """(name, key) of the technologies in the library's order."""


@lru_cache(maxsize=4)
def _requirements(space: OccupationSpace) -> list[_Requirements]:
    """Each occupation's requirements, in ``space.codes`` order."""
    listed = [list(dict.fromkeys(names)) for names in space.skill_names]
    df: dict[str, int] = {}
    for names in listed:
        for name in names:
            df[name] = df.get(name, 0) + 1
    rated = sum(1 for names in listed if names)
    foundational = {n for n, c in df.items() if c >= FOUNDATIONAL_SHARE * rated}
    out: list[_Requirements] = []
    for j, names in enumerate(listed):
        skills = [(n, skill_key(n), 1.0 - rank / 24.0) for rank, n in enumerate(names) if n not in foundational]
        techs: dict[str, str] = {}
        for t in space.library.occupations[space.codes[j]].technologies:
            techs.setdefault(skill_key(t), t)
        out.append(_Requirements(skills=skills, technologies=[(n, k) for k, n in techs.items()]))
    return out


def foundational_skills(space: OccupationSpace | None = None) -> list[str]:
    """The O*NET skills left out of fit and gaps because most occupations list them."""
    space = space or get_occupation_space()
    every = {n for names in space.skill_names for n in names}
    kept = {n for r in _requirements(space) for n, _, _ in r.skills}
    return sorted(every - kept)


@lru_cache(maxsize=4)
def _title_index(space: OccupationSpace) -> tuple[dict[str, int], dict[tuple[str, ...], int]]:
    """Exact (case-folded) and word-level (stemmed, seniority-free) indexes of titles and unique alternate titles."""
    exact: dict[str, int] = {}
    words: dict[tuple[str, ...], int] = {}
    alt_exact: dict[str, set[int]] = {}
    alt_words: dict[tuple[str, ...], set[int]] = {}
    for j, code in enumerate(space.codes):
        occupation = space.library.occupations[code]
        exact.setdefault(occupation.title.casefold(), j)
        words.setdefault(tuple(title_words(occupation.title)), j)
        for alt in occupation.alternate_titles:
            alt_exact.setdefault(alt.casefold(), set()).add(j)
            alt_words.setdefault(tuple(title_words(alt)), set()).add(j)
    for key, js in alt_exact.items():
        if len(js) == 1:
            exact.setdefault(key, next(iter(js)))
    for wkey, js in alt_words.items():
        if len(js) == 1:
            words.setdefault(wkey, next(iter(js)))
    words.pop((), None)
    return exact, words


def resolve_aspiration(space: OccupationSpace, text: str) -> int | None:
    """The occupation (row in ``space``) an aspiration names: an O*NET code, title or unambiguous alternate title.

    Titles match case-insensitively, then word for word after stemming and dropping seniority words
    ("Senior Data Scientist" names Data Scientists); anything vaguer is left unmatched rather than guessed.
    """
    text = " ".join(text.split())
    if _CODE.match(text):
        return space.position.get(normalise_code(text))
    exact, words = _title_index(space)
    hit = exact.get(text.casefold())
    return hit if hit is not None else words.get(tuple(title_words(text)))


# ---------------------------------------------------------------------------------------------------------------
# scoring


def _credit(level: float | None) -> float:
    return 0.0 if level is None else min(1.0, max(0.0, (level - 1.0) / (SOLID_LEVEL - 1.0)))


def compute_bridges(space: OccupationSpace, *, employee_id: str, name: str, title: str, onet_code: str | None,
                    skills: dict[str, float], aspirations: Sequence[str], top: int = 5,
                    gap_limit: int = GAP_LIMIT) -> EmployeeBridges:
    """Bridges from an employee's occupation and skills (pure; :func:`employee_bridges` reads them from Postgres).

    Args:
        space: The occupation space.
        employee_id: The employee.
        name: Their name.
        title: Their job title.
        onet_code: Their current O*NET occupation, if known.
        skills: Their skills as ``skill name → level`` (1-5).
        aspirations: Occupations they said they aspire to (titles or codes).
        top: How many nearest occupations.
        gap_limit: At most this many gap skills and this many gap technologies per bridge.

    Returns:
        The ``top`` nearest occupations, best first, then aspired occupations not among them.
    """
    held: dict[str, float] = {}
    for skill, level in skills.items():
        key = skill_key(skill)
        held[key] = max(level, held.get(key, 0.0))
    current = space.position.get(normalise_code(onet_code)) if onet_code else None
    n = len(space.codes)
    adjacency = (np.clip(space.related_scores(current), 0.0, 1.0) if current is not None
                 else np.zeros(n, dtype=np.float32))
    requirements = _requirements(space)
    fit = np.zeros(n, dtype=np.float64)
    for j, req in enumerate(requirements):
        parts: list[float] = []
        if req.skills:
            parts.append(sum(w * _credit(held.get(k)) for _, k, w in req.skills) / sum(w for _, _, w in req.skills))
        if req.technologies:
            parts.append(sum(_credit(held.get(k)) for _, k in req.technologies) / len(req.technologies))
        fit[j] = sum(parts) / len(parts) if parts else 0.0
    score = ADJACENCY_WEIGHT * adjacency + (1.0 - ADJACENCY_WEIGHT) * fit
    if current is not None:
        score[current] = -1.0

    aspired: dict[int, str] = {}
    unmatched: list[str] = []
    for text in aspirations:
        hit = resolve_aspiration(space, text)
        if hit is None or hit == current:
            unmatched.append(text)
        else:
            aspired.setdefault(hit, text)

    order = [int(j) for j in np.argsort(-score, kind="stable")[:top] if score[j] >= 0]
    extra = sorted((j for j in aspired if j not in order), key=lambda j: (-score[j], j))

    def bridge(j: int, nearest: bool) -> Bridge:
        req = requirements[j]
        transfers: list[HeldSkill] = []
        gap_skills: list[GapItem] = []
        gap_techs: list[GapItem] = []
        for item_name, key, _ in req.skills:
            level = held.get(key)
            if level is not None and level >= SOLID_LEVEL:
                transfers.append(HeldSkill(name=item_name, kind="skill", level=round(level, 2)))
            else:
                gap_skills.append(GapItem(name=item_name, kind="skill",
                                          level=None if level is None else round(level, 2)))
        for item_name, key in req.technologies:
            level = held.get(key)
            if level is not None and level >= SOLID_LEVEL:
                transfers.append(HeldSkill(name=item_name, kind="technology", level=round(level, 2)))
            else:
                gap_techs.append(GapItem(name=item_name, kind="technology",
                                         level=None if level is None else round(level, 2)))
        transfers.sort(key=lambda h: -h.level)
        return Bridge(code=space.codes[j], title=space.titles[j], score=round(float(score[j]), 4),
                      adjacency=round(float(adjacency[j]), 4), fit=round(float(fit[j]), 4), transfers=transfers,
                      gap_skills=gap_skills[:gap_limit], gap_technologies=gap_techs[:gap_limit], nearest=nearest,
                      aspired=j in aspired, aspiration=aspired.get(j))

    return EmployeeBridges(
        employee_id=employee_id, name=name, title=title,
        current_code=space.codes[current] if current is not None else None,
        current_title=space.titles[current] if current is not None else None,
        bridges=[bridge(j, True) for j in order] + [bridge(j, False) for j in extra],
        aspirations=list(aspirations), unmatched_aspirations=unmatched, attribution=space.library.attribution)


# ---------------------------------------------------------------------------------------------------------------
# from Postgres

# The employee's current skills, bar any whose latest feedback is a rejection and any no longer backed by evidence
# from a source that is switched on (``employee_skills`` is recomputed on both, this holds even before it is):
# the backing is checked in Python, against the keys of :data:`_BACKED_SQL`'s names.
_SKILLS_SQL = """
WITH latest AS (
    SELECT DISTINCT ON (skill_key) skill_key, verdict FROM skill_feedback
    WHERE employee_id = $1 ORDER BY skill_key, id DESC
)
SELECT s.skill, s.skill_key, s.level FROM employee_skills s
WHERE s.employee_id = $1
  AND NOT EXISTS (SELECT 1 FROM latest l WHERE l.skill_key = s.skill_key AND l.verdict = 'reject')
"""
_BACKED_SQL = """
SELECT DISTINCT e.skill FROM skill_evidence e JOIN signal_sources src USING (source)
WHERE e.employee_id = $1 AND src.enabled
"""
"""The skill names the employee's evidence from switched-on sources names."""


def _aspirations(profile: Any) -> list[str]:
    if isinstance(profile, str):
        profile = json.loads(profile)
    raw = profile.get("aspirations") if isinstance(profile, dict) else None
    if isinstance(raw, str):
        raw = [raw]
    return [" ".join(a.split()) for a in raw or [] if isinstance(a, str) and a.strip()]


def _ready_space() -> OccupationSpace:
    space = get_occupation_space()
    _ = space.adjacency
    _requirements(space)
    return space


async def employee_bridges(conn: Connection, employee_id: str, *, top: int = 5) -> EmployeeBridges:
    """The occupations an employee could move to, with what transfers and the gap to close.

    Args:
        conn: A Postgres connection.
        employee_id: The employee.
        top: How many nearest occupations (aspired ones come on top of these).

    Returns:
        The employee's bridges (see the module docstring for the score).

    Raises:
        UnknownEmployee: No employee has this id (a :class:`LookupError`).
    """
    row = await conn.fetchrow("SELECT employee_id, name, title, onet_code, profile FROM employees"
                              " WHERE employee_id = $1", employee_id)
    if row is None:
        raise UnknownEmployee(employee_id)
    backed = {skill_key(r["skill"]) for r in await conn.fetch(_BACKED_SQL, employee_id)}
    skills: dict[str, float] = {}
    for r in await conn.fetch(_SKILLS_SQL, employee_id):
        if r["skill_key"] in backed:
            skills[r["skill"]] = max(float(r["level"]), skills.get(r["skill"], 0.0))
    space = await asyncio.to_thread(_ready_space)  # about 4 s the first time in a process
    return await asyncio.to_thread(
        compute_bridges, space, employee_id=row["employee_id"], name=row["name"], title=row["title"],
        onet_code=row["onet_code"], skills=skills, aspirations=_aspirations(row["profile"]), top=top)
