"""The ranker-backed matcher on the seeded demo organisation, real Postgres (pgvector) and the real MiniLM model."""

from __future__ import annotations

import asyncio
import json
import re
import weakref
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import numpy as np
import pytest

from infra.store.staffing import Candidate
from tools.embeddings import MODEL_ID, get_encoder
from tools.matching import candidates as matching
from tools.matching import employee_index, employee_records
from tools.matching.ranker import RankerWeights
from tools.matching.record_text import embedding_text
from tools.people import profile
from tools.people.hris_jsonl import MatchRequest
from tools.people_import.hris_import import import_employees

pytestmark = pytest.mark.integration

FRAUD_TASK = "Analyse card payment transaction data to detect fraud patterns and report suspicious activity."
FRAUD_SKILLS = ["SQL", "Tableau"]
EVIDENCE_LINE = re.compile(r"^(task history|project|tools used|certification|self reported|self confirmed) "
                           r"\(\d{4}-\d{2}-\d{2}\): ")


async def find(db: Any, description: str = FRAUD_TASK, skills: list[str] | None = None,
               **extra: Any) -> list[Candidate]:
    args: dict[str, Any] = {"start_week": 0, "end_week": 4, "fraction": 0.5, "goal_starts_on": date.today(),
                            **extra}
    return await matching.find_candidates(db, description=description,
                                          skills=FRAUD_SKILLS if skills is None else skills, **args)


async def test_payments_fraud_task_finds_fraud_and_data_people_with_their_evidence(pool: asyncpg.Pool[Any]) -> None:
    found = await find(pool, limit=8)
    assert len(found) == 8
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)
    titles = {c.employee_id: (c.title, c.department) for c in found}
    # the demo's fraud examiners and analysts sit in risk; nobody from marketing, people or logistics
    assert sum("fraud" in c.title.lower() or "financial crimes" in c.title.lower() for c in found) >= 5, titles
    assert not {c.department for c in found} & {"marketing", "people", "logistics"}, titles
    for c in found:
        assert c.reason.startswith("because they did “"), c.reason
        quoted = c.reason.split("“", 1)[1].split("”", 1)[0].rstrip("…")
        source_lines = [e for e in c.evidence if EVIDENCE_LINE.match(e)]
        assert source_lines and quoted in source_lines[0], (c.reason, c.evidence)
        assert any(e.startswith("free capacity: ") for e in c.evidence)
        assert any("embedding cosine" in e or "profile reads as" in e for e in c.evidence), c.evidence
        assert 0 < c.score <= 1 and c.fraction == 0.5


async def test_excluded_and_fully_booked_people_are_left_out(pool: asyncpg.Pool[Any]) -> None:
    before = await find(pool, limit=20)
    first = before[0]
    # someone with at least 60% free (earlier tests may have staffed people in this window)
    second = next(c for c in before[1:] if free_pct(c) >= 60)
    assert first.employee_id not in {c.employee_id for c in await find(pool, limit=20, exclude=[first.employee_id])}
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        try:  # bookings live only in this transaction: rolled back below
            starts = date.today()
            await book(conn, first.employee_id, 1.0, starts, starts + timedelta(weeks=4))
            # leave them 30%, less than the 50% the task needs: still listed, lower
            booked = (free_pct(second) - 30) / 100
            await book(conn, second.employee_id, booked, starts + timedelta(weeks=1), starts + timedelta(weeks=2))
            after = {c.employee_id: c for c in await find(conn, limit=matching.RANKER_POOL)}
            assert first.employee_id not in after, "fully booked in the window: left out"
            squeezed = after[second.employee_id]
            assert free_pct(squeezed) == 30 and squeezed.score < second.score
            later = await find(conn, limit=20, start_week=4, end_week=6)  # after the booking ends
            assert first.employee_id in {c.employee_id for c in later}
        finally:
            await tx.rollback()


def free_pct(candidate: Candidate) -> int:
    return int(next(e for e in candidate.evidence if e.startswith("free capacity: "))[15:-1])


