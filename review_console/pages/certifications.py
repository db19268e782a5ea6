"""HTML pages: My certifications (each with where it stands, its periods and renewals, and a Renew form that sends
the renewed certificate for verification), a line manager's team certifications (what lapses in the next quarter
first), and HR's compliance report (share valid by department and type, lapses ahead by month, as CSV too). The
admin pages of the type catalogue and the registry import are in ``certification_admin``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from infra.store.certifications import Certification, Period, Renewal
from infra.store.users import User
from review_console.api.models.certifications import CREDENTIAL_MAX
from review_console.deps import CurrentUser, ReviewerUser, SvcDep
from review_console.pages import certification_admin
from review_console.pages.rendering import day_words, render
from workflows import usecases
from workflows.usecases import certification_reports, certifications
from workflows.usecases.certifications import EVIDENCE_MAX_BYTES, QUARTER_DAYS, Standing

router = APIRouter(include_in_schema=False)
router.include_router(certification_admin.router)

RENEWAL_FIELDS = ("issued_on", "expires_on", "credential_id", "file")
"""The Renew form's fields (an error names one of them, or the form: ``form``)."""
RENEWAL_WORDS = {"submitted": "Waiting for verification", "verified": "Verified", "rejected": "Rejected"}
"""A renewal's status in words."""
EVIDENCE_ACCEPT = ".pdf,.png,.jpg,.jpeg,.json,.txt,application/pdf,image/png,image/jpeg,application/json,text/plain"
"""What the certificate file field offers to pick."""


def days_words(days: int) -> str:
    """``1 day`` / ``12 days``."""
    return f"{days} day" + ("" if abs(days) == 1 else "s")


def expiry_words(s: Standing) -> str:
    """When the certification expires, in a sentence fragment with the days left (or since)."""
    if s.expires_on is None or s.days_left is None:
        return "Never expires"
    if s.status in ("valid", "expiring"):
        return f"Expires {day_words(s.expires_on)} ({days_words(s.days_left)} left)"
    if s.status == "in_grace" and s.grace_ends_on is not None:
        left = (s.grace_ends_on - certifications.today()).days + 1  # the last day of grace counts
        return (f"Lapsed on {day_words(s.expires_on)}; in grace until {day_words(s.grace_ends_on)}"
                f" ({days_words(left)} left to renew)")
    return f"Expired on {day_words(s.expires_on)} ({days_words(-s.days_left)} ago)"


def status_label(s: Standing) -> str:
    """The status in words, with the end of the grace period when it is in grace."""
    if s.status == "in_grace" and s.grace_ends_on is not None:
        return f"Lapsed, in grace until {day_words(s.grace_ends_on)}"
    if s.status == "expiring":
        return "Expiring within 90 days"
    return s.status_words


CONFIRMER_WORDS = {"verification-agent": "checked automatically",
                   "policy-default": "accepted by policy (no reviewer decided in time)"}
"""Who confirmed a renewal when it was not a person, in words."""


def confirmed_words(p: Period) -> str:
    """How a period was confirmed, in words."""
    match p.evidence_kind:
        case "import":
            return f"Imported from {p.evidence_ref}" if p.evidence_ref else "Imported from the registry"
        case "badge":
            return "From an Open Badge" + (f", checked by {p.confirmed_by}" if p.confirmed_by else "")
        case "file" | "reviewer":
            by = CONFIRMER_WORDS.get(p.confirmed_by or "", f"verified by {p.confirmed_by}" if p.confirmed_by
                                     else "verified")
            return f"Renewed certificate uploaded, {by}"
        case _:
            return "Demo data"


def cannot_renew(s: Standing) -> str:
    """Why the holder cannot renew now, in a sentence (empty when they can)."""
    if s.renewable:
        return ""
    if s.status == "revoked":
        return "It was revoked, so it cannot be renewed here; talk to HR."
    if s.certification.renewal_pending:
        return "A renewal waits for verification; you can send another once it is decided."
    return "It never expires, so there is nothing to renew."


@dataclass(frozen=True, kw_only=True)
class Card:
    """One certification on My certifications."""

    standing: Standing
    """The certification and where it stands."""
    renewals: list[Renewal]
    """Its renewals, latest first."""

    @property
    def cert(self) -> Certification:
        """The certification."""
        return self.standing.certification

    def renewal_of_file(self, p: Period) -> Renewal | None:
        """The renewal a period's uploaded file came with (to link the file)."""
        if p.evidence_kind not in ("file", "reviewer"):
            return None
        return next((r for r in self.renewals if r.evidence_ref == p.evidence_ref), None)


def renewal_field(message: str) -> str:
    """Which field of the Renew form a refusal is about (``form``: none in particular)."""
    lower = message.lower()
    if "expir" in lower:
        return "expires_on"
    if "issue date" in lower:
        return "issued_on"
    if "file" in lower or "attach" in lower:
        return "file"
    return "form"


