"""Turn evidence rows into per-employee skill levels and confidences, with time decay."""

from __future__ import annotations

from infra.db import Connection
from tools.taxonomy.skill_key import skill_key

HALF_LIFE_DAYS = 540
"""A skill's evidence counts half after this long without practice."""

_EVIDENCE_NAMES_SQL = "SELECT DISTINCT skill FROM skill_evidence WHERE employee_id = ANY($1::text[])"

# level: 1 + 0.8 per unit of decayed evidence, capped at 5; confidence: 1 - exp(-decayed evidence / 2).
# Evidence from switched-off sources does not count; a skill the employee rejected (latest verdict) is left out.
# Evidence is grouped by the key of its skill name; the keys come from skill_key() in Python ($2 names, $3 their
# keys), so the stored keys are the ones every look-up computes.
_RECOMPUTE_SQL = f"""
WITH keys AS (
    SELECT k.skill, k.skill_key FROM unnest($2::text[], $3::text[]) AS k (skill, skill_key)
),
rejected AS (
    SELECT DISTINCT ON (employee_id, skill_key) employee_id, skill_key, verdict
    FROM skill_feedback WHERE employee_id = ANY($1::text[])
    ORDER BY employee_id, skill_key, id DESC
),
weighted AS (
    SELECT e.employee_id, e.skill, k.skill_key,
           power(0.5, extract(epoch FROM (now() - e.observed_at)) / 86400.0 / {HALF_LIFE_DAYS}) AS weight,
           e.observed_at
    FROM skill_evidence e JOIN keys k ON k.skill = e.skill
    WHERE e.employee_id = ANY($1::text[])
      AND e.source NOT IN (SELECT source FROM signal_sources WHERE NOT enabled)
      AND NOT EXISTS (SELECT 1 FROM rejected r WHERE r.employee_id = e.employee_id AND r.verdict = 'reject'
                      AND r.skill_key = k.skill_key)
)
INSERT INTO employee_skills (employee_id, skill, skill_key, level, confidence, evidence_count, last_evidence)
SELECT employee_id, min(skill), skill_key,
       least(5.0, 1.0 + 0.8 * sum(weight)), 1.0 - exp(-sum(weight) / 2.0), count(*), max(observed_at)
FROM weighted
GROUP BY employee_id, skill_key
"""


async def recompute_employee_skills(conn: Connection, employee_ids: list[str]) -> None:
    """Rebuild ``employee_skills`` for these employees from their evidence.

    Callers that add evidence recompute afterwards, so the last recompute for an employee sees all of it.
    """
    async with conn.transaction():
        names = [r["skill"] for r in await conn.fetch(_EVIDENCE_NAMES_SQL, employee_ids)]
        await conn.execute("DELETE FROM employee_skills WHERE employee_id = ANY($1::text[])", employee_ids)
        await conn.execute(_RECOMPUTE_SQL, employee_ids, names, [skill_key(n) for n in names])
