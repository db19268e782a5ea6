"""Find people inside the company for a task: the ranker's fit, skills, evidence recency and free capacity.

The ranker (:mod:`tools.matching.ranker`, over the index :mod:`tools.matching.employee_index` keeps in sync with
Postgres) reads
everyone's history for the task: TF-IDF, MiniLM embeddings and O*NET occupations. Its best
:data:`RANKER_POOL` then meet what only the database knows: the skills profile (decayed evidence, employee
feedback), the latest evidence about the task, and bookings in the task's window.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import asyncpg
import numpy as np
from numpy.typing import NDArray

from infra.db import Connection
from infra.store.staffing import Candidate
from tools.matching.employee_index import BuiltIndex, employee_index
from tools.matching.employee_records import FEEDBACK_SQL
from tools.people.hris_jsonl import MatchRequest
from tools.people.skill_levels import HALF_LIFE_DAYS
from tools.taxonomy.skill_key import skill_key
from tools.taxonomy.sparse import F32
from tools.taxonomy.task_library import tokens

RANKER_POOL = 50
"""People the ranker hands on to be scored with the database's signals."""
SKILLS_POOL = 30
"""People holding the most of the required skills, added to the ranker's pool: a terse or unusual task text
can send the ranker's occupation guess elsewhere, and whoever holds the skills must still be considered.
Drawn from each required skill's :data:`HOLDERS_PER_SKILL` strongest holders, ordered by their sum over the
required skills."""
HOLDERS_PER_SKILL = 100
"""Strongest holders read per required skill (an index range, ~1 ms at 100,000 employees). Exact for one skill;
for several, someone outside every skill's top 100 is not drawn. Summing every holder of a common skill took
30 ms at the median and up to 0.8 s at 100,000; 24 of 38 bench draws came out the same either way."""

_SKILL_HOLDERS_SQL = """
WITH strongest AS (
    -- each required skill's strongest holders, read in the order of the index (migration 0011)
    SELECT DISTINCT h.employee_id FROM unnest($1::text[]) AS k (key)
    CROSS JOIN LATERAL (
        SELECT s.employee_id FROM employee_skills s
        WHERE s.skill_key = k.key AND NOT (s.employee_id = ANY($2::text[]))
        ORDER BY s.level / 5.0 * s.confidence DESC, s.employee_id LIMIT $4) h
)
SELECT s.employee_id FROM employee_skills s JOIN strongest USING (employee_id)
WHERE s.skill_key = ANY($1::text[])
GROUP BY s.employee_id ORDER BY sum(s.level / 5.0 * s.confidence) DESC, s.employee_id LIMIT $3
"""
FIT_FLOOR = 0.5
"""Ranker scores are divided by the pool's best, but never by less than this: when nobody fits well, nobody
gets a fit near 1."""
WEIGHTS = {"fit": 0.55, "skills": 0.2, "recency": 0.1, "capacity": 0.15}
"""Weights of the final score's terms (see :func:`find_candidates`)."""
_MAX_TEXT = 5000
"""Longest description or skill name handed to the ranker (its request fields' limit)."""

_DETAILS_SQL = """
WITH pool AS (SELECT unnest($1::text[]) AS employee_id),
wanted AS (SELECT unnest($2::text[]) AS key),
skill_fit AS (
    SELECT s.employee_id, sum(s.level / 5.0 * s.confidence) AS fit,
           array_agg(s.skill ORDER BY s.level * s.confidence DESC) AS matched
    FROM employee_skills s JOIN pool USING (employee_id) JOIN wanted w ON w.key = s.skill_key
    GROUP BY s.employee_id
),
task_window AS (SELECT $5::date + 7 * $3::int AS starts_on, $5::date + 7 * $4::int AS ends_on),
booked AS (
    -- peak weekly load would be exact; the sum of overlapping bookings is a safe upper bound
    SELECT a.employee_id, sum(a.fraction) AS used FROM assignments a JOIN pool USING (employee_id), task_window w
    WHERE a.starts_on < w.ends_on AND w.starts_on < a.ends_on AND a.state NOT IN ('declined', 'withdrawn')
    GROUP BY a.employee_id
)
SELECT emp.employee_id, emp.name, emp.title, emp.department,
       greatest(0, emp.capacity_pct / 100.0 - coalesce(b.used, 0)) AS free,
       coalesce(sf.fit, 0) AS fit, coalesce(sf.matched, '{}') AS matched
FROM employees emp JOIN pool USING (employee_id)
LEFT JOIN booked b USING (employee_id)
LEFT JOIN skill_fit sf USING (employee_id)
"""
_EVIDENCE_SQL = """
-- each statement once (task history repeats it per linked skill), with the skills it backs and when;
-- switched-off sources never count, the skills the employee rejected are dropped by the caller
SELECT e.employee_id, e.detail, e.source, array_agg(e.skill) AS skills, array_agg(e.observed_at) AS seen
FROM skill_evidence e
WHERE e.employee_id = ANY($1::text[]) AND e.source NOT IN (SELECT source FROM signal_sources WHERE NOT enabled)
GROUP BY e.employee_id, e.detail, e.source
"""


