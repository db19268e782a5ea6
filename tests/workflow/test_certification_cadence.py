"""A certification's cadence on Temporal's time-skipping test server, with its real activities and Postgres: more
than a year in seconds. Reminders at each offset (the line manager from 30 days), the lapse told to HR with the
staffed assignment flagged to HR's review, a renewal in the grace period verified through the trust ramp's review
that starts the next period (and resolves the flag), the next period's cycle from its own expiry, and a lapse with
grace that ends the period expired.
"""

from __future__ import annotations

import os
import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest
from support import eventually, skip_until
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from test_onboarding_timers import environment
from test_replay import CERTIFICATION_HISTORY_FILE, replayer

from infra.arguments import args_hash
from infra.settings import get_settings
from infra.store import certifications as store
from tools.certifications.certificate_text import simple_pdf
from workers.activities import ALL_ACTIVITIES
from workers.certification_activities import CERTIFICATION_ACTIVITIES, verification_activity
from workflows import attestation, move_acts
from workflows.certification import CertificationWorkflow, at
from workflows.certification_messages import (
    RENEWAL_UPDATE,
    REPLAN_SIGNAL,
    CertificationInput,
    PeriodFacts,
    RenewalSubmitted,
    workflow_id,
)
from workflows.messages import DECIDE_UPDATE, Decision

pytestmark = pytest.mark.integration
MANAGER = "mgr.payments"
VALIDITY_MONTHS = 12
GRACE_DAYS = 30


def worker(env: WorkflowEnvironment, task_queue: str) -> Worker:
    return Worker(env.client, task_queue=task_queue, workflows=[CertificationWorkflow],
                  activities=[*ALL_ACTIVITIES, *CERTIFICATION_ACTIVITIES, verification_activity(None)])


async def holder_with_certification(pool: asyncpg.Pool[Any], today: date, *,
                                     expires_in_days: int) -> CertificationInput:
    """A person (with a line manager) holding a certification of a type of its own that expires soon, staffed on a
    task that needs it well past the expiry."""
    type_id = f"pci-{uuid.uuid4().hex[:8]}"
    person = await pool.fetchval(
        "SELECT e.employee_id FROM employees e JOIN users m ON m.employee_id = e.manager_id"
        " WHERE e.left_on IS NULL AND EXISTS (SELECT 1 FROM users u WHERE u.employee_id = e.employee_id"
        "   AND u.role <> 'reviewer' AND u.role <> 'admin')"
        " AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.employee_id = e.employee_id)"
        " ORDER BY e.employee_id OFFSET floor(random() * 20)::int LIMIT 1")
    expires = today + timedelta(days=expires_in_days)
    goal_id = f"g-cert-{uuid.uuid4().hex[:8]}"
    async with pool.acquire() as conn, conn.transaction():
        await store.save_type(conn, type_id, store.CertificationTypeBase(
            name=f"PCI Professional {type_id[-4:]}", issuer="PCI Security Standards Council",
            validity_months=VALIDITY_MONTHS, grace_days=GRACE_DAYS, renewal_lead_days=30,
            skills=["Law and Government"], keywords=["pci dss"]), edited_by="test")
        cert_id, _ = await store.record(conn, employee_id=person, type_id=type_id, credential_id="PCIP-1",
                                        period=store.PeriodIn(issued_on=expires - timedelta(days=365),
                                                              expires_on=expires, evidence_kind="import"),
                                        source="test")
        await conn.execute(
            "INSERT INTO goals (goal_id, text, manager_login, status, workflow_id, model, starts_on, submitted_by)"
            " VALUES ($1, 'Get the card platform through the PCI DSS audit', $2, 'staffed', $3, 'local-planner',"
            " $4, $2)", goal_id, MANAGER, f"goal-{goal_id}", today)
        await conn.execute(
            "INSERT INTO tasks (goal_id, task_id, position, title, description, skills, effort_hours, start_week,"
            " end_week) VALUES ($1, 'T1', 0, 'Run the PCI DSS gap assessment', 'Assess', '[]'::jsonb, 80, 0, 40)",
            goal_id)
        await conn.execute(
            "INSERT INTO review_requests (review_id, goal_id, workflow_id, action_type, arguments, args_hash,"
            " evidence, explanation, risk_tier, policy_version, routed_because, requested_by, status, due_at)"
            " VALUES ($1, $2, $3, 'propose_staffing', '{}', 'h', '{}', 'x', 'high', 'p', 'forced', $4,"
            " 'approved', now())", f"r-{goal_id}", goal_id, f"goal-{goal_id}", MANAGER)
        await conn.execute(
            "INSERT INTO assignments (goal_id, task_id, employee_id, fraction, start_week, end_week, score, reason,"
            " review_id, starts_on, ends_on, state) VALUES ($1, 'T1', $2, 0.5, 0, 40, 0.8, 'did it before', $3,"
            " $4, $5, 'released')", goal_id, person, f"r-{goal_id}", today, today + timedelta(days=280))
        await store.require(conn, goal_id, "T1", type_id, set_by="grounding", reason="the task mentions PCI DSS")
    name = await pool.fetchval("SELECT name FROM certification_types WHERE type_id = $1", type_id)
    return CertificationInput(certification_id=cert_id, period=1, employee_id=person, name=name,
                              facts=PeriodFacts(expires_on=expires, grace_days=GRACE_DAYS, offsets=[90, 60, 30, 7]))


