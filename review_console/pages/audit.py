"""HTML page: the whole audit trail with filters, pages and export links (reviewers and admins)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from review_console.api.models.audit import AuditParams
from review_console.deps import ReviewerUser, SvcDep
from review_console.pages.rendering import query_params, render
from workflows import usecases

router = APIRouter(include_in_schema=False)


@router.get("/audit")
async def audit_trail_page(request: Request, svc: SvcDep, user: ReviewerUser) -> Response:
    """The whole audit trail with filters, pages and export links (reviewers and admins)."""
    params = query_params(request, AuditParams)
    events, total = await usecases.search_audit(svc, params.to_query())
    query = params.model_dump(exclude_none=True, exclude={"after_seq", "limit"}, mode="json")
    next_url = ("/audit?" + urlencode({**query, "after_seq": events[-1].seq, "limit": params.limit})
                if len(events) < total else None)
    return render(request, "audit_trail.html", user=user, events=events, total=total, params=params,
                  next_url=next_url, export_query=urlencode(query),
                  retention_days=svc.settings.audit_retention_days)
