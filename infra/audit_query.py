"""Reading the audit trail for auditors: filters, keyset pages and streaming export (JSON Lines, CSV)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg
from pydantic import BaseModel

from infra.arguments import canonical_json
from infra.store.timestamps import Timestamp

EXPORT_COLUMNS = (
    "seq", "at", "actor_type", "actor", "actor_role", "action", "goal_id", "workflow_id", "run_id", "args_hash",
    "model", "prompt_version", "policy_version", "trace_id", "payload", "prev_hash", "hash",
)
ExportFormat = Literal["jsonl", "csv"]


class AuditRecord(BaseModel):
    """One audit event as stored, with its place in the hash chain."""

    seq: int
    """Position in the trail (ascending, no gaps)."""
    at: Timestamp
    """When it happened."""
    actor_type: str
    """human, agent or system."""
    actor: str
    """Login, agent name or component name."""
    actor_role: str | None
    """Role of a human actor at the time."""
    action: str
    """What was done (``goal.submitted``, ``review.decided``, ...)."""
    goal_id: str | None
    """Goal it belongs to, if any."""
    workflow_id: str | None
    """Temporal workflow id, if any."""
    run_id: str | None
    """Temporal run id, if any."""
    args_hash: str | None
    """Hash of the exact arguments acted on."""
    model: str | None
    """Model that produced an agent output."""
    prompt_version: str | None
    """Version of the agent's instructions."""
    policy_version: str | None
    """Policy that routed or decided."""
    trace_id: str | None
    """OpenTelemetry trace id."""
    payload: dict[str, Any]
    """The details: arguments, outputs, tool calls, decision and reason."""
    prev_hash: str
    """Hash of the event before it."""
    hash: str
    """Hash of this event's content and ``prev_hash``."""


@dataclass(kw_only=True)
class AuditQuery:
    """Which audit events to read."""

    goal_id: str | None = None
    """Only this goal's events."""
    actor: str | None = None
    """Only this actor (login, agent or component)."""
    actor_type: str | None = None
    """Only human, agent or system events."""
    action: str | None = None
    """Only actions starting with this (``review.`` gives every review event)."""
    since: datetime | None = None
    """Only events at or after this time."""
    until: datetime | None = None
    """Only events before this time."""
    after_seq: int = 0
    """Keyset paging: only events after this sequence number."""
    limit: int = 100
    """Page size."""


_WHERE = """
WHERE seq > $1 AND ($2::text IS NULL OR goal_id = $2) AND ($3::text IS NULL OR actor = $3)
  AND ($4::text IS NULL OR actor_type = $4) AND ($5::text IS NULL OR starts_with(action, $5))
  AND ($6::timestamptz IS NULL OR at >= $6) AND ($7::timestamptz IS NULL OR at < $7)
"""


def _args(q: AuditQuery) -> tuple[Any, ...]:
    return (q.after_seq, q.goal_id, q.actor, q.actor_type, q.action, q.since, q.until)


async def search(pool: asyncpg.Pool[Any], q: AuditQuery) -> tuple[list[AuditRecord], int]:
    """One page of matching events in sequence order, and how many match from ``after_seq`` on."""
    rows = await pool.fetch(f"SELECT {', '.join(EXPORT_COLUMNS)} FROM audit_events {_WHERE} ORDER BY seq LIMIT $8",
                            *_args(q), q.limit)
    total: int = await pool.fetchval(f"SELECT count(*) FROM audit_events {_WHERE}", *_args(q))
    return [AuditRecord.model_validate(dict(r)) for r in rows], total


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}


async def export(pool: asyncpg.Pool[Any], q: AuditQuery, fmt: ExportFormat, *, batch: int = 2000,
                 ) -> AsyncIterator[str]:
    """Stream every matching event (ignores ``limit``) as JSON Lines or CSV text chunks.

    The first page is read before the first chunk (the CSV header too) is given, so a query the database refuses
    fails on the first ``anext``, before a caller has sent anything of the stream."""
    page = AuditQuery(**{**q.__dict__, "limit": batch})
    rows, _ = await search(pool, page)
    if fmt == "csv":
        yield ",".join(EXPORT_COLUMNS) + "\r\n"
    while rows:
        out = io.StringIO()
        if fmt == "jsonl":
            for row in rows:
                out.write(json.dumps(_plain(row.model_dump()), sort_keys=True, ensure_ascii=False) + "\n")
        else:
            writer = csv.writer(out)
            for row in rows:
                plain = _plain(row.model_dump())
                plain["payload"] = canonical_json(plain["payload"])
                writer.writerow([plain[c] if plain[c] is not None else "" for c in EXPORT_COLUMNS])
        yield out.getvalue()
        page.after_seq = rows[-1].seq
        rows, _ = await search(pool, page)


async def for_goal(pool: asyncpg.Pool[Any], goal_id: str) -> list[AuditRecord]:
    """Every event of one goal, in order."""
    rows = await pool.fetch(f"SELECT {', '.join(EXPORT_COLUMNS)} FROM audit_events WHERE goal_id = $1 ORDER BY seq",
                            goal_id)
    return [AuditRecord.model_validate(dict(r)) for r in rows]


class UnreviewedAction(BaseModel):
    """An agent action the trust ramp let go ahead without review (not sampled), with what the agent produced."""

    routed: AuditRecord
    """The routing event: the share in force, the random draw, the policy."""
    output: AuditRecord | None
    """The agent's output event for it (its plan, its onboarding draft), when the action has one."""


async def unreviewed(pool: asyncpg.Pool[Any], *, action_type: str | None = None, before_seq: int | None = None,
                     limit: int = 50) -> list[UnreviewedAction]:
    """The latest actions that went ahead unreviewed (newest first), optionally of one type; keyset paging by
    ``before_seq``."""
    routed = await pool.fetch(
        f"SELECT {', '.join(EXPORT_COLUMNS)} FROM audit_events WHERE action = 'review.routed'"
        " AND payload->>'review' = 'false' AND ($1::text IS NULL OR payload->>'action_type' = $1)"
        " AND ($2::bigint IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3", action_type, before_seq, limit)
    found = []
    for row in routed:
        record = AuditRecord.model_validate(dict(row))
        output = await pool.fetchrow(
            f"SELECT {', '.join(EXPORT_COLUMNS)} FROM audit_events WHERE workflow_id = $1 AND action = $2"
            " AND seq < $3 ORDER BY seq DESC LIMIT 1",
            record.workflow_id, f"agent.{record.payload.get('action_type')}", record.seq)
        found.append(UnreviewedAction(routed=record,
                                      output=AuditRecord.model_validate(dict(output)) if output else None))
    return found
