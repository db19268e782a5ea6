"""Certifications: the holder's, a line manager's team's, HR's compliance view, the type catalogue, renewals
submitted by holders (sent to the period's cadence workflow, signed by this layer), and the re-planning of cadence
workflows when the registry changes (an import, an edit, the daily reconciliation)."""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from temporalio.client import WithStartWorkflowOperation, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError

from infra import audit
from infra.store import certifications as store
from infra.store.certifications import Certification, CertificationType, CertificationTypeBase, Period, Renewal
from infra.store.users import User
from infra.telemetry import current_trace_id
from policies.certification_cadence import (
    STATUS_WORDS,
    CertStatus,
    status_on,
)
from workflows import attestation, move_acts
from workflows.certification_messages import (
    CERTIFICATION_WORKFLOW,
    RENEWAL_UPDATE,
    REPLAN_SIGNAL,
    CertificationInput,
    CertificationView,
    PeriodFacts,
    RenewalSubmitted,
    workflow_id,
)
from workflows.messages import Via
from workflows.usecases.context import Services
from workflows.usecases.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.usecases.users import get_user

EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
"""Largest renewal evidence file."""
EVIDENCE_TYPES = {"application/pdf", "image/png", "image/jpeg", "application/json", "text/plain"}
"""Evidence files accepted: a PDF, a photo or scan, an Open Badge (JSON), a text confirmation."""
QUARTER_DAYS = 92
""""The next quarter" on the team page."""


class Standing(BaseModel):
    """A certification as people see it: where it stands today."""

    certification: Certification
    """The certification and its periods."""
    status: CertStatus
    """Valid, expiring, in grace, expired or revoked."""
    status_words: str
    """The status in words."""
    expires_on: date | None
    """When the current period expires (None: never)."""
    days_left: int | None
    """Days until it expires (negative once lapsed; None: never expires)."""
    grace_ends_on: date | None
    """Last day of the grace period (None: it never expires, or has no grace)."""
    renewable: bool
    """The holder may submit a renewal now (it expires, is not revoked, and none waits)."""


def standing(cert: Certification, today: date) -> Standing:
    """Where ``cert`` stands on ``today``."""
    p = cert.current
    status = status_on(today, expires_on=p.expires_on, grace_days=p.grace_days, revoked_on=cert.revoked_on)
    return Standing(
        certification=cert, status=status, status_words=STATUS_WORDS[status], expires_on=p.expires_on,
        days_left=(p.expires_on - today).days if p.expires_on else None,
        grace_ends_on=p.expires_on + timedelta(days=p.grace_days - 1) if p.expires_on and p.grace_days else None,
        renewable=p.expires_on is not None and status != "revoked" and not cert.renewal_pending)


def today() -> date:
    """Today (UTC)."""
    return datetime.now(UTC).date()


async def my_certifications(svc: Services, login: str) -> list[Standing]:
    """The caller's own certifications."""
    user = await get_user(svc, login)
    if user.employee_id is None:
        return []
    async with svc.pool.acquire() as conn:
        found = await store.of_employee(conn, user.employee_id)
    return [standing(c, today()) for c in found]


async def team_certifications(svc: Services, login: str) -> list[Standing]:
    """The certifications of the caller's direct reports (a line manager's view)."""
    user = await get_user(svc, login)
    if user.employee_id is None:
        return []
    async with svc.pool.acquire() as conn:
        found = await store.of_team(conn, user.employee_id)
    return [standing(c, today()) for c in found]


def lapsing_within(rows: list[Standing], days: int = QUARTER_DAYS) -> list[Standing]:
    """Those that expire within ``days`` (or already lapsed and still in grace), soonest first."""
    soon = [r for r in rows if r.days_left is not None and r.status in ("expiring", "in_grace")
            and r.days_left <= days]
    return sorted(soon, key=lambda r: r.days_left or 0)


async def get_certification(svc: Services, login: str, certification_id: str) -> tuple[Standing, list[Renewal]]:
    """One certification with its renewals, for its holder, their line manager, HR and admins.

    Raises:
        NotFound: No such certification, or the caller may not see it.
    """
    user = await get_user(svc, login)
    async with svc.pool.acquire() as conn:
        cert = await store.get(conn, certification_id)
        if cert is None or not _may_see(user, cert):
            raise NotFound(f"no certification {certification_id!r}")
        renewals = await store.renewals_of(conn, certification_id)
    return standing(cert, today()), renewals


def _may_see(user: User, cert: Certification) -> bool:
    return (user.role in ("reviewer", "admin") or user.employee_id == cert.employee_id
            or (user.employee_id is not None and user.employee_id == cert.manager_id))


