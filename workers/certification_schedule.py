"""The daily reconciliation's activity and its Temporal Schedule."""

from __future__ import annotations

import logging
from datetime import timedelta

from temporalio import activity
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleSpec,
)
from temporalio.service import RPCError

from infra.runtime import get_pool
from infra.settings import Settings, get_settings
from workflows.certification_messages import RECONCILE_SCHEDULE, RECONCILE_WORKFLOW
from workflows.usecases.certifications import Reconciled, reconcile
from workflows.usecases.context import Services


@activity.defn
async def reconcile_certifications() -> Reconciled:
    """Compare the registry with the running cadence workflows and repair the difference."""
    activity.heartbeat("reconciling")
    return await reconcile(Services(pool=get_pool(), client=activity.client(), settings=get_settings()),
                           progress=activity.heartbeat)


async def ensure_reconcile_schedule(client: Client, settings: Settings) -> bool:
    """Create the daily schedule (first run at once) unless it exists or the settings turn it off; True when it was
    created now. A server that cannot schedule is said, not fatal: the cadences still run on their timers."""
    if not settings.certification_reconcile:
        return False
    try:
        await client.create_schedule(
            RECONCILE_SCHEDULE,
            Schedule(action=ScheduleActionStartWorkflow(RECONCILE_WORKFLOW, id=f"{RECONCILE_SCHEDULE}-run",
                                                        task_queue=settings.task_queue),
                     spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(days=1))])),
            trigger_immediately=True)
    except ScheduleAlreadyRunningError:
        return False
    except RPCError as err:
        logging.getLogger(__name__).warning(
            "the daily certification reconciliation could not be scheduled (%s); certifications imported from now "
            "on still start their reminders", err.message)
        return False
    return True
