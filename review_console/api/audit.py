"""JSON API: the audit trail (search and export)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from review_console.api.models.audit import AuditEventPublic, AuditQueryParams
from review_console.api.models.common import ListOf
from review_console.deps import ReviewerUser, SvcDep
from workflows import usecases

router = APIRouter()


@router.get("/audit", tags=["audit"])
async def audit_events(svc: SvcDep, _: ReviewerUser, params: AuditQueryParams) -> ListOf[AuditEventPublic]:
    """Audit events in sequence order (reviewers and admins); ``count`` matches from ``after_seq`` on."""
    rows, total = await usecases.search_audit(svc, params.to_query())
    return ListOf(data=[AuditEventPublic.model_validate(r, from_attributes=True) for r in rows], count=total)


@router.get("/audit/export", tags=["audit"])
async def audit_export(svc: SvcDep, _: ReviewerUser, params: AuditQueryParams,
                       format: Literal["jsonl", "csv"] = "jsonl") -> StreamingResponse:
    """Every matching audit event as JSON Lines or CSV, streamed (``limit`` is ignored)."""
    media = "application/x-ndjson" if format == "jsonl" else "text/csv"
    return StreamingResponse(usecases.export_audit(svc, params.to_query(), format), media_type=media,
                             headers={"content-disposition": f'attachment; filename="talentops-audit.{format}"'})
