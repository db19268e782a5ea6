"""HRIS import: validated whole before any write, upserts on re-import, clear errors naming the line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import numpy as np
import pytest

from tools.embeddings import get_encoder
from tools.matching import employee_records, stored_vectors
from tools.matching.ranker import RankerWeights
from tools.matching.record_text import embedding_text
from tools.people.hris_jsonl import JsonlError
from tools.people_import.hris_import import import_employees

pytestmark = pytest.mark.integration
TALENTOPS = str(Path(sys.executable).parent / "talentops")


def employee(eid: str, title: str, skills: list[str], **extra: Any) -> dict[str, Any]:
    return {"employee_id": eid, "work_history": [
        {"title": title, "is_current": True, "years": 3,
         "responsibilities": ["Analyze transaction data to detect fraudulent card payments."]},
        {"title": "Junior Analyst", "is_current": False, "years": 2,
         "responsibilities": ["Prepare monthly reports for management."]}], "skills": skills, **extra}


def write(path: Path, rows: list[Any]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


async def test_import_then_reimport_updates_without_duplicates(pool: asyncpg.Pool[Any], tmp_path: Path) -> None:
    first = write(tmp_path / "hris.jsonl", [
        employee("X-1", "Fraud Analyst", ["SQL", "Python"], name="Ada Lovelace", department="risk"),
        employee("X-2", "Sr. Data Wrangler II", ["Tableau"], capacity_pct=50, department="analytics-new")])
    async with pool.acquire() as conn:
        report = await import_employees(conn, first, by="test")
        assert (report.inserted, report.updated) == (2, 0) and report.evidence_rows > 0
        skills = {r["skill"] for r in await conn.fetch("SELECT skill FROM employee_skills WHERE employee_id = 'X-1'")}
        assert {"SQL", "Python"} <= skills
        assert await conn.fetchval("SELECT name FROM departments WHERE code = 'analytics-new'") == "analytics-new"

        second = write(tmp_path / "hris2.jsonl", [employee("X-1", "Fraud Analyst", ["SQL", "Kafka"], name="Ada L.")])
        report = await import_employees(conn, second, by="test")
        assert (report.inserted, report.updated) == (0, 1)
        assert await conn.fetchval("SELECT count(*) FROM employees WHERE employee_id = 'X-1'") == 1
        assert await conn.fetchval("SELECT name FROM employees WHERE employee_id = 'X-1'") == "Ada L."
        tools = {r["skill"] for r in await conn.fetch(
            "SELECT skill FROM skill_evidence WHERE employee_id = 'X-1' AND source = 'tools_used'")}
        assert tools == {"SQL", "Kafka"}  # replaced, not appended


async def test_import_stores_the_vectors_the_index_build_would_compute(pool: asyncpg.Pool[Any],
                                                                        tmp_path: Path) -> None:
    async def build_hash(eid: str) -> tuple[str, str, bytes]:
        """(hash the index build computes, hash stored, stored vector) for one employee."""
        row = await pool.fetchrow("SELECT e.title, e.profile, v.text_hash, vector_send(v.embedding) AS raw"
                                  " FROM employees e JOIN employee_embeddings v USING (employee_id)"
                                  " WHERE e.employee_id = $1", eid)
        assert row is not None, f"{eid} has no stored vector"
        feedback = employee_records.feedback_by_employee(await pool.fetch(employee_records.FEEDBACK_SQL, [eid]),
                                                         frozenset())
        record = employee_records.employee_record(eid, row["title"], row["profile"], disabled=frozenset(),
                                                feedback=feedback.get(eid))
        tokens = RankerWeights().embed_tokens
        return stored_vectors.text_hash(embedding_text(record), max_tokens=tokens), row["text_hash"], row["raw"]

    path = write(tmp_path / "v.jsonl", [employee("V-1", "Fraud Analyst", ["SQL", "Python"]),
                                        employee("V-2", "Registered Nurse", ["Epic"])])
    try:
        async with pool.acquire() as conn:
            first = await import_employees(conn, path, by="test")
            again = await import_employees(conn, path, by="test")
            assert (first.embedded, again.embedded) == (2, 0), "an unchanged profile is not embedded again"
            expected, stored, raw = await build_hash("V-1")
            assert stored == expected
            vector = get_encoder().encode([embedding_text(employee_records.employee_record(
                "V-1", "Fraud Analyst", {"work_history": employee("V-1", "Fraud Analyst", [])["work_history"],
                                         "skills": ["SQL", "Python"]}, disabled=frozenset()))],
                max_tokens=RankerWeights().embed_tokens)[0]
            assert float(np.frombuffer(raw, dtype=">f4", offset=4) @ vector) > 0.9999

            # a rejected skill leaves the text the build embeds: the next import embeds that text, not the file's
            await conn.execute("INSERT INTO skill_feedback (employee_id, skill_key, skill, verdict, by_login)"
                               " VALUES ('V-1', 'python', 'Python', 'reject', 'test')")
            third = await import_employees(conn, path, by="test")
            assert third.embedded == 1
            expected, stored, _ = await build_hash("V-1")
            assert stored == expected

            no_vectors = await import_employees(conn, write(tmp_path / "w.jsonl", [
                employee("V-3", "Welder", ["MIG welding"])]), by="test", embed=False)
            assert no_vectors.embedded == 0
            assert not await conn.fetchval("SELECT count(*) FROM employee_embeddings WHERE employee_id = 'V-3'")
    finally:
        await pool.execute("DELETE FROM employees WHERE employee_id LIKE 'V-%'")


async def test_messy_titles_are_normalised_to_occupations(pool: asyncpg.Pool[Any], tmp_path: Path) -> None:
    def job(eid: str, title: str, statements: list[str]) -> dict[str, Any]:
        return {"employee_id": eid, "work_history": [{"title": title, "is_current": True, "years": 2,
                                                      "responsibilities": statements}], "skills": []}

    path = write(tmp_path / "titles.jsonl", [
        job("N-1", "Sr Softwre Enginer II", ["Modify existing software to correct errors."]),  # typo, seniority
        job("N-2", "Staff Nurse", []),  # an O*NET alternate title, nothing else
        job("N-3", "Sr. Fraud Analyst", ["Analyze transaction data to detect fraudulent card payments."]),
        job("N-4", "", ["Drive a forklift to move pallets in the warehouse."]),  # statements only
        job("N-5", "Xyz", [])])  # nothing to go on
    async with pool.acquire() as conn:
        await import_employees(conn, path, by="test")
        codes = {r["employee_id"]: r["onet_code"] for r in await conn.fetch(
            "SELECT employee_id, onet_code FROM employees WHERE employee_id LIKE 'N-%'")}
        await conn.execute("DELETE FROM employees WHERE employee_id LIKE 'N-%'")
    assert codes["N-1"] == "15-1252.00"  # Software Developers
    assert codes["N-2"] == "29-1141.00"  # Registered Nurses
    assert codes["N-3"] == "13-2099.04"  # Fraud Examiners, Investigators and Analysts
    assert codes["N-4"] is not None and codes["N-4"].startswith("53-")  # material moving
    assert codes["N-5"] is None


@pytest.mark.parametrize("rows, message", [
    ([employee("Y-1", "Analyst", []), "{not json"], "line 2"),
    ([employee("Y-1", "Analyst", []), employee("Y-1", "Analyst", [])], "line 2"),
    ([{"work_history": [{"title": "Analyst"}]}], "line 1"),
    ([employee("Y-1", "Analyst", []), {"employee_id": "Y-2", "work_history": []}], "line 2"),
    (["[1, 2]"], "line 1"),
])
async def test_bad_lines_are_named_and_nothing_is_written(pool: asyncpg.Pool[Any], tmp_path: Path,
                                                          rows: list[Any], message: str) -> None:
    path = write(tmp_path / "bad.jsonl", rows)
    async with pool.acquire() as conn:
        with pytest.raises(JsonlError, match=message):
            await import_employees(conn, path, by="test")
        assert await conn.fetchval("SELECT count(*) FROM employees WHERE employee_id LIKE 'Y-%'") == 0


def test_cli_imports_into_a_fresh_data_folder_and_names_bad_lines(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o755)
    env = {**os.environ, "TALENTOPS_DATA_DIR": str(data)}
    good = write(tmp_path / "good.jsonl", [employee("Z-1", "Logistics Analyst", ["SAP"])])
    done = subprocess.run([TALENTOPS, "employees", "import", str(good), "--json"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["inserted"] == 1
    assert json.loads(done.stdout)["embedded"] == 1
    assert "embedded profiles: 1/1" in done.stderr, done.stderr
    huge = write(tmp_path / "huge.jsonl", [employee("Z-2", "Analyst", ["x" * 10]), "{" + " " * 1_100_000 + "}"])
    bad = subprocess.run([TALENTOPS, "employees", "import", str(huge)], env=env, capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 1 and "line 2" in bad.stderr and "nothing was imported" in bad.stderr
    assert "Traceback" not in bad.stderr
