"""The daily reconciliation of the certification registry with the cadence workflows (run by a Temporal Schedule).

Timers, not polling: each period's workflow sleeps until its next reminder. This workflow only repairs drift: a
certification imported or edited while no worker ran, a period whose workflow was lost, an earlier period still
running after a later one was recorded.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.certification_messages import RECONCILE_WORKFLOW
    from workflows.usecases.certifications import Reconciled


@workflow.defn(name=RECONCILE_WORKFLOW)
class CertificationReconcileWorkflow:
    """One reconciliation: a single activity that compares and repairs."""

    @workflow.run
    async def run(self) -> Reconciled:
        """Reconcile; what it did."""
        done: Reconciled = await workflow.execute_activity(
            "reconcile_certifications", result_type=Reconciled, start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=timedelta(minutes=2), retry_policy=RetryPolicy(maximum_attempts=3))
        return done