async def reminded(pool: asyncpg.Pool[Any], cert_id: str, period: int) -> set[tuple[str, str]]:
    rows = await pool.fetch("SELECT reminder_key, audience FROM certification_reminders WHERE certification_id = $1"
                            " AND period = $2", cert_id, period)
    return {(r["reminder_key"], r["audience"]) for r in rows}


async def until_reminded(pool: asyncpg.Pool[Any], cert_id: str, period: int, key: str) -> set[tuple[str, str]]:
    async def seen() -> set[tuple[str, str]]:
        found = await reminded(pool, cert_id, period)
        return found if any(k == key for k, _ in found) else set()
    return await eventually(seen, f"the reminder {key} of period {period}")


async def decide(env: WorkflowEnvironment, pool: asyncpg.Pool[Any], handle: WorkflowHandle[Any, Any],
                 review: Any, decision: str, *, edited: Any = None, reason: str | None = None) -> None:
    """HR decides a review with a signed decision, as the console sends it."""
    reviewer = await pool.fetchrow("SELECT login, employee_id FROM users WHERE login = 'hr.reviewer'")
    executed = edited.model_dump(mode="json") if edited is not None else (
        review["arguments"] if decision == "approve" else None)
    sent = attestation.attest(
        Decision(review_id=review["review_id"], args_hash=review["args_hash"], decision=decision,  # type: ignore[arg-type]
                 reviewer=reviewer["login"], via="api", edited_arguments=edited, reason=reason),
        key=attestation.decision_key(get_settings().secret()), reviewer_role="reviewer",
        reviewer_employee_id=reviewer["employee_id"], bias_verdict=None,
        executed_args_hash=args_hash(executed) if executed is not None else None,
        now=await env.get_current_time())
    await handle.execute_update(DECIDE_UPDATE, sent)


async def pending_review(pool: asyncpg.Pool[Any], action: str, workflow: str) -> Any:
    async def found() -> Any:
        return await pool.fetchrow("SELECT * FROM review_requests WHERE action_type = $1 AND workflow_id = $2"
                                   " AND status = 'pending'", action, workflow)
    return await eventually(found, f"a pending {action} review")


async def submit_renewal(env: WorkflowEnvironment, pool: asyncpg.Pool[Any], handle: WorkflowHandle[Any, Any],
                         c: CertificationInput, issued_on: date) -> str:
    """The holder's renewal, stored and sent as the console's use case does it."""
    login = await pool.fetchval("SELECT min(login) FROM users WHERE employee_id = $1", c.employee_id)
    holder = await pool.fetchval("SELECT name FROM employees WHERE employee_id = $1", c.employee_id)
    renewal_id = f"ren-{uuid.uuid4().hex[:12]}"
    expires = date(issued_on.year + 1, issued_on.month, issued_on.day)
    content = simple_pdf(["PCI Security Standards Council", "This certifies that", holder, f"holds {c.name}",
                          f"Issued on {issued_on:%d %B %Y}", f"Valid until {expires:%d %B %Y}"])
    async with pool.acquire() as conn:
        await store.save_file(conn, file_id=renewal_id, name="pcip.pdf", content_type="application/pdf",
                              content=content, uploaded_by=login)
        await store.add_renewal(conn, store.Renewal(
            renewal_id=renewal_id, certification_id=c.certification_id, period=c.period, issued_on=issued_on,
            expires_on=None, credential_id="PCIP-2", evidence_ref=renewal_id, evidence_name="pcip.pdf",
            submitted_by=login, submitted_at=await env.get_current_time(), status="submitted", review_id=None,
            decided_reason=None))
    act = move_acts.attest(handle.id, RenewalSubmitted(renewal_id=renewal_id, actor=login),
                           key=attestation.decision_key(get_settings().secret()), actor_employee_id=c.employee_id,
                           now=await env.get_current_time())
    await handle.execute_update(RENEWAL_UPDATE, act)
    return renewal_id


