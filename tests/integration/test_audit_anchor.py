"""The audit chain's anchor: signed checkpoints of its head outside the database catch what the chain cannot —
its newest rows deleted or rewritten by someone with superuser rights on Postgres.

Each test works on a throwaway database of its own (the session's shared chain stays intact), with the function
directly and with ``talentops audit export`` / ``audit verify`` as real processes.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from infra import audit, audit_anchor, db
from infra.settings import Settings

pytestmark = pytest.mark.integration
TALENTOPS = str(Path(sys.executable).parent / "talentops")
SECRET = "anchor-test-secret-" + uuid.uuid4().hex


@pytest.fixture
async def scratch(pool: asyncpg.Pool[Any], pg_url: str) -> AsyncIterator[tuple[asyncpg.Pool[Any], str]]:
    """A freshly migrated database of its own on the same server, and its URL; dropped afterwards."""
    name = f"audit_anchor_{uuid.uuid4().hex[:10]}"
    await pool.execute(f'CREATE DATABASE "{name}"')
    try:
        url = urlunsplit(urlsplit(pg_url)._replace(path=f"/{name}"))
        scratch = await db.create_pool(url, max_size=2)
        try:
            await db.migrate(scratch)
            yield scratch, url
        finally:
            await scratch.close()
    finally:
        await pool.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def append(conn: db.Connection, n: int, label: str = "event") -> list[int]:
    return [await audit.append(conn, audit.AuditEvent(actor_type="system", actor="anchor-test",
                                                      action=f"test.{label}{i}", payload={"i": i}))
            for i in range(n)]


async def superuser_exec(conn: db.Connection, sql: str, *args: Any) -> None:
    """One statement with the append-only trigger off, the way a DBA with superuser could."""
    assert await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    async with conn.transaction():
        await conn.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update")
        await conn.execute(sql, *args)
        await conn.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update")


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_deleting_the_newest_rows_is_caught_by_the_checkpoints(scratch: tuple[asyncpg.Pool[Any], str],
                                                                    tmp_path: Path) -> None:
    key = audit_anchor.anchor_key(SECRET)
    paths = [tmp_path / "data" / audit_anchor.CHECKPOINT_FILE, tmp_path / "elsewhere" / audit_anchor.CHECKPOINT_FILE]
    async with scratch[0].acquire() as conn:
        assert await audit_anchor.checkpoint(conn, key=key, paths=paths) is None, "an empty trail: nothing to anchor"
        assert not paths[0].exists()
        assert (await audit_anchor.verify_anchor(conn, key=key, paths=paths)).ok, "no checkpoint yet is fine"
        seqs = await append(conn, 6)
        cp = await audit_anchor.checkpoint(conn, key=key, paths=paths)
        assert cp is not None and cp.seq == seqs[-1]
        assert cp.hash == await conn.fetchval("SELECT hash FROM audit_events WHERE seq = $1", seqs[-1])
        await audit_anchor.checkpoint(conn, key=key, paths=paths)  # the head did not move: no new line
        assert [len(lines(p)) for p in paths] == [1, 1]
        report = await audit_anchor.verify_anchor(conn, key=key, paths=paths)
        assert report.ok and report.checkpoints == 2 and report.latest is not None
        assert report.latest["seq"] == seqs[-1]

        await superuser_exec(conn, "DELETE FROM audit_events WHERE seq >= $1", seqs[-2])
        assert (await audit.verify_chain(conn)).ok, "what is left of the chain still links up"
        report = await audit_anchor.verify_anchor(conn, key=key, paths=paths)
        assert not report.ok and report.problem is not None
        assert f"row {seqs[-1]}" in report.problem and "newest rows were deleted" in report.problem
        assert f"ends at row {seqs[-3]}" in report.problem

        # appending again does not hide it: the checkpointed row stays missing
        await append(conn, 3, "later")
        await audit_anchor.checkpoint(conn, key=key, paths=paths)
        assert (await audit.verify_chain(conn)).ok
        report = await audit_anchor.verify_anchor(conn, key=key, paths=paths)
        assert not report.ok and report.problem is not None and f"row {seqs[-1]}" in report.problem
        assert "rows were deleted" in report.problem


async def test_a_rewritten_head_and_altered_checkpoints_are_caught(scratch: tuple[asyncpg.Pool[Any], str],
                                                                  tmp_path: Path) -> None:
    key = audit_anchor.anchor_key(SECRET)
    path = tmp_path / audit_anchor.CHECKPOINT_FILE
    async with scratch[0].acquire() as conn:
        seqs = await append(conn, 4)
        await audit_anchor.checkpoint(conn, key=key, paths=[path])
        original = path.read_text()

        # the newest row rewritten with a recomputed hash: the chain verifies, the checkpoint does not match
        record = await conn.fetchrow("SELECT * FROM audit_events WHERE seq = $1", seqs[-1])
        assert record is not None
        row = {**dict(record), "actor": "mallory"}
        await superuser_exec(conn, "UPDATE audit_events SET actor = $2, hash = $3 WHERE seq = $1",
                             seqs[-1], "mallory", audit.row_hash(row))
        assert (await audit.verify_chain(conn)).ok
        report = await audit_anchor.verify_anchor(conn, key=key, paths=[path])
        assert not report.ok and report.problem is not None and "rewritten" in report.problem

        # a checkpoint edited to match, or signed with another installation's key, does not verify
        forged = json.loads(original)
        forged["hash"] = audit.row_hash(row)
        path.write_text(json.dumps(forged) + "\n")
        report = await audit_anchor.verify_anchor(conn, key=key, paths=[path])
        assert not report.ok and report.problem is not None and "does not verify" in report.problem
        path.write_text(original)
        other = audit_anchor.anchor_key("another installation")
        assert not (await audit_anchor.verify_anchor(conn, key=other, paths=[path])).ok
        path.write_text(original + "not json\n")
        report = await audit_anchor.verify_anchor(conn, key=key, paths=[path])
        assert report.problem is not None and "line 2" in report.problem and "not a checkpoint" in report.problem

        # a last line cut short by a crash is ignored (the checkpoints before it still count)
        path.write_text(original + '{"seq": 1')
        report = await audit_anchor.verify_anchor(conn, key=key, paths=[path])
        assert report.checkpoints == 1 and report.problem is not None and "rewritten" in report.problem


async def test_the_worker_checkpoints_at_start_and_then_periodically(scratch: tuple[asyncpg.Pool[Any], str],
                                                                    tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, session_secret=SECRET, audit_anchor_dir=tmp_path / "external",
                        audit_checkpoint_seconds=5)
    async with scratch[0].acquire() as conn:
        seqs = await append(conn, 2)
    task = asyncio.create_task(audit_anchor.keep_checkpointing(scratch[0], settings))
    try:
        for _ in range(100):
            if all(p.exists() for p in audit_anchor.anchor_paths(settings)):
                break
            await asyncio.sleep(0.05)
        for path in audit_anchor.anchor_paths(settings):
            assert [c["seq"] for c in lines(path)] == [seqs[-1]], path
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([TALENTOPS, *args], env=env, capture_output=True, text=True, timeout=180)


async def test_audit_verify_as_a_process_exits_3_when_the_newest_rows_are_deleted(
        scratch: tuple[asyncpg.Pool[Any], str], tmp_path: Path) -> None:
    scratch_pool, url = scratch
    async with scratch_pool.acquire() as conn:
        seqs = await append(conn, 5)
    data, external = tmp_path / "data", tmp_path / "external"
    env = {**os.environ, "TALENTOPS_DATABASE_URL": url, "TALENTOPS_DATA_DIR": str(data),
           "TALENTOPS_SESSION_SECRET": SECRET, "TALENTOPS_AUDIT_ANCHOR_DIR": str(external)}

    verified = await asyncio.to_thread(cli, env, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "audit chain intact: 5 rows verified; no checkpoint yet" in verified.stdout

    # an export checkpoints the head, and its side file carries the checkpoint; the export stays plain JSONL
    out = tmp_path / "trail.jsonl"
    exported = await asyncio.to_thread(cli, env, "audit", "export", "--format", "jsonl", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["seq"] for r in rows] == seqs
    side = json.loads((tmp_path / "trail.jsonl.checkpoint.json").read_text())["checkpoint"]
    assert (side["seq"], side["hash"]) == (rows[-1]["seq"], rows[-1]["hash"])
    for folder in (data, external):
        assert [(c["seq"], c["hash"]) for c in lines(folder / audit_anchor.CHECKPOINT_FILE)] == [
            (side["seq"], side["hash"])]

    verified = await asyncio.to_thread(cli, env, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert f"latest checkpoint (row {seqs[-1]}," in verified.stdout

    async with scratch_pool.acquire() as conn:
        await superuser_exec(conn, "DELETE FROM audit_events WHERE seq >= $1", seqs[-2])
        assert (await audit.verify_chain(conn)).ok
    broken = await asyncio.to_thread(cli, env, "audit", "verify")
    assert broken.returncode == 3, (broken.stdout, broken.stderr)
    assert "does not match its checkpoints" in broken.stdout and "newest rows were deleted" in broken.stdout
    assert "Traceback" not in broken.stderr
    as_json = await asyncio.to_thread(cli, env, "audit", "verify", "--json")
    assert as_json.returncode == 3
    report = json.loads(as_json.stdout)
    assert report["ok"] is False and report["chain_ok"] is True and report["anchor"]["ok"] is False

    # the external copy alone is enough: the data folder's file lost, the deletion is still caught
    (data / audit_anchor.CHECKPOINT_FILE).unlink()
    assert (await asyncio.to_thread(cli, env, "audit", "verify")).returncode == 3
