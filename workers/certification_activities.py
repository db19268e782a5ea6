"""Activities of the certification cadence: reminders, renewal verification and its outcome, lapse flags and HR's
decisions on them, and the record of each period's cadence. Each writes in one transaction with its audit event;
business keys (``certification_reminders``, notification keys) make a retried or replayed one do nothing twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic_ai.exceptions import AgentRunError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from agents import certification_verifier as verifier
from agents.models import AgentModel
from infra import audit, idempotency
from infra.db import Connection
from infra.runtime import get_pool
from infra.settings import get_settings
from infra.store import certifications as store
from infra.store import employees
from infra.store.assignments import BOOKING_STATES
from infra.telemetry import current_trace_id
from policies.certification_cadence import Reminder, describe
from tools.certifications.catalogue import add_months
from tools.certifications.certificate_text import certificate_text
from tools.people.skill_levels import recompute_employee_skills
from workers.agent_runs import heartbeating, step_failed
from workers.notify import Message, tell_employee, tell_login
from workflows.certification_messages import (
    ApplyFlag,
    ApplyRenewal,
    CadenceMark,
    CertificationInput,
    FinishPeriod,
    FlagCandidate,
    NextPeriod,
    PeriodFacts,
    ReminderToSend,
    Verification,
    VerifyRenewal,
)

EVIDENCE_SOURCE = "certification"
"""Source of the skill evidence a verified renewal adds."""
LINK = "/me/certifications"


def _event(action: str, c: CertificationInput, *, actor_type: audit.ActorType = "system",
           actor: str = "certification-workflow", goal_id: str | None = None,
           payload: dict[str, Any] | None = None) -> audit.AuditEvent:
    info = activity.info()
    return audit.AuditEvent(
        actor_type=actor_type, actor=actor, action=action, goal_id=goal_id, workflow_id=info.workflow_id,
        run_id=info.workflow_run_id, trace_id=current_trace_id(),
        payload={"certification_id": c.certification_id, "period": c.period, "employee_id": c.employee_id,
                 **(payload or {})})


def _key(c: CertificationInput, what: str) -> str:
    return f"cert:{c.certification_id}:p{c.period}:{what}"


@activity.defn
async def mark_certification_cadence(data: CadenceMark) -> None:
    """Record the facts a period's workflow plans on (the daily reconciliation compares them)."""
    c = data.certification
    async with get_pool().acquire() as conn:
        await conn.execute(
            "UPDATE certification_periods SET cadence_facts = $3, cadence_ended = NULL"
            " WHERE certification_id = $1 AND period = $2", c.certification_id, c.period,
            c.facts.model_dump(mode="json"))


@activity.defn
async def send_certification_reminder(data: ReminderToSend) -> list[str]:
    """Tell each audience of one reminder once (per period, reminder and audience); the logins told now (a retry after
    the first execution committed: that execution's)."""
    c = data.certification
    reminder = Reminder(on=c.facts.expires_on - timedelta(days=data.days_before), kind=data.kind,
                        days_before=data.days_before, audience=tuple(data.audience))
    body = describe(reminder, name=c.name, expires_on=c.facts.expires_on, grace_days=c.facts.grace_days,
                    sent_on=data.sent_on)
    told: list[str] = []
    async with get_pool().acquire() as conn, conn.transaction():
        if not await idempotency.claim(conn):
            earlier = await idempotency.recall(conn)
            return list(earlier["told"]) if earlier is not None else []  # None: the first one told nobody
        holder = await conn.fetchrow("SELECT name, manager_id FROM employees WHERE employee_id = $1", c.employee_id)
        for audience in data.audience:
            first = await conn.fetchval(
                "INSERT INTO certification_reminders (certification_id, period, reminder_key, audience, recipients)"
                " VALUES ($1, $2, $3, $4, '{}') ON CONFLICT DO NOTHING RETURNING true",
                c.certification_id, c.period, data.key, audience)
            if not first:
                continue  # sent before this retry or restart
            logins = await _tell(conn, c, audience, data, body, holder)
            await conn.execute(
                "UPDATE certification_reminders SET recipients = $5 WHERE certification_id = $1 AND period = $2"
                " AND reminder_key = $3 AND audience = $4", c.certification_id, c.period, data.key, audience, logins)
            await audit.append(conn, _event("certification.reminded", c, payload={
                "reminder": data.key, "audience": audience, "recipients": logins}))
            told += logins
        if told:
            await idempotency.remember(conn, {"told": told})
    return told


