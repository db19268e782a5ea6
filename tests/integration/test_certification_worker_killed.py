"""A worker killed (SIGKILL) between two reminders of a certification, on the real dev server and Postgres: the
first reminder is not sent again, the second is not missed (counted in Postgres).

The certification expires in 20 days, so its 30-day reminder goes out as its cadence starts; then the registry
corrects the expiry to 5 days from now (an import), and the re-planned cadence owes the 7-day reminder at once. The
kill lands between the two deterministically: the test holds the second reminder's business-key row in an open
transaction, so worker A's second send waits on it; A is killed while it waits, the test lets go, and worker B
retries the send once the activity's timeout passes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from support import eventually
from temporalio.client import Client
from test_worker_killed import wait_for_line

from infra.settings import Settings
from infra.store import certifications as store
from workers.main import build_worker
from workflows.certification_messages import CertificationInput, CertificationView, PeriodFacts, workflow_id
from workflows.usecases import Services
from workflows.usecases.certifications import replan

pytestmark = pytest.mark.integration


async def expiring_certification(pool: asyncpg.Pool[Any]) -> CertificationInput:
    """A certification (of a type of its own, no grace) that expires in 20 days."""
    type_id = f"kill-{uuid.uuid4().hex[:8]}"
    person = await pool.fetchval(
        "SELECT e.employee_id FROM employees e JOIN users m ON m.employee_id = e.manager_id WHERE e.left_on IS NULL"
        " AND EXISTS (SELECT 1 FROM users u WHERE u.employee_id = e.employee_id AND u.role = 'employee')"
        " ORDER BY e.employee_id OFFSET 40 + floor(random() * 40)::int LIMIT 1")
    expires = datetime.now(UTC).date() + timedelta(days=20)
    async with pool.acquire() as conn, conn.transaction():
        await store.save_type(conn, type_id, store.CertificationTypeBase(
            name=f"Forklift licence {type_id[-4:]}", issuer="RTITB", validity_months=36, grace_days=0),
            edited_by="test")
        cert_id, _ = await store.record(
            conn, employee_id=person, type_id=type_id, credential_id=None, source="test",
            period=store.PeriodIn(issued_on=expires - timedelta(days=3 * 365), expires_on=expires,
                                  evidence_kind="import"))
    return CertificationInput(certification_id=cert_id, period=1, employee_id=person, name=f"Forklift licence "
                              f"{type_id[-4:]}", facts=PeriodFacts(expires_on=expires, grace_days=0,
                                                                   offsets=[90, 60, 30, 7]))


async def test_a_worker_killed_between_two_reminders_sends_each_once(
        pool: asyncpg.Pool[Any], client: Client, pg_url: str, tmp_path: Path) -> None:
    queue = f"certkill-{uuid.uuid4().hex[:8]}"
    secret = f"kill-test-{uuid.uuid4().hex}"
    settings = Settings(task_queue=queue, data_dir=tmp_path, session_secret=secret, certification_reconcile=False)
    c = await expiring_certification(pool)
    blocker = await pool.acquire()
    hold = blocker.transaction()
    await hold.start()
    await blocker.execute(  # the second reminder's first audience: worker A's insert waits on this row
        "INSERT INTO certification_reminders (certification_id, period, reminder_key, audience, recipients)"
        " VALUES ($1, 1, 'before:7', 'holder', '{}')", c.certification_id)
    worker_a = subprocess.Popen(
        [str(Path(sys.executable).with_name("talentops")), "worker"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
        text=True, env={**os.environ, "TALENTOPS_DATABASE_URL": pg_url, "TALENTOPS_TASK_QUEUE": queue,
                        "TALENTOPS_TEMPORAL_ADDRESS": client.service_client.config.target_host,
                        "TALENTOPS_SESSION_SECRET": secret, "TALENTOPS_DATA_DIR": str(tmp_path / "a"),
                        "TALENTOPS_CERTIFICATION_RECONCILE": "false"})
    try:
        await wait_for_line(worker_a.stderr, "worker polling")
        handle = await client.start_workflow("CertificationWorkflow", c, id=workflow_id(c.certification_id, 1),
                                             task_queue=queue)

        async def first_sent() -> Any:
            return await pool.fetchval("SELECT count(*) FROM certification_reminders WHERE certification_id = $1"
                                       " AND reminder_key = 'before:30'", c.certification_id)
        await eventually(first_sent, "the 30-day reminder, by worker A")
        await pool.execute("UPDATE certification_periods SET expires_on = current_date + 5 WHERE certification_id = $1",
                           c.certification_id)  # the registry corrects the expiry: the cadence is re-planned
        assert await replan(Services(pool=pool, client=client, settings=settings), [c.certification_id]) == 1

        async def second_waiting() -> bool:  # worker A's insert of the lapse notice waits on the held row
            return bool(await pool.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND query LIKE 'INSERT INTO certification_reminders%'"))
        await eventually(second_waiting, "worker A's lapse notice to wait")
    finally:
        worker_a.kill()  # SIGKILL between the two reminders: the second is in flight
        worker_a.wait()
    await hold.rollback()
    await pool.release(blocker)

    async with build_worker(client, queue, pool=pool, settings=settings):  # worker B
        async def second_sent() -> Any:
            return await pool.fetchval("SELECT count(*) = 2 FROM certification_reminders WHERE certification_id = $1"
                                       " AND reminder_key = 'before:7'", c.certification_id)
        await eventually(second_sent, "the 7-day reminder, by worker B", timeout=120)
        view = await handle.query("state", result_type=CertificationView)
        assert view.sent == ["before:30", "before:7"] and view.status == "running"
        await handle.terminate("test over")

    rows = await pool.fetch("SELECT reminder_key, audience FROM certification_reminders WHERE certification_id = $1"
                            " ORDER BY reminder_key, audience", c.certification_id)
    assert [(r["reminder_key"], r["audience"]) for r in rows] == [
        ("before:30", "holder"), ("before:30", "line_manager"),
        ("before:7", "holder"), ("before:7", "line_manager")], "none missed"
    duplicates = await pool.fetch("SELECT business_key FROM notifications WHERE business_key LIKE $1"
                                  " GROUP BY business_key HAVING count(*) > 1", f"cert:{c.certification_id}:%")
    assert duplicates == [], "nothing sent twice"
    outbox = await pool.fetch("SELECT dedupe_key FROM notification_outbox WHERE dedupe_key LIKE $1"
                              " GROUP BY dedupe_key HAVING count(*) > 1", f"cert:{c.certification_id}:%")
    assert outbox == []
    audited = await pool.fetchval("SELECT count(*) FROM audit_events WHERE action = 'certification.reminded'"
                                  " AND payload->>'certification_id' = $1", c.certification_id)
    assert audited == len(rows), "one audit event per reminder and audience"
    holder_inbox = await pool.fetchval(
        "SELECT count(*) FROM notifications n JOIN users u ON u.login = n.recipient WHERE u.employee_id = $1"
        " AND n.business_key LIKE $2", c.employee_id, f"cert:{c.certification_id}:%")
    assert holder_inbox == 2 * await pool.fetchval("SELECT count(*) FROM users WHERE employee_id = $1",
                                                   c.employee_id)