@dataclass(frozen=True, kw_only=True)
class _Ranked:
    """The ranker's pool for a task: index rows, scores and every signal (for the reasons)."""

    positions: list[int]
    """Rows of the index, best first."""
    scores: list[float]
    """The ranker's score of each (0-1)."""
    signals: dict[str, F32]
    """Every signal for every employee, as :meth:`EmployeeIndex.request_signals` returns them."""


async def find_candidates(
    conn: Connection | asyncpg.Pool[Any],
    *,
    description: str,
    skills: list[str],
    start_week: int,
    end_week: int,
    fraction: float,
    goal_starts_on: date,
    exclude: list[str] | None = None,
    limit: int = 8,
    occupations: list[str] | None = None,
    include: Sequence[str] = (),
) -> list[Candidate]:
    """Employees ranked for a task, each with the evidence that put them there.

    The ranker takes the task text and skills and returns its best :data:`RANKER_POOL` people (switched-off
    signal sources and rejected skills are already out of its index); the :data:`SKILLS_POOL` people holding
    most of the required skills join them, and so do the people in ``include``. Each is then scored::

        score = 0.55 fit + 0.2 skills + 0.1 recency + 0.15 capacity

    * fit: the ranker's score (lexical + semantic + occupation) divided by the pool's best, or by
      :data:`FIT_FLOOR` if the best is lower;
    * skills: sum over the required skills they hold of level/5 x confidence (``employee_skills``: decayed
      evidence from enabled sources, employee feedback applied), divided by the number required;
    * recency: 0.5 ^ (days since their latest enabled evidence about the task / 540), where "about the task"
      means it shares a term with the task's text or backs a required skill; 0 without any;
    * capacity: free share of their time in the task's window (capacity minus overlapping bookings) divided by
      ``fraction``, at most 1. People with no free time at all in the window are left out.

    Args:
        conn: A connection or the pool (prefer the pool: the index build outlives a cancelled caller).
        description: What the task is about.
        skills: Skills it needs.
        start_week: First week, relative to ``goal_starts_on``.
        end_week: Week it ends (exclusive).
        fraction: Share of a person's time it needs in its window.
        goal_starts_on: Date of week 0.
        exclude: Employee ids never to return.
        limit: How many to return.
        occupations: O*NET-SOC codes the task is grounded in, best first: the ranker's occupation signal follows
            them rather than its guess from the text.
        include: Employee ids considered whatever the ranker thinks of them (the holders of a certification the
            task needs); they are scored like everyone else, and those with free time come back after the best
            ``limit`` when they are not among them.

    Returns:
        Best first (the best ``limit``, then any of ``include`` below them); each with a reason quoting their
        evidence and the evidence lines (the best matching evidence row with its source and date, the ranker's
        reasons, matched skills, free capacity).
    """
    built = await employee_index(conn)
    wanted = [s.strip()[:_MAX_TEXT] for s in skills if s.strip()][:500]
    text = " ".join(description.split())[:_MAX_TEXT]
    if built is None or not (text or wanted):
        return []
    request = MatchRequest(request_id="task", responsibilities=[text] if text else [], required_skills=wanted,
                           occupations=occupations or [])
    keys = sorted({skill_key(s) for s in wanted})
    # the ranker scores everyone in a thread while Postgres finds the skill holders
    holder_rows, (total, signals) = await asyncio.gather(
        conn.fetch(_SKILL_HOLDERS_SQL, keys, exclude or [], SKILLS_POOL, HOLDERS_PER_SKILL),
        asyncio.to_thread(_score, built, request, set(exclude or ())))
    ranked = _pool(built, total, signals, [r["employee_id"] for r in holder_rows] + list(include))
    if not ranked.positions:
        return []
    ids = [built.index.ids[i] for i in ranked.positions]
    details, verdicts, evidence = await _fetch_all(
        conn, (_DETAILS_SQL, ids, keys, start_week, end_week, goal_starts_on), (FEEDBACK_SQL, ids),
        (_EVIDENCE_SQL, ids))
    rows: dict[str, dict[str, Any]] = {
        r["employee_id"]: {**r, **_NO_EVIDENCE} for r in details if float(r["free"]) > 0}  # fully booked: out
    rejected = {(r["employee_id"], r["skill_key"]) for r in verdicts if r["verdict"] == "reject"}
    for eid, found in _task_evidence(evidence, rejected, built.index.term_weights([text]), set(keys)).items():
        if eid in rows:
            rows[eid].update(found)
    top = max(max(ranked.scores), FIT_FLOOR)
    now = datetime.now(UTC)
    scored: list[tuple[float, int, Mapping[str, Any]]] = []
    for pos, raw in zip(ranked.positions, ranked.scores, strict=True):
        row = rows.get(built.index.ids[pos])
        if row is None:  # deleted since the index was built, or fully booked
            continue
        terms = _terms(row, raw / top, len(keys), fraction, now)
        score = sum(WEIGHTS[name] * value for name, value in terms.items())
        scored.append((round(min(1.0, score), 4), pos, row))
    scored.sort(key=lambda s: (-s[0], s[2]["employee_id"]))
    wanted_too = set(include)
    kept = scored[:limit] + [s for s in scored[limit:] if s[2]["employee_id"] in wanted_too]
    return [_candidate(score, row, fraction, built.index.reasons(pos, request, ranked.signals))
            for score, pos, row in kept]


