"""JSON API: HR's compliance report on certifications (the share valid by department and type, what lapses ahead
by month), as JSON or as a CSV file."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from review_console.api.models.certifications import CompliancePublic, ComplianceQueryParams
from review_console.deps import ReviewerUser, SvcDep
from workflows.usecases import certification_reports

router = APIRouter(prefix="/certifications", tags=["certifications"])
CSV_MEDIA = "text/csv; charset=utf-8"


@router.get("/compliance")
async def compliance(params: ComplianceQueryParams, svc: SvcDep, user: ReviewerUser) -> CompliancePublic:
    """Compliance today (HR reviewers and admins), optionally of one department: per department and type how many
    certifications are held, valid (counting those expiring within 90 days), lapsed in grace, expired and revoked,
    with the share valid; and per type what lapses in each of the 12 months ahead. 422 for an unknown
    department."""
    report = await certification_reports.compliance_report(svc, user.login, department=params.department)
    return CompliancePublic.model_validate(report.model_dump())


@router.get("/compliance.csv", response_class=Response, responses={200: {
    "description": "A CSV file with a header row, then one row per department and type.",
    "content": {"text/csv": {"schema": {"type": "string"}}}}})
async def compliance_csv(params: ComplianceQueryParams, svc: SvcDep, user: ReviewerUser) -> Response:
    """The compliance report as a CSV file to download (HR reviewers and admins): a header row, then per department
    and type: held, valid (incl. expiring), expiring within 90 days, in grace, expired, revoked, the share valid
    (%), and how many lapse in each of the 12 months ahead. 422 for an unknown department."""
    report = await certification_reports.compliance_report(svc, user.login, department=params.department)
    name = f"certification-compliance-{report.as_of:%Y-%m-%d}"
    if report.department:
        name += "-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in report.department)
    return Response(certification_reports.compliance_csv(report), media_type=CSV_MEDIA,
                    headers={"content-disposition": f'attachment; filename="{name}.csv"'})
