"""The daily reconciliation on the real dev server and Postgres: it starts the cadence of a certification that has
none, re-plans a running one whose registry facts changed, stops an earlier period when a later one was recorded
(an import of a renewal seen elsewhere), stops a revoked one, and leaves what already matches alone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from support import eventually
from temporalio.client import WorkflowExecutionStatus

from infra.store import certifications as store
from workflows.certification_messages import CertificationView, workflow_id
from workflows.usecases import Services
from workflows.usecases.certifications import reconcile


async def a_certification(pool: asyncpg.Pool[Any], *, expires_in_days: int) -> str:
    type_id = f"rec-{uuid.uuid4().hex[:8]}"
    person = await pool.fetchval("SELECT employee_id FROM employees WHERE left_on IS NULL ORDER BY random() LIMIT 1")
    expires = datetime.now(UTC).date() + timedelta(days=expires_in_days)
    async with pool.acquire() as conn, conn.transaction():
        await store.save_type(conn, type_id, store.CertificationTypeBase(
            name=f"First Aid at Work {type_id[-4:]}", issuer="St John Ambulance", validity_months=36, grace_days=28),
            edited_by="test")
        cert_id, _ = await store.record(conn, employee_id=person, type_id=type_id, credential_id=None, source="test",
                                        period=store.PeriodIn(issued_on=expires - timedelta(days=3 * 365),
                                                              expires_on=expires, evidence_kind="import"))
    return cert_id


async def state(services: Services, cert_id: str, period: int) -> CertificationView:
    view: CertificationView = await services.temporal().get_workflow_handle(workflow_id(cert_id, period)).query(
        "state", result_type=CertificationView)
    return view


async def test_reconciliation_starts_replans_supersedes_and_stops(services: Services,
                                                                  pool: asyncpg.Pool[Any]) -> None:
    cert_id = await a_certification(pool, expires_in_days=200)
    done = await reconcile(services, [cert_id])
    assert (done.checked, done.started_or_replanned) == (1, 1)
    view = await state(services, cert_id, 1)
    assert view.status == "running" and view.facts.grace_days == 28 and view.sent == []

    async def marked() -> Any:
        return await pool.fetchval("SELECT cadence_facts FROM certification_periods WHERE certification_id = $1",
                                   cert_id)
    await eventually(marked, "the cadence to record what it plans on")
    again = await reconcile(services, [cert_id])
    assert again.started_or_replanned == 0, "a running cadence on the registry's facts is left alone"

    # the registry corrects the expiry (an import): the running cadence plans on the new date
    corrected = datetime.now(UTC).date() + timedelta(days=20)
    await pool.execute("UPDATE certification_periods SET expires_on = $2 WHERE certification_id = $1", cert_id,
                       corrected)
    assert (await reconcile(services, [cert_id])).started_or_replanned == 1

    async def replanned() -> bool:
        view = await state(services, cert_id, 1)
        return view.facts.expires_on == corrected and "before:30" in view.sent
    await eventually(replanned, "the cadence re-planned on the corrected expiry (and its 30-day reminder sent)")

    # a later period recorded elsewhere supersedes this one; the new period gets its own cadence
    async with pool.acquire() as conn, conn.transaction():
        _, how = await store.record(conn, employee_id=await pool.fetchval(
            "SELECT employee_id FROM certifications WHERE certification_id = $1", cert_id),
            type_id=await pool.fetchval("SELECT type_id FROM certifications WHERE certification_id = $1", cert_id),
            credential_id=None, source="test", period=store.PeriodIn(
                issued_on=datetime.now(UTC).date(), expires_on=datetime.now(UTC).date() + timedelta(days=3 * 365),
                evidence_kind="import"))
    assert how == "renewed"
    done = await reconcile(services, [cert_id])
    assert done.superseded == 1 and done.started_or_replanned == 1
    first = services.temporal().get_workflow_handle(workflow_id(cert_id, 1))
    assert await first.result() == "superseded"
    assert (await state(services, cert_id, 2)).status == "running"

    # revoked: the cadence stops
    await pool.execute("UPDATE certifications SET revoked_on = current_date, revoked_reason = 'test'"
                       " WHERE certification_id = $1", cert_id)
    await reconcile(services, [cert_id])
    second = services.temporal().get_workflow_handle(workflow_id(cert_id, 2))
    assert await second.result() == "revoked"
    assert (await second.describe()).status == WorkflowExecutionStatus.COMPLETED
    ended = await pool.fetch("SELECT period, cadence_ended FROM certification_periods WHERE certification_id = $1"
                             " ORDER BY period", cert_id)
    assert [(r["period"], r["cadence_ended"]) for r in ended] == [(1, "superseded"), (2, "revoked")]
    assert (await reconcile(services, [cert_id])).started_or_replanned == 0, "ended on the same facts: left alone"
