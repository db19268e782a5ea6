"""The notification outbox loop: deliver due notifications until told to stop. Run it in any number of processes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
import httpx

from infra.outbox.delivery import DeliveryReport, deliver_due
from infra.outbox.settings import NotificationSettings

log = logging.getLogger(__name__)

BATCH = 50
"""Rows claimed per round."""
MAX_IDLE_BACKOFF = 30.0
"""Longest pause after repeated failures of a whole round (database unreachable …)."""


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def run_outbox(pool: asyncpg.Pool[Any], settings: NotificationSettings, stop: asyncio.Event,
                     poll_seconds: float = 1.0) -> None:
    """Call :func:`~infra.outbox.delivery.deliver_due` until ``stop`` is set.

    A full batch is followed at once by the next one; otherwise the loop waits ``poll_seconds``. A round that
    fails as a whole (database unreachable) is logged and retried with a growing pause; failures of single
    notifications are handled (and logged) by ``deliver_due`` itself. The round in progress when ``stop`` is set
    finishes first (each send is bounded by ``request_timeout_seconds``); rows it could not finish stay
    ``sending`` and are taken over by another worker after their lease.
    """
    failures = 0
    async with httpx.AsyncClient(timeout=settings.request_timeout_seconds, follow_redirects=False) as client:
        while not stop.is_set():
            report: DeliveryReport | None = None
            try:
                report = await deliver_due(pool, settings, limit=BATCH, client=client)
            except Exception:
                failures += 1
                log.exception("notification outbox: delivery round failed (%d in a row)", failures)
            else:
                failures = 0
                if report.claimed or report.dead:
                    log.info("notification outbox: %d claimed, %d sent, %d retrying, %d dead, %d lease lost",
                             report.claimed, report.sent, report.retrying, report.dead, report.lease_lost)
            if failures:
                await _pause(stop, min(MAX_IDLE_BACKOFF, poll_seconds * 2.0 ** min(failures, 10)))
            elif report is None or report.claimed + report.dead < BATCH:
                await _pause(stop, poll_seconds)