async def _fetch_all(conn: Connection | asyncpg.Pool[Any], *queries: tuple[Any, ...]) -> list[list[asyncpg.Record]]:
    """Each query's rows: all at once from a pool (one connection each), one after the other on a connection."""
    if isinstance(conn, asyncpg.Pool):
        return list(await asyncio.gather(*(conn.fetch(*q) for q in queries)))
    return [await conn.fetch(*q) for q in queries]


def _score(built: BuiltIndex, request: MatchRequest, exclude: set[str]) -> tuple[NDArray[np.float64], dict[str, F32]]:
    """The ranker's score of everyone for a request (excluded people at -inf) and every signal (runs in a
    thread)."""
    signals = built.index.request_signals(request)
    total = built.index.combine(signals).astype(np.float64)
    for eid in exclude:
        pos = built.positions.get(eid)
        if pos is not None:
            total[pos] = -math.inf
    return total, signals


def _pool(built: BuiltIndex, total: NDArray[np.float64], signals: dict[str, F32], also: Sequence[str]) -> _Ranked:
    """The best :data:`RANKER_POOL` by ``total`` plus the people in ``also``, best first; excluded ones left out."""
    k = min(RANKER_POOL, len(total))
    best = np.argpartition(-total, k - 1)[:k] if k < len(total) else np.arange(len(total))
    extra = [p for p in (built.positions.get(eid) for eid in also) if p is not None]
    best = np.union1d(best, np.asarray(extra, dtype=best.dtype))
    best = best[np.lexsort((best, -total[best]))]
    kept = [int(i) for i in best if np.isfinite(total[i])]
    return _Ranked(positions=kept, scores=[max(0.0, float(total[i])) for i in kept], signals=signals)


_NO_EVIDENCE: dict[str, Any] = {"detail": None, "source": None, "observed_at": None, "last_seen": None}


@lru_cache(maxsize=1 << 13)
def _term_counts(detail: str) -> Counter[str]:
    """How often each token occurs in an evidence statement (the same people come up for many tasks; about
    eight calls' worth are kept, a few MB)."""
    return Counter(tokens(detail))


_skill_key = lru_cache(maxsize=1 << 16)(skill_key)
"""Skill names repeat across people: each is normalised once."""


def _weight(detail: str, terms: Mapping[str, float]) -> float:
    """The task's terms found in a statement, each counted with its weight as often as it occurs."""
    lowered = detail.lower()
    # a token is a prefix of a lower-cased word (the stemmer only strips endings), so a term missing from the
    # text as a substring is missing from its tokens: most statements are ruled out without tokenising them
    present = [t for t in terms if t in lowered]
    if not present:
        return 0.0
    counts = _term_counts(detail)
    return sum(terms[t] * counts[t] for t in present)