async def test_a_year_of_cadence_reminders_lapse_flag_renewal_and_the_next_period_expiring(
        pool: asyncpg.Pool[Any]) -> None:
    async with await environment(pool) as env:
        today = (await env.get_current_time()).date()
        c = await holder_with_certification(pool, today, expires_in_days=100)
        expires = c.facts.expires_on
        task_queue = f"cert-{uuid.uuid4().hex[:8]}"
        async with worker(env, task_queue):
            handle = await env.client.start_workflow(CertificationWorkflow.run, c,
                                                     id=workflow_id(c.certification_id, 1), task_queue=task_queue)
            # each offset in turn: the holder alone at 90 and 60 days, the line manager too from 30 days
            for days in (90, 60, 30, 7):
                await skip_until(env, at(expires - timedelta(days=days)) + timedelta(hours=1))
                found = await until_reminded(pool, c.certification_id, 1, f"before:{days}")
                audience = {a for k, a in found if k == f"before:{days}"}
                assert audience == ({"holder", "line_manager"} if days <= 30 else {"holder"}), days

            # the lapse: holder, line manager and HR told; the staffed task that needs it is flagged to HR
            await skip_until(env, at(expires) + timedelta(hours=1))
            found = await until_reminded(pool, c.certification_id, 1, "lapsed:0")
            assert {a for k, a in found if k == "lapsed:0"} == {"holder", "line_manager", "hr"}
            flag_review = await pending_review(pool, "flag_assignment_certification", handle.id)
            assert flag_review["arguments"]["outcome"] == "pause", "no renewal was submitted yet"
            keep = store.FlagArguments.model_validate({**flag_review["arguments"], "outcome": "keep",
                                                       "renew_by": (expires + timedelta(days=20)).isoformat()})
            await decide(env, pool, handle, flag_review, "edit", edited=keep)

            async def kept() -> Any:
                return await pool.fetchrow("SELECT status, renew_by FROM certification_flags"
                                           " WHERE certification_id = $1 AND status = 'kept'", c.certification_id)
            flag = await eventually(kept, "the flag kept with its renewal date")
            assert flag["renew_by"] == expires + timedelta(days=20)
            assert await pool.fetchval("SELECT state FROM assignments WHERE employee_id = $1 AND task_id = 'T1'"
                                       " AND goal_id = $2", c.employee_id, flag_review["goal_id"]) == "released"

            # in grace, the holder renews; the ramp samples it (a new action: 100%) and HR approves
            await skip_until(env, at(expires + timedelta(days=5)))
            renewed_on = expires + timedelta(days=4)
            renewal_id = await submit_renewal(env, pool, handle, c, renewed_on)
            verify_review = await pending_review(pool, "verify_certification_renewal", handle.id)
            assert verify_review["goal_id"] is None and "Renewal of" in verify_review["subject"]
            assert verify_review["concerns"] == c.employee_id
            checks = verify_review["evidence"]["checks"]
            assert checks["verified"] and checks["problems"] == [], "the certificate's words match what was entered"
            assert "the certificate shows the expiry date" in checks["explanation"]
            await decide(env, pool, handle, verify_review, "approve")
            assert await handle.result() == "renewed"
            history = await handle.fetch_history()
            assert (await replayer().replay_workflow(history)).replay_failure is None
            if os.environ.get("TALENTOPS_RECORD_HISTORY"):
                CERTIFICATION_HISTORY_FILE.write_text(history.to_json())

            period2 = await pool.fetchrow("SELECT * FROM certification_periods WHERE certification_id = $1"
                                          " AND period = 2", c.certification_id)
            assert period2["issued_on"] == renewed_on and period2["confirmed_by"] == "hr.reviewer"
            new_expiry = date(renewed_on.year + 1, renewed_on.month, renewed_on.day)
            assert period2["expires_on"] == new_expiry
            period1 = await pool.fetchrow("SELECT * FROM certification_periods WHERE certification_id = $1"
                                          " AND period = 1", c.certification_id)
            assert period1["expires_on"] == expires and period1["cadence_ended"] == "renewed", "nothing overwritten"
            assert await pool.fetchval("SELECT status FROM certification_renewals WHERE renewal_id = $1",
                                       renewal_id) == "verified"
            assert await pool.fetchval("SELECT status FROM certification_flags WHERE certification_id = $1",
                                       c.certification_id) == "resolved"
            assert await pool.fetchval("SELECT count(*) FROM skill_evidence WHERE employee_id = $1 AND source ="
                                       " 'certification' AND detail LIKE '%(renewed)'", c.employee_id) >= 1

            # the next period runs its own workflow (the same worker: the test server's clock does not run while
            # the test polls, so a stopped worker's sticky queue would never time out): its cycle starts again from
            # its own expiry, and with no renewal it lapses into grace and then expires
            second = env.client.get_workflow_handle(workflow_id(c.certification_id, 2))
            await skip_until(env, at(new_expiry - timedelta(days=90)) + timedelta(hours=1))
            await until_reminded(pool, c.certification_id, 2, "before:90")
            await skip_until(env, at(new_expiry + timedelta(days=GRACE_DAYS)) + timedelta(hours=1))
            await until_reminded(pool, c.certification_id, 2, f"expired:-{GRACE_DAYS}")
            assert await second.result() == "expired"
        assert (await env.get_current_time()).date() - today > timedelta(days=365)

    sent = await reminded(pool, c.certification_id, 2)
    assert {k for k, _ in sent} == {"before:90", "before:60", "before:30", "before:7", "lapsed:0",
                                    f"expired:-{GRACE_DAYS}"}
    duplicates = await pool.fetch("SELECT business_key FROM notifications WHERE business_key LIKE $1"
                                  " GROUP BY business_key HAVING count(*) > 1", f"cert:{c.certification_id}:%")
    assert duplicates == []
    trail = [r["action"] for r in await pool.fetch(
        "SELECT action FROM audit_events WHERE payload->>'certification_id' = $1 ORDER BY seq", c.certification_id)]
    assert trail.count("certification.reminded") == len(await reminded(pool, c.certification_id, 1)) + len(sent)
    assert "certification.renewed" in trail and trail[-1] == "certification.period_expired"