async def _tell(conn: Connection, c: CertificationInput, audience: str, data: ReminderToSend, body: str,
                holder: Any) -> list[str]:
    name = holder["name"] if holder else c.employee_id
    left = (c.facts.expires_on - data.sent_on).days if data.sent_on else data.days_before
    subject = {"before": f"{c.name} expires in {left} day{'' if left == 1 else 's'}", "lapsed": f"{c.name} lapsed",
               "expired": f"{c.name} expired"}[data.kind]
    key = _key(c, f"{data.key}:{audience}")
    if audience == "holder":
        return await tell_employee(conn, c.employee_id, Message(subject=subject, body=body, link=LINK, goal_id=None,
                                                                key=key))
    about = f"{name}'s {c.name}: " + body.replace("Renew it and upload the new certificate on My certifications.",
                                                  "They renew it on their My certifications page.")
    if audience == "line_manager":
        if holder is None or holder["manager_id"] is None:
            return []
        return await tell_employee(conn, holder["manager_id"], Message(
            subject=f"{name}: {subject}", body=about, link="/team/certifications", goal_id=None, key=key))
    told = []
    for login, _ in await employees.notifiable(conn, "reviewer"):
        await tell_login(conn, login, Message(subject=f"{name}: {subject}", body=about,
                                              link="/certifications/compliance", goal_id=None, key=key))
        told.append(login)
    return told


def verification_activity(model: AgentModel | None) -> Callable[..., Any]:
    """The ``verify_certification_renewal`` activity, reading certificates with ``model`` (None or offline: the
    offline reader)."""

    @activity.defn(name="verify_certification_renewal")
    async def verify_certification_renewal(data: VerifyRenewal) -> Verification:
        """The verification agent's checks of a submitted renewal; the exact arguments of the period it would
        start. A retry after the first execution committed returns that execution's finding without reading the
        certificate again (a model could read it otherwise than the audited output says)."""
        c = data.certification
        async with get_pool().acquire() as conn:
            if (earlier := await idempotency.recall(conn)) is not None:
                return Verification.model_validate(earlier)
            renewal = await store.get_renewal(conn, data.renewal_id)
            cert = await store.get(conn, c.certification_id)
            ctype = await store.get_type(conn, cert.type_id) if cert is not None else None
            if renewal is None or cert is None or ctype is None:
                raise ApplicationError(f"renewal {data.renewal_id} or its certification is gone", non_retryable=True)
            found = await store.get_file(conn, renewal.evidence_ref)
            email = await conn.fetchval("SELECT email FROM employees WHERE employee_id = $1", cert.employee_id)
        current = next(p for p in cert.periods if p.period == renewal.period)
        name, content_type, content = found if found is not None else (renewal.evidence_name, "", b"")
        text = certificate_text(content_type, content)
        reader = model.name if model is not None and not model.offline and text else None
        async with heartbeating():
            reading = None if text is None else await _read(model, text, holder=cert.employee_name,
                                                            type_name=ctype.name)
        finding = verifier.verify(verifier.RenewalFacts(
            type_name=ctype.name, validity_months=ctype.validity_months, holder_email=email,
            holder_name=cert.employee_name, current_issued_on=current.issued_on,
            current_expires_on=current.expires_on, grace_days=current.grace_days, issued_on=renewal.issued_on,
            expires_on=renewal.expires_on, file_name=name, content_type=content_type, content=content,
            today=data.today, reading=reading))
        unread = "" if content_type == "application/json" or text is not None else \
            " The certificate file has no words to read (an image or a scan): a reviewer opens it when sampled."
        verdict = ("Every check passed." if not finding.problems else
                   "Not verified: " + "; ".join(finding.problems) + ".")
        arguments = {"certification_id": cert.certification_id, "renews_period": renewal.period,
                     "issued_on": renewal.issued_on.isoformat(),
                     "expires_on": finding.expires_on.isoformat() if finding.expires_on else None,
                     "credential_id": renewal.credential_id, "evidence": renewal.evidence_name}
        found_out = Verification(
            renewal_id=renewal.renewal_id, verified=not finding.problems, problems=finding.problems,
            explanation=f"Renewal of {ctype.name} for {cert.employee_name}, issued {renewal.issued_on:%d %B %Y}. "
                        f"{verdict} Checked: {'; '.join(finding.checked) or 'nothing passed'}.{unread}",
            arguments=arguments, model=reader, prompt_version=verifier.PROMPT_VERSION)
        async with get_pool().acquire() as conn, conn.transaction():  # the output, whether or not reviewed
            if not await idempotency.claim(conn) and (earlier := await idempotency.recall(conn)) is not None:
                return Verification.model_validate(earlier)  # an attempt running alongside committed first
            await idempotency.remember(conn, found_out.model_dump(mode="json"))
            if await conn.fetchval(  # once per renewal, however often the activity is retried
                    "SELECT EXISTS (SELECT 1 FROM audit_events WHERE action = 'agent.verify_certification_renewal'"
                    " AND workflow_id = $1 AND payload->>'renewal_id' = $2)", activity.info().workflow_id,
                    renewal.renewal_id):
                return found_out
            await audit.append(conn, _event(
                "agent.verify_certification_renewal", c, actor_type="agent", actor="verify_certification_renewal",
                payload={"renewal_id": renewal.renewal_id, "output": {
                    "summary": found_out.explanation, "verified": found_out.verified, "problems": finding.problems,
                    "arguments": arguments, "model": reader or "offline checks"}}))
        return found_out

    return verify_certification_renewal


