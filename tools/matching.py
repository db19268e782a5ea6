"""Find people inside the company for a task: skills fit, evidence, recency and free capacity."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import asyncpg

from infra.db import Connection
from tools.schemas import Candidate
from tools.skills import skill_key

_CANDIDATES_SQL = """
WITH wanted AS (SELECT unnest($1::text[]) AS key),
query AS (
    SELECT to_tsquery('english', coalesce(nullif(
        array_to_string(tsvector_to_array(to_tsvector('english', $2)), ' | '), ''), 'nothing')) AS q
),
skill_fit AS (
    SELECT s.employee_id, sum(s.level / 5.0 * s.confidence) AS fit,
           array_agg(s.skill ORDER BY s.level DESC) AS matched, max(s.last_evidence) AS last_seen
    FROM employee_skills s JOIN wanted w ON w.key = s.skill_key
    GROUP BY s.employee_id
),
text_fit AS (
    SELECT DISTINCT ON (e.employee_id) e.employee_id,
           ts_rank(to_tsvector('english', e.detail), query.q) AS rank, e.detail, e.source, e.observed_at
    FROM skill_evidence e, query
    WHERE to_tsvector('english', e.detail) @@ query.q
      AND e.source NOT IN (SELECT source FROM signal_sources WHERE NOT enabled)
    ORDER BY e.employee_id, ts_rank(to_tsvector('english', e.detail), query.q) DESC, e.observed_at DESC
),
task_window AS (SELECT $6::date + 7 * $3::int AS starts_on, $6::date + 7 * $4::int AS ends_on),
booked AS (
    -- peak weekly load would be exact; the sum of overlapping bookings is a safe upper bound
    SELECT a.employee_id, sum(a.fraction) AS used FROM assignments a, task_window w
    WHERE a.starts_on < w.ends_on AND w.starts_on < a.ends_on
    GROUP BY a.employee_id
)
SELECT emp.employee_id, emp.name, emp.title, emp.department, emp.capacity_pct,
       coalesce(sf.fit, 0) AS fit, coalesce(sf.matched, '{}') AS matched, sf.last_seen,
       coalesce(tf.rank, 0) AS rank, tf.detail, tf.source, tf.observed_at,
       greatest(0, emp.capacity_pct / 100.0 - coalesce(b.used, 0)) AS free
FROM employees emp
LEFT JOIN skill_fit sf USING (employee_id)
LEFT JOIN text_fit tf USING (employee_id)
LEFT JOIN booked b USING (employee_id)
WHERE (sf.employee_id IS NOT NULL OR tf.employee_id IS NOT NULL)
  AND NOT (emp.employee_id = ANY($5::text[]))
"""


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
) -> list[Candidate]:
    """Employees ranked for a task, each with the evidence that put them there.

    Score = 0.5 skills fit + 0.35 text match of their evidence to the task + 0.15 free capacity.
    """
    rows = await conn.fetch(
        _CANDIDATES_SQL, [skill_key(s) for s in skills], description, start_week, end_week, exclude or [],
        goal_starts_on,
    )
    if not rows:
        return []
    max_fit = max(r["fit"] for r in rows) or 1.0
    max_rank = max(r["rank"] for r in rows) or 1.0
    scored: list[tuple[float, Any]] = []
    for r in rows:
        free = float(r["free"])
        score = 0.5 * r["fit"] / max_fit + 0.35 * r["rank"] / max_rank + 0.15 * min(1.0, free / max(fraction, 0.05))
        scored.append((round(float(score), 4), r))
    scored.sort(key=lambda sr: (-sr[0], sr[1]["employee_id"]))
    return [_candidate(score, r, fraction) for score, r in scored[:limit]]


def _candidate(score: float, r: Any, fraction: float) -> Candidate:
    evidence: list[str] = []
    if r["detail"]:
        when = r["observed_at"].date().isoformat()
        evidence.append(f"{r['source'].replace('_', ' ')} ({when}): {r['detail']}")
    if r["matched"]:
        evidence.append("skills: " + ", ".join(r["matched"][:5]))
    evidence.append(f"free capacity: {round(float(r['free']) * 100)}%")
    if r["detail"]:
        did = _clip(_statement(r["detail"]))
        reason = f"because they did “{did}”{_context(r['detail'])} ({r['observed_at']:%b %Y})"
    elif r["matched"]:
        reason = f"because their record shows {', '.join(r['matched'][:3])}"
    else:
        reason = "partial match on the task description"
    return Candidate(
        employee_id=r["employee_id"], name=r["name"], title=r["title"], department=r["department"] or "",
        score=min(1.0, score), fraction=fraction, reason=reason, evidence=evidence,
    )


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