async def submit_renewal(svc: Services, login: str, certification_id: str, *, issued_on: date,
                         expires_on: date | None, credential_id: str | None, file_name: str, content_type: str,
                         content: bytes, via: Via = "console") -> Renewal:
    """The holder's renewed certificate: stored, then sent to the period's workflow, which has it verified.

    Raises:
        NotFound: No such certification of the caller's.
        Invalid: The dates or the file are not acceptable (a sentence says which).
        Conflict: A renewal already waits, or the certification cannot be renewed (revoked, never expires).
    """
    user = await get_user(svc, login)
    async with svc.pool.acquire() as conn:
        cert = await store.get(conn, certification_id)
    if cert is None or cert.employee_id != user.employee_id:
        raise NotFound(f"you hold no certification {certification_id!r}")
    now = standing(cert, today())
    if not now.renewable:
        raise Conflict("a renewal already waits for verification" if cert.renewal_pending else
                       "this certification cannot be renewed here (it is revoked, or it never expires)")
    _check_renewal(cert.current, issued_on=issued_on, expires_on=expires_on)
    if not content:
        raise Invalid("the certificate file is empty; attach the renewed certificate")
    if len(content) > EVIDENCE_MAX_BYTES:
        raise Invalid(f"the certificate file is larger than {EVIDENCE_MAX_BYTES // (1024 * 1024)} MB")
    kind = content_type.split(";")[0].strip().lower()
    if kind not in EVIDENCE_TYPES:
        raise Invalid("attach the certificate as a PDF, PNG, JPEG, Open Badge (JSON) or text file")
    file_id = hashlib.sha256(content).hexdigest()
    renewal = Renewal(
        renewal_id=f"ren-{uuid.uuid4().hex[:12]}", certification_id=certification_id, period=cert.current.period,
        issued_on=issued_on, expires_on=expires_on, credential_id=(credential_id or "").strip() or None,
        evidence_ref=file_id, evidence_name=file_name[:200] or "certificate", submitted_by=login,
        submitted_at=datetime.now(UTC), status="submitted", review_id=None, decided_reason=None)
    async with svc.pool.acquire() as conn, conn.transaction():
        await store.save_file(conn, file_id=file_id, name=renewal.evidence_name, content_type=kind,
                              content=content, uploaded_by=login)
        try:
            await store.add_renewal(conn, renewal)
        except Exception as err:  # the partial unique index: another renewal was stored meanwhile
            if "certification_renewals_open" in str(err):
                raise Conflict("a renewal already waits for verification") from err
            raise
    await _send_renewal(svc, cert, renewal, user, via)
    return renewal


def _check_renewal(current: Period, *, issued_on: date, expires_on: date | None) -> None:
    if issued_on > today():
        raise Invalid("the issue date is in the future; give the date printed on the certificate")
    if issued_on < current.issued_on:
        raise Invalid(f"the issue date is before the current certificate's ({current.issued_on:%d %B %Y})")
    if expires_on is not None and expires_on <= issued_on:
        raise Invalid("the expiry date must come after the issue date")
    if expires_on is not None and current.expires_on is not None and expires_on <= current.expires_on:
        raise Invalid(f"the new certificate must expire after the current one ({current.expires_on:%d %B %Y})")


async def _send_renewal(svc: Services, cert: Certification, renewal: Renewal, user: User, via: Via) -> None:
    """Hand the renewal to the period's workflow (signed by this layer), starting it in the same call when it is
    not running (update-with-start: the renewal cannot miss a workflow that just ended)."""
    facts = await _facts(svc, cert)
    if facts is None:
        raise Conflict("this certification never expires; there is nothing to renew")
    wid = workflow_id(cert.certification_id, cert.current.period)
    act = move_acts.attest(wid, RenewalSubmitted(renewal_id=renewal.renewal_id, actor=user.login, via=via),
                           key=attestation.decision_key(svc.settings.secret()), actor_employee_id=user.employee_id)
    start: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
        CERTIFICATION_WORKFLOW, _input(cert, facts), id=wid, task_queue=svc.settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING, id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE)
    try:
        await svc.temporal().execute_update_with_start_workflow(RENEWAL_UPDATE, act, start_workflow_operation=start)
    except WorkflowUpdateFailedError as err:
        async with svc.pool.acquire() as conn:
            await store.decide_renewal(conn, renewal.renewal_id, status="rejected", review_id=None,
                                       reason="not taken by the certification's workflow")
        cause = err.cause
        raise Conflict(getattr(cause, "message", None) or str(cause or err)) from err
    except RPCError as err:
        async with svc.pool.acquire() as conn:
            await store.decide_renewal(conn, renewal.renewal_id, status="rejected", review_id=None,
                                       reason="the certification's workflow was not reachable")
        raise Conflict(f"the certification's workflow is not reachable ({err.message}); try again") from err