async def _read(model: AgentModel | None, text: str, *, holder: str,
                type_name: str) -> verifier.CertificateReading:
    """The certificate's words read offline, or by the model (its reading checked against the text)."""
    if model is None or model.offline:
        return verifier.read_offline(text, holder_name=holder, type_name=type_name)
    deps = verifier.ReadingDeps(text=text)
    try:
        result = await verifier.reading_agent(model).run(
            verifier.reading_prompt(text, holder_name=holder, type_name=type_name), deps=deps)
    except (AgentRunError, OSError, TimeoutError) as err:
        raise step_failed(err, model, deps.problems) from err
    return result.output


@activity.defn
async def apply_renewal(data: ApplyRenewal) -> NextPeriod:
    """A verified renewal: the next period (nothing overwritten), skill evidence, flags resolved, the holder told."""
    c = data.certification
    async with get_pool().acquire() as conn, conn.transaction():
        renewal = await store.get_renewal(conn, data.renewal_id)
        cert = await store.get(conn, c.certification_id)
        ctype = await store.get_type(conn, cert.type_id) if cert is not None else None
        if renewal is None or cert is None or ctype is None:
            raise ApplicationError(f"renewal {data.renewal_id} or its certification is gone", non_retryable=True)
        number = renewal.period + 1
        first = await store.decide_renewal(conn, renewal.renewal_id, status="verified", review_id=data.review_id,
                                           reason=f"verified by {data.decided_by}")
        expires_on = data.expires_on or renewal.expires_on or (
            add_months(renewal.issued_on, ctype.validity_months) if ctype.validity_months else None)
        if first:
            await store.add_period(conn, c.certification_id, number, store.PeriodIn(
                issued_on=renewal.issued_on, expires_on=expires_on,
                evidence_kind="reviewer" if data.review_id and data.decided_by != "policy-default" else "file",
                evidence_ref=renewal.evidence_ref, confirmed_by=data.decided_by, review_id=data.review_id),
                type_version=ctype.version, grace_days=ctype.grace_days)
            if renewal.credential_id:
                await conn.execute("UPDATE certifications SET credential_id = $2 WHERE certification_id = $1",
                                   c.certification_id, renewal.credential_id)
            await _add_evidence(conn, c.employee_id, ctype.skills, f"Certified: {ctype.name} (renewed)")
            resolved = await conn.fetch(
                "UPDATE certification_flags SET status = 'resolved', decided_reason = coalesce(decided_reason, '')"
                " || ' renewed on ' || $2::text WHERE certification_id = $1 AND status IN ('open', 'kept', 'paused')"
                " RETURNING goal_id, task_id", c.certification_id, renewal.issued_on.isoformat())
            until = f"until {expires_on:%d %B %Y}" if expires_on else "with no expiry"
            await tell_employee(conn, c.employee_id, Message(
                subject=f"{ctype.name} renewed", body=f"Your renewed {ctype.name} is verified: valid {until}.",
                link=LINK, goal_id=None, key=_key(c, f"renewed:{renewal.renewal_id}")))
            await audit.append(conn, _event(
                "certification.renewed", c, actor=data.decided_by,
                actor_type="human" if data.decided_by not in ("policy-default", "verification-agent") else "agent",
                payload={"renewal_id": renewal.renewal_id, "review_id": data.review_id, "next_period": number,
                         "expires_on": expires_on.isoformat() if expires_on else None,
                         "flags_resolved": [dict(r) for r in resolved]}))
    facts = PeriodFacts(expires_on=expires_on, grace_days=ctype.grace_days,
                        offsets=list(get_settings().certification_reminder_days)) if expires_on else None
    return NextPeriod(period=number, facts=facts)


