"""The one skill key in Postgres: migration 0014's ``skill_key(text)`` agrees with the Python function on every
code point, the keys the tables hold are the Python ones, and the migration rewrote keys stored the old way.

Every test that writes does so in a transaction it rolls back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from infra.db import migration_files
from tools.people import profile
from tools.people.skill_levels import recompute_employee_skills
from tools.taxonomy.skill_key import skill_key

pytestmark = pytest.mark.integration

EMPLOYEE = "E0007"
TRICKY = [
    "SQL", "sql", "  SQL ", "Sql\t", "Microsoft Excel®", "microsoft   EXCEL", "Microsoft Excel ®", "TABLEAU™",
    "Tableau", "Ångström analysis", "ÅNGSTRÖM  ANALYSIS", "ångström\u00a0analysis", "Straße planning",
    "STRASSE PLANNING", "ΟΔΟΣ design", "İstanbul logistics", "ﬁnancial modelling", "Data\u3000Analysis",
    "\u2003Project management\u2029", "C++", "® ™", "",
]
"""Case, extra and unusual spaces, trademark signs, and letters that fold to something else than their lower case."""
OLD_RECOMPUTE_SQL = r"""
INSERT INTO employee_skills (employee_id, skill, skill_key, level, confidence, evidence_count, last_evidence)
SELECT employee_id, min(skill), lower(regexp_replace(skill, '\s+', ' ', 'g')),
       least(5.0, 1.0 + 0.8 * sum(w)), 1.0 - exp(-sum(w) / 2.0), count(*), max(observed_at)
FROM (SELECT employee_id, skill, observed_at,
             power(0.5, extract(epoch FROM (now() - observed_at)) / 86400.0 / 540) AS w
      FROM skill_evidence WHERE employee_id = $1) e
