"""The audit trail on the real Postgres: appends chain, the trigger refuses changes, tampering is detected."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from infra import audit, db

pytestmark = pytest.mark.integration


def events(goal_id: str, n: int) -> list[audit.AuditEvent]:
    payloads: list[dict[str, Any]] = [
        {"text": "Launch instant payments within 6 weeks", "manager_login": "mgr.payments"},
        {"output": {"tasks": [{"task_id": "T1", "skills": ["SQL", "Python"]}]}, "tool_calls": []},
        {"review_id": "r-1", "arguments": {"assignments": [{"task_id": "T1", "employee_id": "E0001",
                                                            "fraction": 0.25}]}},
        {"decision": "approve", "reason": None, "note": "Zoë’s “edge” case ✓", "nested": {"b": 1, "a": [2, 1]}},
        {},
    ]
    return [
        audit.AuditEvent(actor_type=("human", "agent", "system")[i % 3], actor=f"actor-{i}",
                         action=f"test.event{i}", goal_id=goal_id, workflow_id=f"goal-{goal_id}",
                         args_hash=audit.args_hash(payloads[i % len(payloads)]),
                         payload=payloads[i % len(payloads)], model="local-planner" if i % 3 == 1 else None,
                         policy_version="review-routing/1")
        for i in range(n)
    ]


async def append_all(conn: db.Connection, goal_id: str, n: int = 5) -> list[int]:
    return [await audit.append(conn, event) for event in events(goal_id, n)]


async def test_appends_chain_and_verify(pool: asyncpg.Pool[Any]) -> None:
    goal_id = f"g-audit-{uuid.uuid4().hex[:8]}"
    async with pool.acquire() as conn:
        seqs = await append_all(conn, goal_id)
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        rows = await conn.fetch("SELECT * FROM audit_events WHERE goal_id = $1 ORDER BY seq", goal_id)
        assert [r["seq"] for r in rows] == seqs
        assert [r["action"] for r in rows] == [f"test.event{i}" for i in range(5)]
        for before, after in itertools.pairwise(rows):
            assert after["prev_hash"] == before["hash"]
        for r in rows:
            assert r["hash"] == audit.row_hash(dict(r))
        assert rows[3]["payload"]["note"] == "Zoë’s “edge” case ✓"

        report = await audit.verify_chain(conn)
        total = await conn.fetchval("SELECT count(*) FROM audit_events")
        assert report.ok and report.first_broken_seq is None and report.problem is None
        assert report.rows == total >= 5
        small_batches = await audit.verify_chain(conn, batch=2)
        assert small_batches.ok and small_batches.rows == total


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET actor = 'mallory' WHERE seq = $1",
    "UPDATE audit_events SET payload = '{}'::jsonb WHERE seq = $1",
    "DELETE FROM audit_events WHERE seq = $1",
    "TRUNCATE audit_events",
])
async def test_changes_are_refused_by_the_trigger(pool: asyncpg.Pool[Any], statement: str) -> None:
    goal_id = f"g-audit-{uuid.uuid4().hex[:8]}"
    async with pool.acquire() as conn:
        seqs = await append_all(conn, goal_id, 2)
        before = await conn.fetch("SELECT * FROM audit_events WHERE goal_id = $1 ORDER BY seq", goal_id)
        count = await conn.fetchval("SELECT count(*) FROM audit_events")
        args = [seqs[0]] if "$1" in statement else []
        with pytest.raises(asyncpg.exceptions.RaiseError, match="audit_events is append-only"):
            await conn.execute(statement, *args)
        after = await conn.fetch("SELECT * FROM audit_events WHERE goal_id = $1 ORDER BY seq", goal_id)
        assert [dict(r) for r in after] == [dict(r) for r in before]
        assert await conn.fetchval("SELECT count(*) FROM audit_events") == count
        assert (await audit.verify_chain(conn)).ok


# --- tampering, on a throwaway database so the session's shared chain stays intact ---------------------------


@pytest.fixture
async def scratch_pool(pool: asyncpg.Pool[Any], pg_url: str) -> AsyncIterator[asyncpg.Pool[Any]]:
    """A freshly migrated database of its own on the same server; dropped afterwards."""
    name = f"audit_tamper_{uuid.uuid4().hex[:10]}"
    await pool.execute(f'CREATE DATABASE "{name}"')
    try:
        url = urlunsplit(urlsplit(pg_url)._replace(path=f"/{name}"))
        scratch = await db.create_pool(url, max_size=2)
        try:
            assert await scratch.fetchval("SELECT current_database()") == name
            await db.migrate(scratch)
            yield scratch
        finally:
            await scratch.close()
    finally:
        await pool.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert await pool.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name) is None


async def superuser_exec(conn: db.Connection, sql: str, *args: Any) -> None:
    """Run one statement with the append-only trigger switched off, the way a DBA with superuser could."""
    assert await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    async with conn.transaction():
        await conn.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update")
        await conn.execute(sql, *args)
        await conn.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update")


async def test_altered_payload_is_detected_at_that_row(scratch_pool: asyncpg.Pool[Any]) -> None:
    async with scratch_pool.acquire() as conn:
        seqs = await append_all(conn, "g-tamper", 6)
        assert await audit.verify_chain(conn) == audit.ChainReport(rows=6, ok=True)
        target = seqs[3]
        original = await conn.fetchval("SELECT payload FROM audit_events WHERE seq = $1", target)

        await superuser_exec(conn, "UPDATE audit_events SET payload = $2 WHERE seq = $1", target,
                             {**original, "decision": "reject"})
        report = await audit.verify_chain(conn)
        assert report.ok is False
        assert report.first_broken_seq == target
        assert report.rows == 3, "the rows before the altered one verified"
        assert report.problem is not None and "altered" in report.problem

        # the trigger is back on after the tamper
        with pytest.raises(asyncpg.exceptions.RaiseError, match="append-only"):
            await conn.execute("UPDATE audit_events SET payload = $2 WHERE seq = $1", target, original)

        # putting the exact content back makes the chain verify again: the check is over content, not history
        await superuser_exec(conn, "UPDATE audit_events SET payload = $2 WHERE seq = $1", target, original)
        assert (await audit.verify_chain(conn)).ok


async def test_rehashed_row_breaks_the_link_of_the_next(scratch_pool: asyncpg.Pool[Any]) -> None:
    async with scratch_pool.acquire() as conn:
        seqs = await append_all(conn, "g-tamper", 5)
        target = seqs[1]
        record = await conn.fetchrow("SELECT * FROM audit_events WHERE seq = $1", target)
        assert record is not None
        row = dict(record)
        row["actor"] = "mallory"
        await superuser_exec(conn, "UPDATE audit_events SET actor = $2, hash = $3 WHERE seq = $1",
                             target, row["actor"], audit.row_hash(row))
        report = await audit.verify_chain(conn)
        assert report.ok is False
        assert report.first_broken_seq == seqs[2], "the altered row verifies on its own; its successor does not"
        assert report.problem is not None and "link" in report.problem


async def test_deleted_row_is_detected_at_its_successor(scratch_pool: asyncpg.Pool[Any]) -> None:
    async with scratch_pool.acquire() as conn:
        seqs = await append_all(conn, "g-tamper", 5)
        await superuser_exec(conn, "DELETE FROM audit_events WHERE seq = $1", seqs[2])
        report = await audit.verify_chain(conn)
        assert report.ok is False
        assert report.first_broken_seq == seqs[3]
        assert report.rows == 2
        assert report.problem is not None and "removed or reordered" in report.problem