def _task_evidence(rows: Iterable[Mapping[str, Any] | asyncpg.Record], rejected: set[tuple[str, str]],
                   terms: Mapping[str, float], wanted: set[str]) -> dict[str, dict[str, Any]]:
    """Per employee, the evidence statement closest to the task and their latest evidence about it.

    A statement is about the task when it shares a term with it; the closest has the most weight (each of its
    words that the task has counts its IDF in the index, repeats included, as a full-text rank does; not divided
    by the statement's length, so a task statement beats a one-line certificate naming one term), the latest
    breaking ties.
    Evidence "about the task" is such a statement or a row backing a required skill. Rows backing a skill the
    employee rejected never count.

    Args:
        rows: :data:`_EVIDENCE_SQL` rows (a statement with the skills it backs and when).
        rejected: (employee id, skill key) pairs rejected.
        terms: The task's terms with their weight (:meth:`EmployeeIndex.term_weights`).
        wanted: Keys of the required skills.
    """
    best: dict[str, tuple[float, datetime, str, str]] = {}
    latest: dict[str, datetime] = {}
    for row in rows:
        eid = row["employee_id"]
        kept = [(key, seen) for key, seen in zip(map(_skill_key, row["skills"]), row["seen"], strict=True)
                if (eid, key) not in rejected]
        if not kept:
            continue
        for key, seen in kept:
            if key in wanted:
                latest[eid] = max(latest.get(eid, seen), seen)
        weight = _weight(row["detail"], terms)
        if not weight:
            continue
        when = max(seen for _, seen in kept)
        latest[eid] = max(latest.get(eid, when), when)
        rank = (weight, when, row["detail"], row["source"])
        if eid not in best or rank[:2] > best[eid][:2] or (rank[:2] == best[eid][:2] and rank[2] < best[eid][2]):
            best[eid] = rank
    found: dict[str, dict[str, Any]] = {}
    for eid, last in latest.items():
        _, when, detail, source = best.get(eid, (0.0, None, None, None))
        found[eid] = {"detail": detail, "source": source, "observed_at": when, "last_seen": last}
    return found


def _terms(row: Mapping[str, Any], fit: float, wanted: int, fraction: float, now: datetime) -> dict[str, float]:
    """The final score's terms for one person, each from 0 to 1."""
    skills = min(1.0, float(row["fit"]) / wanted) if wanted else 0.0
    recency = 0.0
    if row["last_seen"] is not None:
        days = max(0.0, (now - row["last_seen"]).total_seconds() / 86400)
        recency = 0.5 ** (days / HALF_LIFE_DAYS)
    capacity = min(1.0, float(row["free"]) / max(fraction, 0.05))
    return {"fit": min(1.0, fit), "skills": skills, "recency": recency, "capacity": capacity}


def _candidate(score: float, row: Mapping[str, Any], fraction: float, reasons: Sequence[str]) -> Candidate:
    evidence: list[str] = []
    quoted = ""
    if row["detail"]:
        quoted = _statement(row["detail"])
        evidence.append(f"{row['source'].replace('_', ' ')} ({row['observed_at'].date().isoformat()}): {row['detail']}")
    useful = [r for r in reasons if _adds(r, quoted)][:3]
    evidence += useful
    if row["matched"]:
        evidence.append("skills: " + ", ".join(row["matched"][:5]))
    evidence.append(f"free capacity: {round(float(row['free']) * 100)}%")
    if row["detail"] and row["source"] in ("task_history", "project"):
        reason = f"because they did “{_clip(quoted)}”{_context(row['detail'])} ({row['observed_at']:%b %Y})"
    elif row["detail"]:
        label = row["source"].replace("_", " ")
        reason = f"because of {label} evidence “{_clip(row['detail'])}” ({row['observed_at']:%b %Y})"
    elif useful:
        reason = _because(useful[0])
    elif row["matched"]:
        reason = f"because their record shows {', '.join(row['matched'][:3])}"
    else:
        reason = "because their work history is close to the task"
    return Candidate(
        employee_id=row["employee_id"], name=row["name"], title=row["title"], department=row["department"] or "",
        score=score, fraction=fraction, reason=reason, evidence=evidence,
        free_fraction=round(min(1.0, float(row["free"])), 4),
    )


def _because(reason: str) -> str:
    """A ranker reason ("did …", "work history is …", "profile reads as …") as a "because" line."""
    if reason.startswith("did "):
        return f"because they {reason}"
    return f"because their {reason}"


def _adds(reason: str, quoted: str) -> bool:
    """Whether a ranker reason adds to the evidence lines.

    Not its quote of the statement the evidence row already shows, and not its view of the listed skills: the
    ``skills:`` line from the skills profile (decayed evidence, employee feedback) is the one that counts.
    """
    if reason.startswith(("has ", "lists none ")):
        return False
    found = re.match(r"did “([^”]*)”", reason)
    return not (found and quoted and quoted.rstrip(".").startswith(found.group(1).rstrip("…").rstrip(".")))


def _clip(text: str, limit: int = 90) -> str:
    text = text.rstrip(".")
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def _statement(detail: str) -> str:
    """The work done, without the '(as Title)' / '(project Name)' suffix evidence rows carry."""
    return re.sub(r"\s*\((?:as|project) [^()]*\)\s*$", "", detail)


def _context(detail: str) -> str:
    found = re.search(r"\((as|project) ([^()]*)\)\s*$", detail)
    if not found:
        return ""
    return f" as {found.group(2)}" if found.group(1) == "as" else f" on project {found.group(2)}"
