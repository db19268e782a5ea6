"""JSON API: certifications. Yours, your team's (a line manager's, with what lapses soon), one certification with
its renewals (its holder, their line manager, HR and admins), submitting a renewal with the renewed certificate
(sent for verification), and a renewal's evidence file. HR's compliance report (``certification_reports``) and the
catalogue of types with the registry import (``certification_types``) are routed here too, ahead of
``/certifications/{certification_id}``."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, UploadFile, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from review_console.api import certification_reports, certification_types
from review_console.api.models.certifications import (
    CREDENTIAL_MAX,
    CertificationDetailPublic,
    CertificationIdPath,
    CertificationPublic,
    RenewalIdPath,
    RenewalPublic,
    TeamQueryParams,
)
from review_console.api.models.common import ListOf
from review_console.deps import CurrentUser, ReviewerUser, SvcDep, api_form_guard
from workflows.usecases import certifications
from workflows.usecases.certifications import EVIDENCE_TYPES, Standing

router = APIRouter()
router.include_router(certification_reports.router)  # /certifications/compliance before /certifications/{id}
router.include_router(certification_types.router)


def _public(rows: list[Standing]) -> ListOf[CertificationPublic]:
    return ListOf(data=[CertificationPublic.model_validate(r.model_dump()) for r in rows], count=len(rows))


def attachment(filename: str) -> str:
    """A ``Content-Disposition`` that downloads ``filename`` (an ASCII fallback, and the name itself encoded)."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "._- ") else "_" for c in filename) or "evidence"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get("/me/certifications", tags=["certifications"])
async def my_certifications(svc: SvcDep, user: CurrentUser) -> ListOf[CertificationPublic]:
    """Your certifications, by name, each with where it stands today (valid, expiring within 90 days, lapsed in
    grace, expired, revoked), its expiry day and days left, and every period (latest first). Empty when your login
    is not an employee."""
    return _public(await certifications.my_certifications(svc, user.login))


@router.get("/team/certifications", tags=["certifications"])
async def team_certifications(params: TeamQueryParams, svc: SvcDep,
                              user: CurrentUser) -> ListOf[CertificationPublic]:
    """The certifications of the people who report to you (by person, then name); with ``lapsing_within`` only
    those expiring within that many days or lapsed and still in grace, soonest first (92: the next quarter). Empty
    when nobody reports to you."""
    rows = await certifications.team_certifications(svc, user.login)
    if params.lapsing_within is not None:
        rows = certifications.lapsing_within(rows, params.lapsing_within)
    return _public(rows)


@router.get("/certifications/{certification_id}", tags=["certifications"])
async def get_certification(certification_id: CertificationIdPath, svc: SvcDep,
                            user: CurrentUser) -> CertificationDetailPublic:
    """One certification with its periods and its renewals (latest first): for its holder, their line manager, HR
    reviewers and admins. 404 for anyone else, as for a certification that does not exist."""
    found, renewals = await certifications.get_certification(svc, user.login, certification_id)
    return CertificationDetailPublic(certification=CertificationPublic.model_validate(found.model_dump()),
                                     renewals=[RenewalPublic.of(r) for r in renewals])


class RevocationIn(BaseModel):
    """Why a certification is revoked."""

    reason: str = Field(min_length=1, max_length=certifications.REVOKE_REASON_MAX)
    """The reason, in words (the issuer withdrew it, it was found false …)."""


@router.post("/certifications/{certification_id}/revoke", tags=["certifications"])
async def revoke_certification(certification_id: CertificationIdPath, body: RevocationIn, svc: SvcDep,
                               user: ReviewerUser) -> CertificationPublic:
    """Revoke a certification (HR reviewers and admins): its reminders stop, and assignments whose task needs it are
    flagged to HR's review like a lapse (keep, replace or pause). 404 for an unknown certification, 409 when it is
    revoked already."""
    revoked = await certifications.revoke_certification(svc, user.login, certification_id, reason=body.reason)
    return CertificationPublic.model_validate(revoked.model_dump())


@router.post("/me/certifications/{certification_id}/renewals", status_code=status.HTTP_201_CREATED,
             tags=["certifications"], dependencies=[Depends(api_form_guard)])
async def submit_renewal(
        certification_id: CertificationIdPath,
        issued_on: Annotated[date, Form(description="The day the renewed certificate was issued (not in the future, "
                                                    "not before the current one's).")],
        file: Annotated[UploadFile, File(description="The renewed certificate: a PDF, PNG or JPEG, an Open Badge "
                                                     "(JSON) or a text confirmation.")],
        svc: SvcDep, user: CurrentUser,
        expires_on: Annotated[date | None, Form(description="The day it expires, after the current one's (none: it "
                                                            "never expires).")] = None,
        credential_id: Annotated[str | None, Form(max_length=CREDENTIAL_MAX, description="The issuer's credential "
                                                  "id on the new certificate, if it has one.")] = None,
) -> RenewalPublic:
    """Submit the renewed certificate of a certification of yours (``multipart/form-data``: the issue and expiry
    days, the credential id, the file): it is stored and sent for verification (``status`` ``submitted``).
    404 when you hold no such certification, 409 when a renewal already waits or it cannot be renewed (revoked,
    never expires), 422 for dates that do not follow the current certificate or a file that is empty, too large or
    not a PDF, PNG, JPEG, Open Badge (JSON) or text file. With a session cookie the request needs the session's
    CSRF token in the ``X-CSRF-Token`` header."""
    content = await file.read()
    renewal = await certifications.submit_renewal(
        svc, user.login, certification_id, issued_on=issued_on, expires_on=expires_on, credential_id=credential_id,
        file_name=file.filename or "certificate", content_type=file.content_type or "application/octet-stream",
        content=content, via="api")
    return RenewalPublic.of(renewal)


@router.get("/renewals/{renewal_id}/evidence", tags=["certifications"], response_class=Response, responses={200: {
    "description": "The evidence file as it was uploaded, to download.",
    "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in sorted(EVIDENCE_TYPES)}}})
async def renewal_evidence(renewal_id: RenewalIdPath, svc: SvcDep, user: CurrentUser) -> Response:
    """A renewal's evidence file (the renewed certificate), to download: for the holder, their line manager, HR
    reviewers and admins. 404 for anyone else, as for a renewal that does not exist."""
    name, content_type, content = await certifications.evidence_file(svc, user.login, renewal_id)
    return Response(content, media_type=content_type, headers={"content-disposition": attachment(name)})