async def _facts(svc: Services, cert: Certification) -> PeriodFacts | None:
    p = cert.current
    if p.expires_on is None:
        return None
    return PeriodFacts(expires_on=p.expires_on, grace_days=p.grace_days,
                       offsets=list(svc.settings.certification_reminder_days), revoked=cert.revoked_on is not None)


def _input(cert: Certification, facts: PeriodFacts) -> CertificationInput:
    return CertificationInput(certification_id=cert.certification_id, period=cert.current.period,
                              employee_id=cert.employee_id, name=cert.name, facts=facts)


async def _ensure_running(svc: Services, cert: Certification, facts: PeriodFacts) -> WorkflowHandle[Any, Any]:
    """The current period's workflow: started (again, when its cadence ended on other facts) or re-planned."""
    client = svc.temporal()
    handle = await client.start_workflow(
        CERTIFICATION_WORKFLOW, _input(cert, facts), id=workflow_id(cert.certification_id, cert.current.period),
        task_queue=svc.settings.task_queue, id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE)
    view: CertificationView = await handle.query("state", result_type=CertificationView)
    if view.facts != facts:
        await handle.signal(REPLAN_SIGNAL, facts)
    return handle


async def replan(svc: Services, certification_ids: list[str]) -> int:
    """Start or re-plan the cadence of these certifications (after an import or an edit); how many were touched.

    A period whose cadence ended on the same facts is left alone; a later period supersedes the one before.
    """
    touched = 0
    for cert_id in certification_ids:
        async with svc.pool.acquire() as conn:
            cert = await store.get(conn, cert_id)
            ended = await conn.fetchrow(
                "SELECT cadence_ended, cadence_facts FROM certification_periods WHERE certification_id = $1"
                " AND period = $2", cert_id, cert.current.period) if cert is not None else None
        if cert is None:
            continue
        if cert.current.period > 1:
            await _supersede(svc, cert)
        facts = await _facts(svc, cert)
        if facts is None:
            continue
        if ended is not None and ended["cadence_ended"] is not None and ended["cadence_facts"] == facts.model_dump(
                mode="json"):
            continue
        await _ensure_running(svc, cert, facts)
        touched += 1
    return touched


async def _supersede(svc: Services, cert: Certification) -> None:
    previous = cert.periods[1] if len(cert.periods) > 1 else None
    if previous is None or previous.expires_on is None:
        return
    handle = svc.temporal().get_workflow_handle(workflow_id(cert.certification_id, previous.period))
    with contextlib.suppress(RPCError):  # not running (ended, or never started): nothing to stop
        await handle.signal(REPLAN_SIGNAL, PeriodFacts(
            expires_on=previous.expires_on, grace_days=previous.grace_days,
            offsets=list(svc.settings.certification_reminder_days), superseded=True))


async def evidence_file(svc: Services, login: str, renewal_id: str) -> tuple[str, str, bytes]:
    """A renewal's evidence file (name, content type, content), for the holder, their manager, HR and admins.

    Raises:
        NotFound: No such renewal, or the caller may not see it.
    """
    user = await get_user(svc, login)
    async with svc.pool.acquire() as conn:
        renewal = await store.get_renewal(conn, renewal_id)
        cert = await store.get(conn, renewal.certification_id) if renewal is not None else None
        if renewal is None or cert is None or not _may_see(user, cert):
            raise NotFound(f"no renewal {renewal_id!r}")
        found = await store.get_file(conn, renewal.evidence_ref)
    if found is None:
        raise NotFound("the evidence file is gone")
    return found


async def certification_types(svc: Services, *, include_retired: bool = False) -> list[CertificationType]:
    """The catalogue of certification types (latest versions)."""
    async with svc.pool.acquire() as conn:
        return await store.current_types(conn, include_retired=include_retired)


async def save_certification_type(svc: Services, login: str, type_id: str,
                                  edit: CertificationTypeBase) -> int | None:
    """Add a version of a type (admins only); the new version, or None when nothing changed. Periods keep the
    version they were issued under.

    Raises:
        Forbidden: The caller is not an admin.
        Invalid: The id is not a slug.
    """
    user = await get_user(svc, login)
    if user.role != "admin":
        raise Forbidden("only admins edit certification types")
    if not store.TYPE_ID.match(type_id):
        raise Invalid("a type's id is lower-case letters, digits and dashes (for example 'first-aid-at-work')")
    async with svc.pool.acquire() as conn, conn.transaction():
        return await store.save_type(conn, type_id, edit, edited_by=login)


def require_hr(user: User) -> None:
    """Refuse whoever is not HR (a reviewer) or an admin.

    Raises:
        Forbidden: With a sentence.
    """
    if user.role not in ("reviewer", "admin"):
        raise Forbidden("only HR reviewers and admins see the organisation's certifications")


