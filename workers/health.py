"""The worker's model health check: probe every agent's model at start and every few minutes, store the result.

``talentops status`` and the admin page read what was stored (``infra.store.model_health``), so they say whether the
models answer without sending a request of their own.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from typing import Any

import asyncpg

from agents.health import ModelHealth, probe
from infra.store import model_health
from workers.agent_runs import AgentModels

PROBE_EVERY_SECONDS = 300.0
"""How often a worker probes its models."""

log = logging.getLogger(__name__)


def worker_name() -> str:
    """This worker process, as stored with its probes: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


async def probe_all(models: AgentModels) -> list[ModelHealth]:
    """Probe every agent's model now, at once; in agent order."""
    agents = [models.draft_tasks, models.propose_staffing]
    agents += [m for m in (models.draft_onboarding_plan, models.verify_certification_renewal) if m is not None]
    return list(await asyncio.gather(*(probe(model) for model in agents)))


async def keep_probing(models: AgentModels, pool: asyncpg.Pool[Any], worker: str,
                       every: float = PROBE_EVERY_SECONDS) -> None:
    """Probe every agent's model now and then every ``every`` seconds, saving each result as ``worker``'s.

    Runs until cancelled; a failure (database away, a bug) is logged and the next round comes as usual. A model
    that stops answering is logged once as a warning, and once more when it answers again.
    """
    answering: dict[str, bool] = {}
    while True:
        try:
            results = await probe_all(models)
            async with pool.acquire() as conn:
                for health in results:
                    await model_health.save(conn, worker, health)
            for health in results:
                if not health.ok and answering.get(health.agent, True):
                    log.warning("the %s model %s does not answer: %s", health.agent, health.description,
                                health.detail)
                elif health.ok and answering.get(health.agent) is False:
                    log.warning("the %s model %s answers again: %s", health.agent, health.description,
                                health.detail)
                answering[health.agent] = health.ok
        except Exception:
            log.exception("probing the models failed; trying again in %g s", every)
        await asyncio.sleep(every)
