"""How many activities a worker runs at once: a fixed number of slots, or slots given out while the machine's CPU
has room (Temporal's resource-based slot supplier).

Why it matters: an activity's start-to-close timeout starts when the worker takes it, not when it gets the CPU.
With more slots than the machine can serve, taken activities wait inside the worker for a thread and the CPU while
their timeouts run; with fewer, the rest waits in Temporal's task queue, where no timeout runs and any other worker
on the queue can take it.

Measured (``bench/results/worker_slots.md``): on 2 cores with 40 goals in flight on one worker, no activity timed
out with 100 slots, and 8 slots or a 0.8 CPU target were 24-43% slower (most activities wait on Postgres and
Temporal, not the CPU), so the default stays the SDK's. The settings are for activities that are CPU-heavy per slot.
"""

from __future__ import annotations

from temporalio.worker import (
    FixedSizeSlotSupplier,
    ResourceBasedSlotConfig,
    ResourceBasedSlotSupplier,
    ResourceBasedTunerConfig,
    WorkerTuner,
)

from infra.settings import Settings

SDK_DEFAULT_SLOTS = 100
"""The Temporal SDK's slots per kind of task when nothing is set."""
TARGET_MEMORY = 0.9
"""Share of the machine's memory above which the resource-based supplier gives no more slots."""


def worker_tuner(settings: Settings) -> WorkerTuner:
    """The slot suppliers of a worker: workflow tasks always fixed (they are short and never wait on the CPU for
    long), activities fixed at ``worker_activity_slots`` or, when ``worker_target_cpu`` is set, given out while the
    machine's CPU use is under it (at least one, at most ``worker_activity_slots``)."""
    most = settings.worker_activity_slots or SDK_DEFAULT_SLOTS
    activities: FixedSizeSlotSupplier | ResourceBasedSlotSupplier
    if settings.worker_target_cpu is None:
        activities = FixedSizeSlotSupplier(most)
    else:
        activities = ResourceBasedSlotSupplier(
            ResourceBasedSlotConfig(minimum_slots=1, maximum_slots=most),
            ResourceBasedTunerConfig(target_memory_usage=TARGET_MEMORY, target_cpu_usage=settings.worker_target_cpu))
    fixed = FixedSizeSlotSupplier(SDK_DEFAULT_SLOTS)
    return WorkerTuner.create_composite(workflow_supplier=fixed, activity_supplier=activities,
                                        local_activity_supplier=fixed, nexus_supplier=fixed)
