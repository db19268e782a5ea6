"""A worker runs at most ``worker_activity_slots`` activities at once, on a real Temporal dev server; the rest
waits in Temporal's task queue. With ``worker_target_cpu`` the slots follow the machine's CPU use, still bounded."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from pydantic import ValidationError
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

from infra.settings import Settings
from workers.slots import worker_tuner

pytestmark = pytest.mark.integration

ACTIVITIES = 6
"""Activities the workflow starts at once."""


class Overlap:
    """How many activities run at the same moment, and the most seen."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Nothing running, nothing seen."""
        self.now = 0
        self.most = 0


OVERLAP = Overlap()


@activity.defn
async def hold_a_slot(seconds: float) -> None:
    """Occupy a slot for ``seconds``, counting the overlap."""
    OVERLAP.now += 1
    OVERLAP.most = max(OVERLAP.most, OVERLAP.now)
    try:
        await asyncio.sleep(seconds)
    finally:
        OVERLAP.now -= 1


@workflow.defn(sandboxed=False)
class ManyAtOnce:
    """Starts ``ACTIVITIES`` activities together and waits for all of them."""

    @workflow.run
    async def run(self, seconds: float) -> int:
        """The number of activities completed."""
        await asyncio.gather(*(workflow.execute_activity(hold_a_slot, seconds,
                                                         start_to_close_timeout=timedelta(seconds=30))
                               for _ in range(ACTIVITIES)))
        return ACTIVITIES


async def most_at_once(client: Client, settings: Settings) -> int:
    """Run the workflow on a worker tuned by ``settings``; the most activities it ran at once."""
    OVERLAP.reset()
    queue = f"slots-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[ManyAtOnce], activities=[hold_a_slot],
                      tuner=worker_tuner(settings)):
        done = await client.execute_workflow(ManyAtOnce.run, 0.4, id=f"slots-{uuid.uuid4().hex}", task_queue=queue,
                                             execution_timeout=timedelta(seconds=60))
    assert done == ACTIVITIES
    return OVERLAP.most


async def test_unset_runs_them_all_at_once(client: Client) -> None:
    assert await most_at_once(client, Settings()) == ACTIVITIES


async def test_fixed_slots_bound_what_runs_at_once(client: Client) -> None:
    assert await most_at_once(client, Settings(worker_activity_slots=2)) == 2


async def test_cpu_target_gives_slots_within_the_bound(client: Client) -> None:
    most = await most_at_once(client, Settings(worker_activity_slots=3, worker_target_cpu=0.95))
    assert 1 <= most <= 3


@pytest.mark.parametrize("fields", [{"worker_activity_slots": 0}, {"worker_target_cpu": 1.0},
                                    {"worker_target_cpu": 0}])
def test_settings_refuse_what_cannot_work(fields: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Settings.model_validate(fields)