async def book(conn: Any, employee_id: str, fraction: float, starts: date, ends: date) -> None:
    """A minimal approved goal with one assignment (the rows assignments need)."""
    goal = f"g-book-{employee_id}"
    await conn.execute(
        "INSERT INTO goals (goal_id, text, manager_login, status, workflow_id, model, starts_on, submitted_by)"
        " VALUES ($1, 'booking', 'mgr.payments', 'staffed', $1, 'test', $2, 'mgr.payments')", goal, starts)
    await conn.execute(
        "INSERT INTO review_requests (review_id, goal_id, workflow_id, action_type, arguments, args_hash, evidence,"
        " explanation, risk_tier, policy_version, routed_because, requested_by, due_at, status)"
        " VALUES ($1, $1, $1, 'propose_staffing', '{}'::jsonb, 'x', '{}'::jsonb, 'x', 'high', 'v1', 'forced', 'test',"
        " now(), 'approved')", goal)
    await conn.execute(
        "INSERT INTO assignments (goal_id, task_id, employee_id, fraction, start_week, end_week, score, reason,"
        " review_id, starts_on, ends_on) VALUES ($1, 'T1', $2, $3, 0, 4, 1, 'test', $1, $4, $5)",
        goal, employee_id, fraction, starts, ends)


async def test_a_switched_off_source_stops_counting(pool: asyncpg.Pool[Any]) -> None:
    # someone whose evidence for a statement is only a project (not their work history)
    row = await pool.fetchrow(
        "SELECT e.employee_id, e.detail FROM skill_evidence e JOIN employees p USING (employee_id)"
        " WHERE e.source = 'project' AND NOT EXISTS (SELECT 1 FROM skill_evidence t WHERE t.employee_id ="
        " e.employee_id AND t.source = 'task_history' AND split_part(t.detail, ' (as ', 1) ="
        " split_part(e.detail, ' (project ', 1)) ORDER BY e.observed_at DESC, e.employee_id LIMIT 1")
    assert row is not None
    statement = row["detail"].split(" (project ", 1)[0]
    on = {c.employee_id: c for c in await find(pool, statement, [], limit=20)}
    assert row["employee_id"] in on
    assert on[row["employee_id"]].evidence[0].startswith("project (")
    async with pool.acquire() as conn:
        await profile.set_source_enabled(conn, "project", False, by="test")
    try:
        off = await find(pool, statement, [], limit=20)
        assert all(not e.startswith("project (") for c in off for e in c.evidence)
        assert all("on project" not in c.reason and "as project " not in " ".join(c.evidence) for c in off)
        ranked = [c.employee_id for c in off]
        assert row["employee_id"] not in ranked[: list(on).index(row["employee_id"]) + 1], \
            "without the project they rank lower than with it"
    finally:
        async with pool.acquire() as conn:
            await profile.set_source_enabled(conn, "project", True, by="test")
    restored = {c.employee_id: c for c in await find(pool, statement, [], limit=20)}
    assert restored[row["employee_id"]].evidence[0] == on[row["employee_id"]].evidence[0]


async def test_vectors_are_stored_once_and_reused(pool: asyncpg.Pool[Any]) -> None:
    await find(pool)
    employees = await pool.fetchval("SELECT count(*) FROM employees")
    stored = await pool.fetchrow(
        "SELECT count(*) AS n, count(DISTINCT model) AS models, min(model) AS model,"
        " min(vector_dims(embedding)) AS dims, max(updated_at) AS last FROM employee_embeddings")
    assert stored is not None
    assert (stored["n"], stored["models"], stored["model"], stored["dims"]) == (employees, 1, MODEL_ID, 384)

    employee_index.clear_cache()  # as a restarted worker: the index is rebuilt, the vectors are not
    again = await employee_index.employee_index(pool)
    assert again is not None and (again.embedded, again.reused) == (0, employees)
    assert await pool.fetchval("SELECT max(updated_at) FROM employee_embeddings") == stored["last"]
    await find(pool)
    assert await employee_index.employee_index(pool) is again, "cached while the database does not change"

    # what is stored is the model's vector of the person's text (someone whose record no feedback changed)
    assert not await pool.fetchval("SELECT count(*) FROM signal_sources WHERE NOT enabled")
    row = await pool.fetchrow("SELECT e.employee_id, e.title, e.profile, vector_send(v.embedding) AS raw"
                              " FROM employees e JOIN employee_embeddings v USING (employee_id)"
                              " WHERE e.employee_id LIKE 'E%' AND NOT EXISTS (SELECT 1 FROM skill_feedback f"
                              " WHERE f.employee_id = e.employee_id) ORDER BY e.employee_id LIMIT 1")
    assert row is not None
    record = employee_records.employee_record(row["employee_id"], row["title"], row["profile"], disabled=frozenset())
    expected = get_encoder().encode([embedding_text(record)], max_tokens=RankerWeights().embed_tokens)[0]
    assert float(np.frombuffer(row["raw"], dtype=">f4", offset=4) @ expected) > 0.9999


