"""Whether each agent's model answers: the last probe per worker and agent, in Postgres (table ``model_health``).

Workers probe their models at start and every few minutes (``workers.health``) and save the result here;
``talentops status`` and the admin page read the most recent result per agent, whichever worker made it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
from pydantic import BaseModel

from infra.db import Connection

AGENT_WORDS = {"draft_tasks": "Drafting plans", "propose_staffing": "Choosing people",
               "draft_onboarding_plan": "Drafting onboarding plans",
               "verify_certification_renewal": "Reading renewed certificates"}
"""What each agent does, in words for pages."""

_COLUMNS = ("agent, model, description, output_mode, ok, detail, served_model, latency_ms, checked_at")


class ModelHealth(BaseModel):
    """One probe of an agent's model: what it is configured with and whether it answered."""

    agent: str
    """The agent (``draft_tasks``, ``propose_staffing``)."""
    model: str
    """The configured model string (``openai-chat:smollm2``, ``local-planner``)."""
    description: str
    """The model named for a person, with where it is served (``openai-chat:smollm2 at http://…/v1``)."""
    output_mode: str
    """How the agent asks the model for structured output (``tool``, ``native``, ``prompted``)."""
    ok: bool
    """Whether the model answered the probe."""
    detail: str
    """What happened, in a sentence (``answered in 0.8 s``, or why it did not answer)."""
    served_model: str | None = None
    """The model name the server reported, when it differs from the configured one."""
    latency_ms: int | None = None
    """How long the answer took; None when there was none."""
    checked_at: datetime
    """When the probe ran."""


class ModelHealthRecord(ModelHealth):
    """A stored probe, with the worker that made it."""

    worker: str
    """The worker process that probed (``host:pid``)."""


def answered(latency_ms: int) -> str:
    """The detail of a probe that was answered, before any note (``answered in 0.8 s``)."""
    return f"answered in {latency_ms / 1000:.1f} s"


def age_words(checked_at: datetime, now: datetime | None = None) -> str:
    """How long ago ``checked_at`` was, in words (``just now``, ``2 min ago``, ``3 h ago``, ``2 days ago``)."""
    seconds = ((now or datetime.now(UTC)) - checked_at).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} days ago"


async def save(conn: Connection, worker: str, health: ModelHealth) -> None:
    """Store ``health`` as ``worker``'s latest probe of its agent (replacing the previous one)."""
    await conn.execute(
        f"INSERT INTO model_health (worker, {_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
        "ON CONFLICT (worker, agent) DO UPDATE SET model = EXCLUDED.model, description = EXCLUDED.description, "
        "output_mode = EXCLUDED.output_mode, ok = EXCLUDED.ok, detail = EXCLUDED.detail, "
        "served_model = EXCLUDED.served_model, latency_ms = EXCLUDED.latency_ms, checked_at = EXCLUDED.checked_at",
        worker, health.agent, health.model, health.description, health.output_mode, health.ok, health.detail,
        health.served_model, health.latency_ms, health.checked_at)


async def latest(conn: Connection) -> list[ModelHealthRecord]:
    """Per agent, the most recent probe across workers, in agent order."""
    rows = await conn.fetch(
        f"SELECT DISTINCT ON (agent) worker, {_COLUMNS} FROM model_health ORDER BY agent, checked_at DESC, worker")
    return [ModelHealthRecord.model_validate(dict(row)) for row in rows]


async def latest_at(url: str | None, *, timeout: float = 3.0) -> list[ModelHealthRecord] | None:
    """:func:`latest` from the database at ``url``; None when there is no URL, no answer or no table yet."""
    if url is None:
        return None
    try:
        conn: asyncpg.Connection[Any] = await asyncpg.connect(url, timeout=timeout)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return None
    try:
        return await latest(conn)
    except asyncpg.PostgresError:  # not migrated yet
        return None
    finally:
        await conn.close()