async def _add_evidence(conn: Connection, employee_id: str, skills: list[str], detail: str) -> None:
    if not skills:
        return
    await conn.executemany(
        "INSERT INTO skill_evidence (employee_id, skill, source, detail, observed_at) VALUES ($1, $2, $3, $4, now())",
        [(employee_id, skill, EVIDENCE_SOURCE, detail) for skill in skills])
    await recompute_employee_skills(conn, [employee_id])


@activity.defn
async def refuse_renewal(data: ApplyRenewal) -> None:
    """A renewal a reviewer (or the policy) did not accept: recorded with the reason, the holder told."""
    c = data.certification
    async with get_pool().acquire() as conn, conn.transaction():
        if not await store.decide_renewal(conn, data.renewal_id, status="rejected", review_id=data.review_id,
                                          reason=data.reason):
            return
        await tell_employee(conn, c.employee_id, Message(
            subject=f"{c.name} renewal not accepted",
            body=f"Your renewal of {c.name} was not accepted: {data.reason}. Submit it again with the right "
                 "certificate or dates.", link=LINK, goal_id=None, key=_key(c, f"refused:{data.renewal_id}")))
        await audit.append(conn, _event("certification.renewal_refused", c, actor_type="human",
                                        actor=data.decided_by,
                                        payload={"renewal_id": data.renewal_id, "review_id": data.review_id,
                                                 "reason": data.reason}))


@activity.defn
async def find_lapsed_assignments(c: CertificationInput) -> list[FlagCandidate]:
    """Assignments whose task needs the lapsed certification and runs past the lapse; each flagged once. A retry after
    the first execution committed returns the assignments that execution flagged (each needs its HR review)."""
    async with get_pool().acquire() as conn, conn.transaction():
        if not await idempotency.claim(conn):
            earlier = await idempotency.recall(conn)
            return [FlagCandidate.model_validate(f) for f in earlier["flagged"]] if earlier is not None else []
        rows = await conn.fetch(
            "SELECT a.goal_id, a.task_id, t.title AS task_title, a.employee_id, g.manager_login, a.ends_on,"
            " EXISTS (SELECT 1 FROM certification_renewals r WHERE r.certification_id = $1 AND r.status ="
            "   'submitted') AS renewal_pending"
            " FROM certifications c JOIN assignments a ON a.employee_id = c.employee_id"
            " JOIN task_certifications tc ON tc.goal_id = a.goal_id AND tc.task_id = a.task_id"
            "   AND tc.type_id = c.type_id"
            " JOIN tasks t ON t.goal_id = a.goal_id AND t.task_id = a.task_id JOIN goals g ON g.goal_id = a.goal_id"
            " WHERE c.certification_id = $1 AND a.state = ANY($2::text[]) AND a.ends_on >= $3"
            " ORDER BY a.goal_id, a.task_id", c.certification_id, list(BOOKING_STATES),
            min(c.facts.expires_on, datetime.now(UTC).date()) if c.facts.revoked else c.facts.expires_on)
        flagged: list[FlagCandidate] = []
        for r in rows:
            new = await conn.fetchval(
                "INSERT INTO certification_flags (goal_id, task_id, employee_id, certification_id, period)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true",
                r["goal_id"], r["task_id"], r["employee_id"], c.certification_id, c.period)
            if new:
                flagged.append(FlagCandidate.model_validate(dict(r)))
                await audit.append(conn, _event("certification.assignment_flagged", c, goal_id=r["goal_id"],
                                                payload={"task_id": r["task_id"]}))
        if flagged:
            await idempotency.remember(conn, {"flagged": [f.model_dump(mode="json") for f in flagged]})
    return flagged


