"""The shipped taxonomy in Postgres: loaded once per data version by the migration-driven sync."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tools.taxonomy.esco import EscoTaxonomy, load_esco
from tools.taxonomy.store import TABLES, loaded_taxonomy_version, shipped_version, sync_taxonomy
from tools.taxonomy.task_library import TaskLibrary, load_task_library

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def library() -> TaskLibrary:
    return load_task_library()


@pytest.fixture(scope="module")
def esco() -> EscoTaxonomy:
    return load_esco()


def expected_counts(library: TaskLibrary, esco: EscoTaxonomy) -> dict[str, int]:
    occupations = library.occupations.values()
    return {
        "onet_occupations": len(library.occupations),
        "onet_alternate_titles": sum(len(o.alternate_titles) for o in occupations),
        "onet_tasks": len(library.tasks),
        "onet_occupation_skills": sum(len(o.skills) for o in occupations),
        "onet_technologies": sum(len(o.technologies) for o in occupations),
        "onet_related_occupations": sum(len(o.related) for o in occupations),
        "esco_skill_groups": len(esco.groups),
        "esco_skills": len(esco.skills),
        "esco_broader": sum(len(s.broader) for s in esco.skills.values())
        + sum(len(g.broader) for g in esco.groups.values()),
        "esco_skill_relations": len(esco.relations),
    }


async def table_counts(pool: asyncpg.Pool[Any]) -> dict[str, int]:
    return {table: await pool.fetchval(f"SELECT count(*) FROM {table}") for table in TABLES}


async def test_the_pool_fixture_loaded_the_shipped_taxonomy(pool: asyncpg.Pool[Any], library: TaskLibrary,
                                                            esco: EscoTaxonomy) -> None:
    expected = expected_counts(library, esco)
    assert await table_counts(pool) == expected
    assert expected["onet_tasks"] == 17_296 and expected["esco_skills"] == 13_939
    meta = await pool.fetchrow("SELECT version, loaded_at, attribution, counts FROM taxonomy_meta")
    assert meta is not None
    assert meta["version"] == shipped_version() and meta["loaded_at"] is not None
    assert library.attribution in meta["attribution"] and esco.attribution in meta["attribution"]
    assert meta["counts"] == expected


async def test_a_second_sync_is_a_no_op(pool: asyncpg.Pool[Any]) -> None:
    loaded_at = await pool.fetchval("SELECT loaded_at FROM taxonomy_meta")
    assert await sync_taxonomy(pool) is False
    assert await pool.fetchval("SELECT loaded_at FROM taxonomy_meta") == loaded_at


async def test_occupation_rows_match_the_library(pool: asyncpg.Pool[Any], library: TaskLibrary) -> None:
    occupation = await pool.fetchrow("SELECT title, job_zone FROM onet_occupations WHERE code = '15-1252.00'")
    assert occupation is not None and occupation["title"] == "Software Developers"
    assert await pool.fetchval("SELECT count(*) FROM onet_alternate_titles WHERE code = '15-1252.00'"
                               " AND lower(title) = 'applications developer'") == 1
    related = await pool.fetch("SELECT related_code FROM onet_related_occupations WHERE code = '15-2051.00'"
                               " ORDER BY rank")
    assert [r["related_code"] for r in related] == list(library.occupations["15-2051.00"].related)
    assert related[0]["related_code"] == "15-2041.00"
    task = library.tasks[0]
    row = await pool.fetchrow("SELECT code, statement, core FROM onet_tasks WHERE task_id = $1", task.task_id)
    assert row is not None and (row["code"], row["statement"], row["core"]) == (task.onet_code, task.text, task.core)
    skills = await pool.fetch("SELECT name, importance, level FROM onet_occupation_skills WHERE code = '15-2051.00'"
                              " ORDER BY rank")
    assert tuple(s["name"] for s in skills) == library.occupations["15-2051.00"].skills
    assert all(s["importance"] >= 3.0 and 0 <= s["level"] <= 7 for s in skills)
    techs = await pool.fetch("SELECT name FROM onet_technologies WHERE code = '15-2051.00' ORDER BY rank")
    assert tuple(t["name"] for t in techs) == library.occupations["15-2051.00"].technologies


async def test_esco_hierarchy_walks_in_sql_like_in_python(pool: asyncpg.Pool[Any], esco: EscoTaxonomy) -> None:
    sql_skill = await pool.fetchrow("SELECT id, alt_labels, labels_inferred FROM esco_skills"
                                    " WHERE lower(label) = 'sql'")
    assert sql_skill is not None and not sql_skill["labels_inferred"] and "SEQUEL" in sql_skill["alt_labels"]
    rows = await pool.fetch(
        """WITH RECURSIVE up (id, depth) AS (
               SELECT $1::text, 0
               UNION ALL
               SELECT b.broader_id, up.depth + 1 FROM up JOIN esco_broader b ON b.concept_id = up.id AND b.rank = 1
           )
           SELECT coalesce(s.label, g.label) AS label FROM up
           LEFT JOIN esco_skills s ON s.id = up.id LEFT JOIN esco_skill_groups g ON g.id = up.id
           ORDER BY depth""", sql_skill["id"])
    labels = [r["label"] for r in rows]
    deduped = [label for i, label in enumerate(labels) if i == 0 or labels[i - 1] != label]
    assert tuple(deduped) == esco.path(sql_skill["id"])
    assert deduped[-1] == "knowledge"
    essential = await pool.fetchval("SELECT count(*) FROM esco_skill_relations WHERE relation = 'essential'")
    assert essential == sum(1 for _, _, kind in esco.relations if kind == "essential")


async def test_a_changed_version_reloads_once_even_with_concurrent_starts(pool: asyncpg.Pool[Any]) -> None:
    before = await table_counts(pool)
    await pool.execute("UPDATE taxonomy_meta SET version = 'an older data version'")
    results = await asyncio.gather(sync_taxonomy(pool), sync_taxonomy(pool), sync_taxonomy(pool))
    assert sorted(results) == [False, False, True]
    assert await pool.fetchval("SELECT version FROM taxonomy_meta") == shipped_version()
    assert await table_counts(pool) == before


async def test_status_reports_the_loaded_version(pool: asyncpg.Pool[Any], pg_url: str, tmp_path: Path) -> None:
    assert await loaded_taxonomy_version(pg_url) == shipped_version()
    assert await loaded_taxonomy_version("postgresql://127.0.0.1:1/nothing", timeout=1) is None
    assert await loaded_taxonomy_version(None) is None
    env = {**os.environ, "TALENTOPS_DATA_DIR": str(tmp_path), "TALENTOPS_DATABASE_URL": pg_url,
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", "from workers.cli import main; main()", "status", "--json"],
        env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["taxonomy_version"] == shipped_version()
