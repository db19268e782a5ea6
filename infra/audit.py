"""The tamper-evident audit trail: append-only rows chained by SHA-256."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from infra import idempotency
from infra.arguments import args_hash, canonical_json
from infra.db import Connection

__all__ = ["AuditEvent", "ChainReport", "append", "args_hash", "canonical_json", "verify_chain"]

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first row."""
AUDIT_LOCK = 7_204_2027
"""Advisory lock that serialises appends so the chain never forks."""

ActorType = Literal["human", "agent", "system"]


@dataclass(kw_only=True)
class AuditEvent:
    """One thing that happened, about to be appended."""

    actor_type: ActorType
    """Who acted: a human, an agent or the system."""
    actor: str
    """Login, agent name or component name."""
    actor_role: str | None = None
    """Role of a human actor (manager, reviewer, admin) at the time."""
    action: str
    """What was done, e.g. ``goal.submitted`` or ``review.decided``."""
    payload: dict[str, Any] = field(default_factory=dict)
    """The details: arguments, outputs, tool calls, decision and reason."""
    goal_id: str | None = None
    """Goal the event belongs to, if any."""
    workflow_id: str | None = None
    """Temporal workflow id, if any."""
    run_id: str | None = None
    """Temporal run id, if any."""
    args_hash: str | None = None
    """Hash of the exact arguments acted on."""
    model: str | None = None
    """Model that produced an agent output."""
    prompt_version: str | None = None
    """Version of the agent's instructions."""
    policy_version: str | None = None
    """Version of the policy that routed or decided."""
    trace_id: str | None = None
    """OpenTelemetry trace id, to join with traces."""
    idempotency_key: str | None = None
    """Business key of the action: appending an event with a key already stored returns that event instead.
    Inside an activity it defaults to the activity execution's key (``infra.idempotency``)."""


_HASHED_FIELDS = (
    "at", "actor_type", "actor", "action", "goal_id", "workflow_id", "run_id", "args_hash",
    "payload", "model", "prompt_version", "policy_version", "trace_id", "prev_hash",
)


def row_hash(row: dict[str, Any]) -> str:
    """Hash of a row's content including the previous row's hash."""
    material = {name: row[name] for name in _HASHED_FIELDS}
    for added_later in ("actor_role", "idempotency_key"):  # rows from before a column hash without it
        if row.get(added_later) is not None:
            material[added_later] = row[added_later]
    material["at"] = row["at"].astimezone(UTC).isoformat()
    return hashlib.sha256(canonical_json(material).encode()).hexdigest()


async def append(conn: Connection, event: AuditEvent) -> int:
    """Append one event inside the caller's transaction (or a new one); return its sequence number.

    An event whose idempotency key is already stored (an activity retried after it committed) is not stored
    again: the stored event's sequence number is returned.
    """
    scope = idempotency.current()
    key = event.idempotency_key or (scope.event_key(event.action) if scope is not None else None)
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", AUDIT_LOCK)
        if key is not None:
            stored: int | None = await conn.fetchval("SELECT seq FROM audit_events WHERE idempotency_key = $1", key)
            if stored is not None:
                return stored
        prev = await conn.fetchval("SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        row: dict[str, Any] = {
            "at": datetime.now(UTC),
            "actor_type": event.actor_type,
            "actor": event.actor,
            "actor_role": event.actor_role,
            "action": event.action,
            "goal_id": event.goal_id,
            "workflow_id": event.workflow_id,
            "run_id": event.run_id,
            "args_hash": event.args_hash,
            # round-trip through JSON so the hash covers exactly what jsonb gives back
            "payload": json.loads(canonical_json(event.payload)),
            "model": event.model,
            "prompt_version": event.prompt_version,
            "policy_version": event.policy_version,
            "trace_id": event.trace_id,
            "idempotency_key": key,
            "prev_hash": prev or GENESIS_HASH,
        }
        row["hash"] = row_hash(row)
        columns = list(row)
        placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
        seq: int = await conn.fetchval(
            f"INSERT INTO audit_events ({', '.join(columns)}) VALUES ({placeholders}) RETURNING seq",
            *row.values(),
        )
        return seq


@dataclass(kw_only=True)
class ChainReport:
    """Result of verifying the whole chain."""

    rows: int
    """Rows checked."""
    ok: bool
    """Whether every row's hash and link is intact."""
    first_broken_seq: int | None = None
    """Sequence number of the first row that does not verify."""
    problem: str | None = None
    """What is wrong with that row."""


async def verify_chain(conn: Connection, *, batch: int = 5000) -> ChainReport:
    """Recompute every hash in order and check each row links to the one before."""
    expected_prev = GENESIS_HASH
    checked = 0
    last_seq = 0
    while True:
        rows = await conn.fetch(
            "SELECT * FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2", last_seq, batch
        )
        if not rows:
            return ChainReport(rows=checked, ok=True)
        for record in rows:
            row = dict(record)
            if row["prev_hash"] != expected_prev:
                return ChainReport(rows=checked, ok=False, first_broken_seq=row["seq"],
                                   problem="link to the previous row is broken (row removed or reordered)")
            if row_hash(row) != row["hash"]:
                return ChainReport(rows=checked, ok=False, first_broken_seq=row["seq"],
                                   problem="content does not match its hash (row altered)")
            expected_prev = row["hash"]
            checked += 1
            last_seq = row["seq"]
