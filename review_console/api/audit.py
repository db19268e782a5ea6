"""JSON API: the audit trail (search and export)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from review_console.api.models.audit import AuditEventPublic, AuditQueryParams
from review_console.api.models.common import ListOf
from review_console.deps import ReviewerUser, SvcDep
from workflows import usecases

CHECKPOINT_HEADER = "X-Audit-Checkpoint"
"""Header of an export carrying the signed checkpoint of the chain's head taken when it started."""

router = APIRouter()

EXPORT_MEDIA = {"jsonl": "application/x-ndjson", "csv": "text/csv"}


@router.get("/audit", tags=["audit"])
async def audit_events(svc: SvcDep, _: ReviewerUser, params: AuditQueryParams) -> ListOf[AuditEventPublic]:
    """Audit events in sequence order (reviewers and admins); ``count`` matches from ``after_seq`` on."""
    rows, total = await usecases.search_audit(svc, params.to_query())
    return ListOf(data=[AuditEventPublic.model_validate(r, from_attributes=True) for r in rows], count=total)


async def _from(first: str | None, rest: AsyncIterator[str]) -> AsyncIterator[str]:
    if first is not None:
        yield first
    async for chunk in rest:
        yield chunk


@router.get("/audit/export", tags=["audit"], response_class=StreamingResponse, responses={200: {
    "description": "The events, one JSON object a line (`jsonl`) or CSV with a header row (`csv`).",
    "content": {media: {"schema": {"type": "string"}} for media in EXPORT_MEDIA.values()}}})
async def audit_export(svc: SvcDep, _: ReviewerUser, params: AuditQueryParams,
                       format: Literal["jsonl", "csv"] = "jsonl") -> StreamingResponse:
    """Every matching audit event as JSON Lines or CSV, streamed (``limit`` is ignored).

    The first page is read before the answer starts, so a request that cannot be served gets its error status and
    body, never a 200 that stops short."""
    chunks = usecases.export_audit(svc, params.to_query(), format)
    first = await anext(chunks, None)
    checkpoint = await usecases.checkpoint_audit(svc)
    headers = {"content-disposition": f'attachment; filename="talentops-audit.{format}"'}
    if checkpoint is not None:  # the chain's head, signed: `talentops audit verify` holds the database to it
        headers[CHECKPOINT_HEADER] = json.dumps(dataclasses.asdict(checkpoint), sort_keys=True)
    return StreamingResponse(_from(first, chunks), media_type=EXPORT_MEDIA[format], headers=headers)