async def _my_page(request: Request, svc: usecases.Services, user: User, *, status_code: int = 200,
                   failed: str | None = None, errors: dict[str, str] | None = None,
                   typed: dict[str, str] | None = None, sent: str | None = None) -> Response:
    rows = await certifications.my_certifications(svc, user.login)
    cards = []
    for s in rows:
        _, renewals = await certifications.get_certification(svc, user.login, s.certification.certification_id)
        cards.append(Card(standing=s, renewals=renewals))
    return render(request, "my_certifications.html", status_code=status_code, user=user, cards=cards,
                  failed=failed, errors=errors or {}, typed=typed or {}, sent=sent, expiry_words=expiry_words,
                  status_label=status_label, confirmed_words=confirmed_words, cannot_renew=cannot_renew,
                  renewal_words=RENEWAL_WORDS, evidence_accept=EVIDENCE_ACCEPT, credential_max=CREDENTIAL_MAX,
                  upload_limit=min(EVIDENCE_MAX_BYTES, svc.settings.max_request_body_bytes),
                  today=certifications.today())


@router.get("/me/certifications")
async def my_certifications_page(request: Request, svc: SvcDep, user: CurrentUser, sent: str | None = None,
                                 ) -> Response:
    """Your certifications: each with its status in colour and words, issuer, credential id, expiry and days left,
    every period with how it was confirmed, its renewals, and a Renew form."""
    return await _my_page(request, svc, user, sent=sent)


def _date(value: str, field: str, errors: dict[str, str], *, required: bool) -> date | None:
    value = value.strip()
    if not value:
        if required:
            errors[field] = "give the issue date printed on the renewed certificate"
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = f"“{value}” is not a date; write it as year-month-day, e.g. 2027-03-31"
        return None


@router.post("/me/certifications/{certification_id}/renew")
async def my_certifications_renew(request: Request, certification_id: str, svc: SvcDep, user: CurrentUser,
                                  issued_on: Annotated[str, Form()] = "", expires_on: Annotated[str, Form()] = "",
                                  credential_id: Annotated[str, Form()] = "",
                                  file: Annotated[UploadFile | None, File()] = None) -> Response:
    """Send a renewed certificate for verification from the page. A refusal comes back as the page (422/409) with
    the error next to its field and what was typed kept; success goes back to the page saying it was sent."""
    typed = {"issued_on": issued_on, "expires_on": expires_on, "credential_id": credential_id}
    errors: dict[str, str] = {}
    issued = _date(issued_on, "issued_on", errors, required=True)
    expires = _date(expires_on, "expires_on", errors, required=False)
    if len(credential_id) > CREDENTIAL_MAX:
        errors["credential_id"] = f"a credential id has at most {CREDENTIAL_MAX} characters"
    content = await file.read() if file is not None and file.filename else b""
    if file is None or not file.filename:
        errors["file"] = "choose the renewed certificate's file (PDF, PNG, JPEG, Open Badge JSON or text)"
    if errors or issued is None:
        return await _my_page(request, svc, user, status_code=422, failed=certification_id, errors=errors,
                              typed=typed)
    assert file is not None and file.filename
    try:
        await certifications.submit_renewal(
            svc, user.login, certification_id, issued_on=issued, expires_on=expires,
            credential_id=credential_id or None, file_name=file.filename,
            content_type=file.content_type or "application/octet-stream", content=content, via="console")
    except usecases.ServiceError as err:
        if isinstance(err, usecases.NotFound):
            raise
        return await _my_page(request, svc, user, status_code=err.status, failed=certification_id,
                              errors={renewal_field(err.message): err.message}, typed=typed)
    return RedirectResponse(f"/me/certifications?sent={certification_id}#c-{certification_id}", status_code=303)


@router.get("/team/certifications")
async def team_certifications_page(request: Request, svc: SvcDep, user: CurrentUser) -> Response:
    """The certifications of the people who report to you: what lapses in the next quarter first, then everyone's,
    by person."""
    rows = await certifications.team_certifications(svc, user.login)
    people: dict[str, list[Standing]] = {}
    for s in rows:
        people.setdefault(s.certification.employee_name, []).append(s)
    return render(request, "team_certifications.html", user=user, rows=rows, people=people,
                  lapsing=certifications.lapsing_within(rows, QUARTER_DAYS), quarter_days=QUARTER_DAYS,
                  expiry_words=expiry_words, status_label=status_label)


@router.get("/certifications/compliance")
async def compliance_page(request: Request, svc: SvcDep, user: ReviewerUser, department: str = "") -> Response:
    """HR's compliance report: the share valid by department and type, what lapses in each of the next 12 months
    by type, a department filter and the CSV download."""
    names = await certification_reports.department_names(svc)
    try:
        report = await certification_reports.compliance_report(svc, user.login, department=department or None)
    except usecases.Invalid as err:
        report = await certification_reports.compliance_report(svc, user.login)
        return render(request, "certification_compliance.html", status_code=err.status, user=user, report=report,
                      departments=names, chosen=department, error=err.message, percent=certification_reports.percent)
    return render(request, "certification_compliance.html", user=user, report=report, departments=names,
                  chosen=department, error=None, percent=certification_reports.percent)
