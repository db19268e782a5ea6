"""Messages of the certification cadence workflow (one workflow per certification period) and its activities."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from infra.store.certifications import FlagArguments
from workflows.messages import Via
from workflows.move_messages import ActAttestation

CERTIFICATION_WORKFLOW = "CertificationWorkflow"
RECONCILE_WORKFLOW = "CertificationReconcileWorkflow"
RECONCILE_SCHEDULE = "certification-reconcile-daily"
RENEWAL_UPDATE = "submit_renewal"
REPLAN_SIGNAL = "replan"

PeriodResult = Literal["renewed", "expired", "revoked", "superseded"]
"""How a period's workflow ended: renewed (the next period runs), expired after its grace, revoked, or replaced
by a later period recorded elsewhere (an import)."""


def workflow_id(certification_id: str, period: int) -> str:
    """The id of one period's workflow."""
    return f"certification-{certification_id}-p{period}"


class PeriodFacts(BaseModel):
    """What a period's cadence runs on: read from the registry, re-planned when the registry changes."""

    expires_on: date
    """Expiry day."""
    grace_days: int
    """Grace after it."""
    offsets: list[int]
    """Reminder days before expiry."""
    revoked: bool = False
    """Revoked: the cadence stops."""
    superseded: bool = False
    """A later period was recorded (an import): this one stops."""


class CertificationInput(BaseModel):
    """Start of a period's workflow."""

    certification_id: str
    """Certification."""
    period: int
    """Its period."""
    employee_id: str
    """Holder."""
    name: str
    """The type's name, for messages."""
    facts: PeriodFacts
    """Dates and reminder days as the registry has them."""


class CadenceMark(BaseModel):
    """Record the facts a period's workflow plans on (activity ``mark_certification_cadence``)."""

    certification: CertificationInput
    """The period, with the facts in force."""


class VerifyRenewal(BaseModel):
    """Check a submitted renewal (activity ``verify_certification_renewal``)."""

    certification: CertificationInput
    """The period it renews."""
    renewal_id: str
    """The stored renewal."""
    today: date
    """The workflow's day (dates are checked against it)."""


class RenewalSubmitted(BaseModel):
    """The holder's renewal evidence is stored; verify it (signed by the application layer)."""

    renewal_id: str
    """The stored renewal."""
    actor: str
    """Login of whoever submitted it."""
    via: Via = "console"
    """How they authenticated."""
    attestation: ActAttestation | None = None
    """Signed by the application layer; an act without a valid one is refused."""


class CertificationView(BaseModel):
    """What a period's workflow is doing (its query)."""

    status: str
    """``running``, ``verifying``, ``renewed``, ``expired``, ``revoked`` or ``superseded``."""
    facts: PeriodFacts
    """The dates it plans on."""
    sent: list[str] = Field(default_factory=list)
    """Reminders sent (their keys)."""
    pending_reviews: list[str] = Field(default_factory=list)
    """Reviews it waits for."""


class ReminderToSend(BaseModel):
    """Send one reminder of a period (activity ``send_certification_reminder``)."""

    certification: CertificationInput
    """The period."""
    key: str
    """The reminder's key within the period (``before:30``)."""
    kind: Literal["before", "lapsed", "expired"]
    """Before expiry, at the lapse, or when the grace ends."""
    days_before: int
    """Days before expiry."""
    audience: list[Literal["holder", "line_manager", "hr"]]
    """Who is told."""
    sent_on: date | None = None
    """The workflow's day when it is sent (None in histories from before it was recorded)."""


class Verification(BaseModel):
    """The verification agent's finding on a renewal (activity ``verify_certification_renewal``)."""

    renewal_id: str
    """The renewal."""
    verified: bool
    """Every check passed."""
    problems: list[str]
    """What did not check out, in words."""
    explanation: str
    """What was checked."""
    arguments: dict[str, object]
    """The action's exact arguments: the period the renewal would start."""
    model: str | None
    """The model, or None for the offline verifier."""
    prompt_version: str
    """Version of the checks (or prompt)."""


class ApplyRenewal(BaseModel):
    """Record a verified or rejected renewal (activities ``apply_renewal``, ``refuse_renewal``)."""

    certification: CertificationInput
    """The period renewed."""
    renewal_id: str
    """The renewal."""
    review_id: str | None
    """The review that decided it (None: verified without one)."""
    decided_by: str
    """Reviewer, ``policy-default`` or the verifying agent."""
    reason: str | None = None
    """A rejection's reason."""
    expires_on: date | None = None
    """The expiry the verified renewal starts with (as verified; None: the renewal's own, or the type's validity)."""


class NextPeriod(BaseModel):
    """The period a verified renewal started."""

    period: int
    """Its number."""
    facts: PeriodFacts | None
    """Its dates (None: it never expires, so no cadence runs)."""


class FlagCandidate(BaseModel):
    """An assignment whose task needs the lapsed certification and runs past the lapse."""

    goal_id: str
    """Goal."""
    task_id: str
    """Task."""
    task_title: str
    """Task, in words."""
    employee_id: str
    """The holder."""
    manager_login: str
    """The goal's manager."""
    ends_on: date
    """When the task ends."""
    renewal_pending: bool
    """A renewal waits for verification."""


class ApplyFlag(BaseModel):
    """Carry out HR's decision on a flag (activity ``apply_certification_flag``)."""

    certification: CertificationInput
    """The period that lapsed."""
    review_id: str
    """HR's review."""
    arguments: FlagArguments
    """What executes."""
    decided_by: str
    """Who decided."""
    reason: str | None = None
    """Why."""


class FinishPeriod(BaseModel):
    """Record how a period's workflow ended (activity ``finish_certification_period``)."""

    certification: CertificationInput
    """The period."""
    result: PeriodResult
    """How it ended."""
