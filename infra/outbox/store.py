"""The ``notification_outbox`` table: enqueue a notification, claim due rows with a lease, record each outcome."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import Any, Literal, get_args

import asyncpg

from infra.db import Connection
from infra.outbox.settings import NotificationSettings

__all__ = ["CHANNELS", "Channel", "OutboxRow", "Outcome", "claim_due", "enqueue", "record_outcome"]

log = logging.getLogger(__name__)

Channel = Literal["email", "slack", "teams"]
CHANNELS: tuple[str, ...] = get_args(Channel)
MAX_ERROR_CHARS = 2000
"""``last_error`` is cut to this length."""


# ---------------------------------------------------------------------------------------------------- enqueue


def _validate(channel: str, recipient: str, body: str) -> None:
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; expected one of {', '.join(CHANNELS)}")
    if any(c in recipient for c in "\r\n"):
        raise ValueError("recipient must be a single line")
    if channel == "email":
        _, address = parseaddr(recipient)
        if not address or "@" not in address or address != recipient.strip():
            raise ValueError(f"not an e-mail address: {recipient!r}")
    elif recipient and not recipient.startswith(("https://", "http://")):
        raise ValueError(f"a {channel} recipient is a webhook URL (http/https) or '' for the configured one")
    if not body.strip():
        raise ValueError("body must not be empty")


async def enqueue(conn: Connection, *, channel: Channel, recipient: str, subject: str, body: str,
                  payload: Mapping[str, Any] | None = None, dedupe_key: str | None = None) -> int | None:
    """Add a notification inside the caller's transaction; return its id, or ``None`` when ``dedupe_key`` exists.

    ``recipient`` is an e-mail address for ``email`` and an incoming-webhook URL for ``slack``/``teams``
    (``''`` means the webhook configured in the settings). ``payload`` (JSON) adds to what is sent: for
    e-mail an ``"html"`` alternative body; for Slack extra message fields (``blocks``, ``username`` …); for
    Teams extra card fields (``actions`` of an Adaptive Card, ``potentialAction``/``themeColor`` of a
    MessageCard). Line breaks in ``subject`` are folded into spaces.
    """
    _validate(channel, recipient, body)
    subject = " ".join(subject.split())
    row_id: int | None = await conn.fetchval(
        "INSERT INTO notification_outbox (channel, recipient, subject, body, payload, dedupe_key)"
        " VALUES ($1, $2, $3, $4, $5::text::jsonb, $6) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        channel, recipient, subject, body, json.dumps(dict(payload or {})), dedupe_key,
    )
    return row_id


# ---------------------------------------------------------------------------------------------------- claim


@dataclass(frozen=True, kw_only=True)
class OutboxRow:
    """A claimed row, as the sender sees it."""

    id: int
    channel: str
    recipient: str
    subject: str
    body: str
    payload: dict[str, Any]
    attempts: int
    """Attempt number of this claim (1 for the first); the fencing token of :func:`record_outcome`."""
    created_at: datetime


_CLAIM = """
WITH due AS (
    SELECT id FROM notification_outbox
    WHERE status IN ('pending', 'sending') AND next_attempt_at <= now()
      AND (channel <> 'email' OR $4::bool)
      AND (recipient <> '' OR channel = ANY($5::text[]))
    ORDER BY next_attempt_at, id
    LIMIT $1
    FOR UPDATE SKIP LOCKED
)
UPDATE notification_outbox o
SET status = CASE WHEN o.attempts >= $2 THEN 'dead' ELSE 'sending' END,
    attempts = CASE WHEN o.attempts >= $2 THEN o.attempts ELSE o.attempts + 1 END,
    next_attempt_at = CASE WHEN o.attempts >= $2 THEN o.next_attempt_at
                           ELSE now() + make_interval(secs => $3::float8) END,
    last_error = CASE WHEN o.attempts < $2 THEN o.last_error
                      WHEN o.status = 'sending'
                          THEN concat_ws('; ', o.last_error,
                                         'gave up: the last attempt was interrupted (lease expired)')
                      ELSE concat_ws('; ', o.last_error, 'gave up: max attempts reached') END
FROM due
WHERE o.id = due.id
RETURNING o.id, o.channel, o.recipient, o.subject, o.body, o.payload::text AS payload, o.attempts,
          o.created_at, o.status
"""


async def claim_due(pool: asyncpg.Pool[Any], settings: NotificationSettings, *,
                    limit: int = 50) -> tuple[list[OutboxRow], int]:
    """Claim up to ``limit`` due rows (``sending`` with a lease); return them and how many were declared dead.

    Rows of a channel that is not configured (no SMTP server; an empty recipient without a default webhook)
    are left waiting. A row whose lease expired after its last allowed attempt is declared dead here.
    """
    defaults = [name for name, url in (("slack", settings.slack_webhook_url), ("teams", settings.teams_webhook_url))
                if url is not None]
    records = await pool.fetch(_CLAIM, limit, settings.max_attempts, settings.lease_seconds,
                               settings.smtp_host is not None, defaults)
    rows = [OutboxRow(id=r["id"], channel=r["channel"], recipient=r["recipient"], subject=r["subject"],
                      body=r["body"], payload=json.loads(r["payload"]), attempts=r["attempts"],
                      created_at=r["created_at"])
            for r in sorted(records, key=lambda r: r["id"]) if r["status"] == "sending"]
    dead = sum(1 for r in records if r["status"] == "dead")
    if dead:
        log.warning("notification outbox: %d row(s) dead after their lease expired on the last attempt", dead)
    return rows, dead


# ---------------------------------------------------------------------------------------------------- outcome


Outcome = Literal["sent", "retry", "dead"]


async def record_outcome(pool: asyncpg.Pool[Any], row: OutboxRow, outcome: Outcome, *, error: str | None = None,
                         delay_seconds: float = 0.0) -> bool:
    """Write the outcome of the attempt ``row.attempts``; ``False`` when the lease was lost meanwhile."""
    error = error[:MAX_ERROR_CHARS] if error is not None else None
    if outcome == "sent":
        result = await pool.execute(
            "UPDATE notification_outbox SET status = 'sent', sent_at = now()"
            " WHERE id = $1 AND status = 'sending' AND attempts = $2", row.id, row.attempts)
    elif outcome == "retry":
        result = await pool.execute(
            "UPDATE notification_outbox SET status = 'pending', last_error = $3,"
            " next_attempt_at = now() + make_interval(secs => $4::float8)"
            " WHERE id = $1 AND status = 'sending' AND attempts = $2", row.id, row.attempts, error, delay_seconds)
    else:
        result = await pool.execute(
            "UPDATE notification_outbox SET status = 'dead', last_error = $3"
            " WHERE id = $1 AND status = 'sending' AND attempts = $2", row.id, row.attempts, error)
    return bool(result == "UPDATE 1")