@activity.defn
async def apply_certification_flag(data: ApplyFlag) -> None:
    """Carry out HR's decision on a flagged assignment: keep (with a renewal date), pause, or replace."""
    outcomes: dict[str, store.FlagStatus] = {"keep": "kept", "pause": "paused", "replace": "replaced"}
    await _decide_flag(data, outcomes[data.arguments.outcome])


@activity.defn
async def dismiss_certification_flag(data: ApplyFlag) -> None:
    """HR rejected the flag's proposal: nothing about the person changes; the flag is closed with the reason."""
    await _decide_flag(data, "resolved")


async def _decide_flag(data: ApplyFlag, status: store.FlagStatus) -> None:
    c, a = data.certification, data.arguments
    async with get_pool().acquire() as conn, conn.transaction():
        done = await conn.execute(
            "UPDATE certification_flags SET status = $6, review_id = $7, renew_by = $8, decided_by = $9,"
            " decided_reason = $10, decided_at = now() WHERE goal_id = $1 AND task_id = $2 AND employee_id = $3"
            " AND certification_id = $4 AND period = $5 AND status = 'open'",
            a.goal_id, a.task_id, a.employee_id, a.certification_id, a.period, status, data.review_id,
            a.renew_by if status == "kept" else None, data.decided_by, data.reason)
        if done != "UPDATE 1":
            return  # decided before this retry
        withdrawn = False
        if status == "replaced":
            withdrawn = await conn.fetchval(
                "UPDATE assignments SET state = 'withdrawn' WHERE goal_id = $1 AND task_id = $2 AND employee_id = $3"
                " AND state = 'released' RETURNING true", a.goal_id, a.task_id, a.employee_id) or False
        row = await conn.fetchrow(
            "SELECT t.title, g.manager_login, e.name FROM tasks t JOIN goals g USING (goal_id)"
            " JOIN employees e ON e.employee_id = $3 WHERE t.goal_id = $1 AND t.task_id = $2",
            a.goal_id, a.task_id, a.employee_id)
        if row is None:
            raise ApplicationError(f"task {a.task_id} of goal {a.goal_id} is gone", non_retryable=True)
        words = {"kept": f"stays on “{row['title']}” if the renewal is in by {a.renew_by:%d %B %Y}"
                 if a.renew_by else f"stays on “{row['title']}”",
                 "paused": f"pauses “{row['title']}” until {c.name} is renewed",
                 "replaced": f"is taken off “{row['title']}”" + ("" if withdrawn else
                                                                 " (withdraw them on the goal page)"),
                 "resolved": f"stays on “{row['title']}”; HR dismissed the flag"}[status]
        body = f"{row['name']}'s {c.name} lapsed. HR decided: {row['name']} {words}."
        if data.reason:
            body += f" Reason: {data.reason}"
        message = Message(subject=f"{c.name} lapsed: HR's decision", body=body, link=f"/goals/{a.goal_id}",
                          goal_id=a.goal_id, key=_key(c, f"flag:{a.goal_id}:{a.task_id}:{status}"))
        await tell_login(conn, row["manager_login"], message)
        await tell_employee(conn, a.employee_id, message)
        await audit.append(conn, _event(f"certification.flag_{status}", c, actor_type="human", actor=data.decided_by,
                                        goal_id=a.goal_id, payload={
                                            "task_id": a.task_id, "review_id": data.review_id,
                                            "renew_by": a.renew_by.isoformat() if a.renew_by else None,
                                            "withdrawn": withdrawn, "reason": data.reason}))


@activity.defn
async def finish_certification_period(data: FinishPeriod) -> None:
    """Record how a period's cadence ended (the reconciliation leaves an ended period alone)."""
    c = data.certification
    async with get_pool().acquire() as conn, conn.transaction():
        done = await conn.execute(
            "UPDATE certification_periods SET cadence_ended = $3, cadence_facts = $4"
            " WHERE certification_id = $1 AND period = $2 AND cadence_ended IS DISTINCT FROM $3",
            c.certification_id, c.period, data.result, c.facts.model_dump(mode="json"))
        if done == "UPDATE 1":
            await audit.append(conn, _event(f"certification.period_{data.result}", c))


CERTIFICATION_ACTIVITIES: list[Callable[..., Any]] = [
    mark_certification_cadence, send_certification_reminder, apply_renewal,
    refuse_renewal, find_lapsed_assignments, apply_certification_flag, dismiss_certification_flag,
    finish_certification_period,
]
"""Every activity of the certification cadence (with :func:`verification_activity`)."""
