"""API models: the audit trail (filters and events)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel, Field

from infra.audit_query import AuditQuery, AuditRecord
from review_console.api.models.common import BIGINT_MAX, FilterTime, Id, Name, Timestamp


class AuditParams(BaseModel):
    """Filters and keyset page of the audit trail (query string)."""

    goal_id: Id | None = None
    """Only this goal's events."""
    actor: Name | None = None
    """Only this actor."""
    actor_type: Literal["human", "agent", "system"] | None = None
    """Only this kind of actor."""
    action: Name | None = None
    """Only actions starting with this, e.g. ``review.``."""
    since: FilterTime | None = None
    """Only events at or after this time (ISO 8601, 1970 to 9999; without a time zone: UTC)."""
    until: FilterTime | None = None
    """Only events before this time (ISO 8601, 1970 to 9999; without a time zone: UTC)."""
    after_seq: int = Field(default=0, ge=0, le=BIGINT_MAX)
    """Only events after this sequence number (next page: the last seq you got)."""
    limit: int = Field(default=100, ge=1, le=1000)
    """Page size."""

    def to_query(self) -> AuditQuery:
        """The infra-level query."""
        return AuditQuery(**self.model_dump())


AuditQueryParams = Annotated[AuditParams, Query()]


class AuditEventPublic(AuditRecord):
    """An audit event with every column the export has."""


class GoalAuditEventPublic(BaseModel):
    """An audit event in a goal's trail."""

    seq: int
    """Sequence number."""
    at: Timestamp
    """When."""
    actor_type: str
    """human, agent or system."""
    actor: str
    """Login, agent or component."""
    action: str
    """What happened."""
    args_hash: str | None
    """Hash of the arguments acted on."""
    payload: dict[str, Any]
    """What the event records."""
    model: str | None
    """Model of an agent event."""
    prompt_version: str | None
    """Prompt version of an agent event."""
    policy_version: str | None
    """Policies in force."""
    workflow_id: str | None
    """Workflow, if any."""
    run_id: str | None
    """Workflow run, if any."""
    trace_id: str | None
    """Trace id."""
    hash: str
    """This event's hash."""