GROUP BY employee_id, lower(regexp_replace(skill, '\s+', ' ', 'g'))
"""
"""How ``employee_skills`` was keyed before migration 0014 (tools/people/skill_levels.py, no rejections here)."""


@pytest.fixture
async def conn(pool: asyncpg.Pool[Any]) -> AsyncIterator[Any]:
    """A connection inside a transaction that is rolled back, so changes made here stay here."""
    async with pool.acquire() as c:
        tr = c.transaction()
        await tr.start()
        try:
            yield c
        finally:
            await tr.rollback()


async def sql_keys(db: Any, names: list[str]) -> list[str]:
    rows = await db.fetch("SELECT skill_key(n) AS key FROM unnest($1::text[]) WITH ORDINALITY AS t (n, i) ORDER BY i",
                          names)
    return [r["key"] for r in rows]


async def test_sql_and_python_agree_on_tricky_names(pool: asyncpg.Pool[Any]) -> None:
    assert dict(zip(TRICKY, await sql_keys(pool, TRICKY), strict=True)) == {n: skill_key(n) for n in TRICKY}


async def test_sql_and_python_agree_on_every_code_point(pool: asyncpg.Pool[Any]) -> None:
    """Each code point between two ``a``s (so a whitespace character never merges into a run), 2,048 to a string;
    the ASCII ones once more on their own (Postgres takes a shorter path for ASCII-only names)."""
    points = [chr(cp) for cp in range(1, 0x110000) if not 0xD800 <= cp <= 0xDFFF]  # text cannot hold NUL
    texts = ["a" + "a".join(points[i:i + 2048]) + "a" for i in range(0, len(points), 2048)]
    texts.append("a" + "a".join(points[:127]) + "a")
    got = await sql_keys(pool, texts)
    wrong = [(i, t) for i, (t, k) in enumerate(zip(texts, got, strict=True)) if k != skill_key(t)]
    if wrong:
        i, text = wrong[0]
        bad = [c for c in text[1::2] if await pool.fetchval("SELECT skill_key($1)", f"a{c}a") != skill_key(f"a{c}a")]
        pytest.fail(f"{len(wrong)} strings differ; the first (#{i}) at U+{ord(bad[0]):04X}" if bad else str(wrong[:3]))


async def test_stored_keys_are_the_python_keys(conn: Any) -> None:
    when = datetime.now(UTC) - timedelta(days=30)
    await conn.executemany("INSERT INTO skill_evidence (employee_id, skill, source, detail, observed_at)"
                           " VALUES ($1, $2, 'tools_used', 'test', $3)", [(EMPLOYEE, n, when) for n in TRICKY])
    await recompute_employee_skills(conn, [EMPLOYEE])
    rows = await conn.fetch("SELECT skill, skill_key, evidence_count FROM employee_skills WHERE employee_id = $1",
                            EMPLOYEE)
    assert all(r["skill_key"] == skill_key(r["skill"]) for r in rows)
    counts = {r["skill_key"]: r["evidence_count"] for r in rows}
    assert counts["microsoft excel"] >= 3 and counts["strasse planning"] >= 2 and counts["ångström analysis"] >= 3

    # a rejection by any spelling hides every spelling, and the check that the skill is in the profile agrees
    await profile.give_feedback(conn, employee_id=EMPLOYEE, skill="MICROSOFT EXCEL™", verdict="reject", by="test")
    assert await conn.fetchval("SELECT skill_key FROM skill_feedback WHERE employee_id = $1 ORDER BY id DESC LIMIT 1",
                               EMPLOYEE) == "microsoft excel"
    left = {r["skill_key"] for r in await conn.fetch("SELECT skill_key FROM employee_skills WHERE employee_id = $1",
                                                     EMPLOYEE)}
    assert "microsoft excel" not in left and "strasse planning" in left


async def test_the_migration_rewrites_keys_stored_the_old_way(conn: Any) -> None:
    when = datetime.now(UTC) - timedelta(days=30)
    await conn.executemany("INSERT INTO skill_evidence (employee_id, skill, source, detail, observed_at)"
                           " VALUES ($1, $2, 'tools_used', 'test', $3)", [(EMPLOYEE, n, when) for n in TRICKY if n])
    # the state 0013 left: keys as Postgres lower-cased them, feedback keyed by Python's old lower-case key
    await conn.execute("DELETE FROM employee_skills WHERE employee_id = $1", EMPLOYEE)
    await conn.execute(OLD_RECOMPUTE_SQL, EMPLOYEE)
    await conn.execute("INSERT INTO skill_feedback (employee_id, skill_key, skill, verdict, by_login)"
                       " VALUES ($1, 'straße planning', 'Straße planning', 'reject', 'test')", EMPLOYEE)
    old = {r["skill_key"] for r in await conn.fetch("SELECT skill_key FROM employee_skills WHERE employee_id = $1",
                                                    EMPLOYEE)}
    assert {" sql ", "microsoft excel®", "strasse planning"} <= old, "the old keys, untrimmed and unfolded"

    await conn.execute(dict(migration_files())["0014_one_skill_key.sql"])

    migrated = await conn.fetch("SELECT skill, skill_key, evidence_count FROM employee_skills WHERE employee_id = $1"
                                " ORDER BY skill_key", EMPLOYEE)
    assert all(r["skill_key"] == skill_key(r["skill"]) for r in migrated)
    assert "strasse planning" not in {r["skill_key"] for r in migrated}, "rejected under its new key, both spellings"
    assert await conn.fetchval("SELECT skill_key FROM skill_feedback WHERE employee_id = $1 AND skill = $2",
                               EMPLOYEE, "Straße planning") == "strasse planning"
    # exactly what the application computes now
    await recompute_employee_skills(conn, [EMPLOYEE])
    recomputed = await conn.fetch("SELECT skill, skill_key, evidence_count FROM employee_skills WHERE employee_id = $1"
                                  " ORDER BY skill_key", EMPLOYEE)
    assert [dict(r) for r in migrated] == [dict(r) for r in recomputed]