async def test_a_rebuild_does_not_keep_the_stale_index_alive(pool: asyncpg.Pool[Any],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    built = await employee_index.employee_index(pool)
    assert built is not None
    stale = weakref.ref(built)
    del built
    alive_during_build: list[bool] = []
    prepare = employee_index._prepare

    def watched(*args: Any) -> Any:
        alive_during_build.append(stale() is not None)
        return prepare(*args)

    monkeypatch.setattr(employee_index, "_prepare", watched)
    await pool.execute("UPDATE employees SET updated_at = now() WHERE employee_id = 'E0001'")
    rebuilt = await employee_index.employee_index(pool)
    assert rebuilt is not None and alive_during_build == [False], \
        "the stale index is released before the new one is built: a worker holds one index at a time"


async def test_concurrent_calls_build_the_index_once(pool: asyncpg.Pool[Any]) -> None:
    employee_index.clear_cache()
    built = await asyncio.gather(*(employee_index.employee_index(pool) for _ in range(5)))
    assert all(b is built[0] for b in built)
    results = await asyncio.gather(*(find(pool) for _ in range(3)))
    assert len({tuple(c.employee_id for c in r) for r in results}) == 1


async def test_reimport_with_a_new_history_changes_the_stored_vector(pool: asyncpg.Pool[Any], tmp_path: Path) -> None:
    def person(statements: list[str]) -> dict[str, Any]:
        return {"employee_id": "MT-1", "name": "Mo Test", "department": "logistics", "work_history": [
            {"title": "Warehouse Associate", "is_current": True, "years": 2, "responsibilities": statements}],
                "skills": ["Forklift"]}

    async def stored() -> tuple[str, bytes]:
        row = await pool.fetchrow("SELECT text_hash, vector_send(embedding) AS raw FROM employee_embeddings"
                                  " WHERE employee_id = 'MT-1'")
        assert row is not None
        return row["text_hash"], row["raw"]

    path = tmp_path / "mt.jsonl"
    try:
        path.write_text(json.dumps(person(["Pack customer orders for shipping."])) + "\n")
        async with pool.acquire() as conn:
            await import_employees(conn, path, by="test")
        assert await employee_index.employee_index(pool) is not None
        first_hash, first_vector = await stored()

        task = "Drive a forklift to move pallets of cargo into refrigerated trucks."
        path.write_text(json.dumps(person([task])) + "\n")
        async with pool.acquire() as conn:
            report = await import_employees(conn, path, by="test")
        assert report.embedded == 1, "the import embeds the new history"
        second_hash, second_vector = await stored()
        built = await employee_index.employee_index(pool)
        assert built is not None and (built.embedded, built.reused) == (0, len(built.index)), \
            "the index build reuses what the import stored"
        assert second_hash != first_hash and second_vector != first_vector
        top = (await find(pool, task, ["Forklift"], limit=3))[0]
        assert top.employee_id == "MT-1" and "Drive a forklift" in top.reason
    finally:
        await pool.execute("DELETE FROM employees WHERE employee_id = 'MT-1'")
    assert await pool.fetchval("SELECT count(*) FROM employee_embeddings WHERE employee_id = 'MT-1'") == 0


async def test_holders_of_the_required_skills_are_considered_whatever_the_text(pool: asyncpg.Pool[Any]) -> None:
    loans = "Examine, evaluate, or process loan applications."
    holder = await pool.fetchval(
        "SELECT employee_id FROM employee_skills WHERE skill_key = 'figma' ORDER BY level * confidence DESC LIMIT 1")
    assert holder is not None, "the demo organisation has a Figma user"
    built = await employee_index.employee_index(pool)
    assert built is not None
    request = MatchRequest(request_id="t", responsibilities=[loans], required_skills=["Figma"])
    by_text = {built.index.ids[p] for p in matching._pool(built, *matching._score(built, request, set()), ()).positions}
    assert holder not in by_text, "the loan text alone would not bring the Figma user into the pool"
    found = await find(pool, description=loans, skills=["Figma"], limit=matching.RANKER_POOL + matching.SKILLS_POOL)
    assert holder in {c.employee_id for c in found}
    assert any(e.startswith("skills: ") and "Figma" in e for c in found if c.employee_id == holder
               for e in c.evidence)


async def test_the_index_version_moves_on_every_change_and_never_repeats_after_a_rollback(
        pool: asyncpg.Pool[Any]) -> None:
    before = await employee_index.fingerprint(pool)
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await conn.execute("UPDATE employees SET location = location WHERE employee_id = 'E0001'")
        inside = await employee_index.fingerprint(conn)
        await tx.rollback()
    assert inside != before and await employee_index.fingerprint(pool) == before
    await pool.execute("UPDATE signal_sources SET enabled = enabled")
    after = await employee_index.fingerprint(pool)
    assert after not in (before, inside), "a later change never reuses a rolled-back version"
