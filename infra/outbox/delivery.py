"""One delivery round of the outbox: claim due rows, send them concurrently, record each outcome."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from infra.outbox.channels import DeliveryError, send
from infra.outbox.retry import backoff_seconds
from infra.outbox.settings import NotificationSettings
from infra.outbox.store import OutboxRow, Outcome, claim_due, record_outcome

__all__ = ["DeliveryReport", "deliver_due"]

log = logging.getLogger(__name__)

SEND_CONCURRENCY = 8
"""Rows of one batch sent at the same time."""


@dataclass(kw_only=True)
class DeliveryReport:
    """What one :func:`deliver_due` call did."""

    claimed: int = 0
    """Rows claimed for sending."""
    sent: int = 0
    """Delivered."""
    retrying: int = 0
    """Failed, scheduled again."""
    dead: int = 0
    """Given up (permanent error, or out of attempts)."""
    lease_lost: int = 0
    """Sent or failed after another worker took the row over: outcome not written."""
    unrecorded: int = 0
    """Outcome could not be written (database error): the row is sent again once its lease expires."""
    errors: list[str] = field(default_factory=list)
    """One line per failure: ``#id channel: error`` (never the webhook URL)."""


async def _deliver_one(pool: asyncpg.Pool[Any], settings: NotificationSettings, client: httpx.AsyncClient,
                       row: OutboxRow, report: DeliveryReport) -> None:
    outcome: Outcome = "sent"
    error: str | None = None
    delay = 0.0
    try:
        await send(row, settings, client)
    except DeliveryError as exc:
        error = str(exc)
        outcome = "retry" if exc.retryable and row.attempts < settings.max_attempts else "dead"
        delay = backoff_seconds(row.attempts, base=settings.base_delay_seconds, cap=settings.max_delay_seconds,
                                key=row.id)
        if exc.retry_after is not None:
            delay = min(settings.max_delay_seconds, max(delay, exc.retry_after))
    except Exception as exc:  # a bug or an unexpected library error: bounded retries, never a crash
        log.exception("notification #%d (%s): unexpected error while sending", row.id, row.channel)
        error = f"unexpected {type(exc).__name__}: {exc}"
        outcome = "retry" if row.attempts < settings.max_attempts else "dead"
        delay = backoff_seconds(row.attempts, base=settings.base_delay_seconds, cap=settings.max_delay_seconds,
                                key=row.id)
    if error is not None:
        if outcome == "dead":
            error = f"attempt {row.attempts}/{settings.max_attempts}: {error}"
        report.errors.append(f"#{row.id} {row.channel}: {error}")
    try:
        recorded = await record_outcome(pool, row, outcome, error=error, delay_seconds=delay)
    except Exception as exc:  # database down, pool closed …
        log.warning("notification #%d: could not record %s (%s); it is retried after its lease", row.id, outcome,
                    exc)
        report.unrecorded += 1
        return
    if not recorded:
        log.warning("notification #%d: lease lost before recording %s (another worker took it over)", row.id,
                    outcome)
        report.lease_lost += 1
    elif outcome == "sent":
        report.sent += 1
    elif outcome == "retry":
        report.retrying += 1
        log.info("notification #%d (%s) attempt %d failed, retry in %.0fs: %s", row.id, row.channel, row.attempts,
                 delay, error)
    else:
        report.dead += 1
        log.warning("notification #%d (%s) is dead: %s", row.id, row.channel, error)


async def deliver_due(pool: asyncpg.Pool[Any], settings: NotificationSettings, *, limit: int = 50,
                      client: httpx.AsyncClient | None = None) -> DeliveryReport:
    """Claim and send up to ``limit`` due notifications; safe to run in several processes at once."""
    rows, dead = await claim_due(pool, settings, limit=limit)
    report = DeliveryReport(claimed=len(rows), dead=dead)
    if not rows:
        return report
    async with contextlib.AsyncExitStack() as stack:
        if client is None:
            client = await stack.enter_async_context(
                httpx.AsyncClient(timeout=settings.request_timeout_seconds, follow_redirects=False))
        gate = asyncio.Semaphore(SEND_CONCURRENCY)

        async def one(row: OutboxRow) -> None:
            async with gate:
                await _deliver_one(pool, settings, client, row, report)

        await asyncio.gather(*(one(row) for row in rows))
    return report