async def test_a_revoked_certification_flags_the_work_and_hr_replaces_the_person(pool: asyncpg.Pool[Any]) -> None:
    async with await environment(pool) as env:
        today = (await env.get_current_time()).date()
        c = await holder_with_certification(pool, today, expires_in_days=200)
        task_queue = f"cert-{uuid.uuid4().hex[:8]}"
        async with worker(env, task_queue):
            handle = await env.client.start_workflow(CertificationWorkflow.run, c,
                                                     id=workflow_id(c.certification_id, 1), task_queue=task_queue)
            await pool.execute("UPDATE certifications SET revoked_on = $2, revoked_reason = 'withdrawn by issuer'"
                               " WHERE certification_id = $1", c.certification_id, today)
            await handle.signal(REPLAN_SIGNAL, c.facts.model_copy(update={"revoked": True}))
            flag_review = await pending_review(pool, "flag_assignment_certification", handle.id)
            assert "was revoked" in flag_review["explanation"]
            replace = store.FlagArguments.model_validate({**flag_review["arguments"], "outcome": "replace"})
            await decide(env, pool, handle, flag_review, "edit", edited=replace, reason="no PCI work without it")
            assert await handle.result() == "revoked"
    flag = await pool.fetchrow("SELECT status, decided_by, decided_reason FROM certification_flags"
                               " WHERE certification_id = $1", c.certification_id)
    assert (flag["status"], flag["decided_by"]) == ("replaced", "hr.reviewer")
    assert await pool.fetchval("SELECT state FROM assignments WHERE goal_id = $1 AND employee_id = $2",
                               flag_review["goal_id"], c.employee_id) == "withdrawn", "taken off the task"
    assert await reminded(pool, c.certification_id, 1) == set(), "no reminder after the revocation"
    told = await pool.fetchval(
        "SELECT count(*) FROM notifications WHERE goal_id = $1 AND subject LIKE '%HR''s decision'",
        flag_review["goal_id"])
    assert told >= 2, "the goal's manager and the person are told"
