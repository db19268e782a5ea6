"""The handles every use case needs: Postgres, Temporal and the settings in force."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
from temporalio.client import Client

from infra.settings import Settings
from workflows.usecases.errors import ServiceError


@dataclass(kw_only=True)
class Services:
    """The handles every operation needs."""

    pool: asyncpg.Pool[Any]
    """Postgres."""
    client: Client | None
    """Temporal (None for read-only use)."""
    settings: Settings
    """Settings in force."""

    def temporal(self) -> Client:
        """The Temporal client; fails with a clear message when there is none."""
        if self.client is None:
            raise ServiceError("Temporal is not reachable; start talentops with `talentops up`")
        return self.client