class Reconciled(BaseModel):
    """What one reconciliation of the registry with the cadence workflows did."""

    checked: int
    """Certifications with an expiry looked at."""
    started_or_replanned: int
    """Periods whose workflow was started, or re-planned on the registry's facts."""
    superseded: int
    """Earlier periods told to stop (a later one was recorded)."""


async def reconcile(svc: Services, certification_ids: list[str] | None = None, *,
                    progress: Callable[[int], None] | None = None) -> Reconciled:
    """Bring every certification's cadence in line with the registry: start what should run and does not, re-plan
    what runs on other facts, stop earlier periods a later one replaced. Runs daily (a Temporal Schedule) and after
    nothing else: imports and edits re-plan their own certifications at once (:func:`replan`). ``certification_ids``
    limits it to those (None: every certification); ``progress`` is told how many were checked after each one (the
    activity heartbeats with it: a first run starts hundreds of workflows)."""
    scope = "" if certification_ids is None else " WHERE certification_id = ANY($1::text[])"
    args: list[object] = [] if certification_ids is None else [certification_ids]
    async with svc.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT DISTINCT ON (p.certification_id) p.certification_id, p.period, p.expires_on, p.grace_days,"
            " p.cadence_facts,"
            " p.cadence_ended, c.revoked_on IS NOT NULL AS revoked FROM certification_periods p"
            f" JOIN certifications c USING (certification_id){scope} ORDER BY p.certification_id, p.period DESC",
            *args)
        running_earlier = await conn.fetch(
            "SELECT certification_id FROM certification_periods p WHERE cadence_facts IS NOT NULL"
            " AND cadence_ended IS NULL AND EXISTS (SELECT 1 FROM certification_periods later"
            " WHERE later.certification_id = p.certification_id AND later.period > p.period)"
            + scope.replace(" WHERE", " AND"), *args)
    running = {w.id async for w in svc.temporal().list_workflows(
        f"WorkflowType = '{CERTIFICATION_WORKFLOW}' AND ExecutionStatus = 'Running'")}
    offsets = list(svc.settings.certification_reminder_days)
    touched = checked = 0
    for r in rows:
        if r["expires_on"] is None:
            continue
        checked += 1
        facts = PeriodFacts(expires_on=r["expires_on"], grace_days=r["grace_days"], offsets=offsets,
                            revoked=r["revoked"])
        same = r["cadence_facts"] == facts.model_dump(mode="json")
        wid = workflow_id(r["certification_id"], r["period"])
        if same and (r["cadence_ended"] is not None or wid in running):
            continue
        touched += await replan(svc, [r["certification_id"]])
        if progress is not None:
            progress(checked)
    for r in running_earlier:
        async with svc.pool.acquire() as conn:
            cert = await store.get(conn, r["certification_id"])
        if cert is not None:
            await _supersede(svc, cert)
        if progress is not None:
            progress(checked)
    return Reconciled(checked=checked, started_or_replanned=touched, superseded=len(running_earlier))


REVOKE_REASON_MAX = 500
"""Longest revocation reason."""


async def revoke_certification(svc: Services, login: str, certification_id: str, *, reason: str) -> Standing:
    """HR or an admin revokes a certification (the issuer withdrew it, it was found false): its cadence stops, and
    assignments whose task needs it are flagged to HR like a lapse. Audited; the holder is told by the cadence.

    Raises:
        Forbidden: The caller is not HR or an admin.
        NotFound: No such certification.
        Invalid: No reason, or one too long.
        Conflict: It is revoked already.
    """
    user = await get_user(svc, login)
    require_hr(user)
    said = " ".join(reason.split())
    if not said or len(said) > REVOKE_REASON_MAX:
        raise Invalid(f"say why it is revoked (1 to {REVOKE_REASON_MAX} characters)")
    async with svc.pool.acquire() as conn, conn.transaction():
        cert = await store.get(conn, certification_id)
        if cert is None:
            raise NotFound(f"no certification {certification_id!r}")
        if cert.revoked_on is not None:
            raise Conflict(f"it was revoked on {cert.revoked_on:%d %B %Y}: {cert.revoked_reason}")
        await store.revoke(conn, certification_id, on=today(), reason=said)
        await audit.append(conn, audit.AuditEvent(
            actor_type="human", actor=user.login, actor_role=user.role, action="certification.revoked",
            payload={"certification_id": certification_id, "employee_id": cert.employee_id, "reason": said},
            trace_id=current_trace_id()))
    await replan(svc, [certification_id])
    async with svc.pool.acquire() as conn:
        revoked = await store.get(conn, certification_id)
    assert revoked is not None
    return standing(revoked, today())
