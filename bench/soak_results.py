"""Soak, the results of one worker count (:class:`Phase`) and the percentiles of its intervals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from soak_api import Traffic
from soak_bare import BareRun
from soak_checks import DatabaseFindings
from soak_drive import GoalRun


def percentile(values: Sequence[float], share: float) -> float | None:
    """The ``share`` quantile (0-1) with linear interpolation between ranks; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = share * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def seconds(value: float | None) -> str:
    """``1.23 s`` or ``–``."""
    return "–" if value is None else f"{value:.2f} s"


def ratio(numerator: float | None, denominator: float | None) -> str:
    """``3.4×`` or ``–``."""
    if numerator is None or not denominator:
        return "–"
    return f"{numerator / denominator:.1f}×"


@dataclass(frozen=True)
class Summary:
    """p50 / p95 / max of one interval."""

    n: int
    """Sample size."""
    p50: float | None
    """Median, None without values."""
    p95: float | None
    """95th percentile, None without values."""
    max: float | None
    """Largest value, None without values."""

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        """Summarise a sample."""
        return cls(len(values), percentile(values, 0.5), percentile(values, 0.95), max(values) if values else None)

    def cells(self) -> str:
        """Markdown cells: n | p50 | p95 | max."""
        return f"{self.n} | {seconds(self.p50)} | {seconds(self.p95)} | {seconds(self.max)}"


@dataclass
class Phase:
    """Everything measured with one worker count."""

    workers: int
    """Worker processes: ``up`` and the extra ones."""
    goals: list[GoalRun]
    """Every goal driven."""
    wall: float
    """Seconds from the first submission to the last goal settled."""
    bare: list[BareRun]
    """Every bare workflow run."""
    bare_wall: float
    """Seconds the bare workflows took in all."""
    traffic: Traffic
    """Requests the bench sent while driving the goals."""
    database: DatabaseFindings
    """What the database said afterwards."""
    audit_verify: str
    """Exit code and last line of ``talentops audit verify``."""
    stderr: dict[str, Counter[str]]
    """Per child: error-looking stderr lines (normalised) and how often each came."""
    activity_failures: dict[str, Counter[str]]
    """Per child: ``activity → exception`` the SDK logged, and how often."""
    reconcile: str
    """How the first certification reconcile went before the goals."""
    exit_codes: dict[str, int | None]
    """Per child: its exit code after the stop."""
    cpu: dict[str, float]
    """CPU seconds of the installation's processes while the goals ran, by command."""
    bench_cpu: float
    """CPU seconds of this process meanwhile."""
    load: tuple[float, float]
    """The 1-minute load average before and after the goals."""
    startup: float
    """Seconds until the installation was ready (``up``, extra workers, reconcile settled)."""
    leftovers: int
    """Processes still naming the data folder after the stop (then killed)."""
    variant: str = ""
    """Label of the product settings this phase ran with (``--variant``), empty for the plain run."""

    @property
    def name(self) -> str:
        """``2`` or ``2, 4 slots``: the worker count and the variant, for tables and headings."""
        return f"{self.workers}, {self.variant}" if self.variant else str(self.workers)

@dataclass(frozen=True)
class Intervals:
    """The per-goal and bare intervals of a phase."""

    submit_to_review: Summary
    """Submit -> first review open."""
    plan_to_resumed: Summary
    """Plan decision -> the workflow left ``awaiting_plan_review``."""
    plan_to_staffing_review: Summary
    """Plan decision -> staffing review open."""
    staffing_to_staffed: Summary
    """Staffing approved (or edited) -> ``staffed``."""
    decision_request: Summary
    """The decision request itself, every decision."""
    submit_to_final: Summary
    """Submit -> final status."""
    bare_start_to_ready: Summary
    """Bare: start -> first activity done."""
    bare_update_to_done: Summary
    """Bare: update -> second activity done."""

    @classmethod
    def of(cls, phase: Phase) -> Intervals:
        """Compute them from the runs."""
        goals = phase.goals

        def gaps(pairs: Iterator[tuple[float | None, float | None]]) -> Summary:
            return Summary.of([b - a for a, b in pairs if a is not None and b is not None])

        plans = [r.first("plan") for r in goals]
        staffing = [d for r in goals for d in r.decisions
                    if d.kind == "staffing" and d.decision in ("approve", "edit") and d.resumed_to == "staffed"]
        return cls(
            submit_to_review=gaps((r.submitted_at, r.first_review_at) for r in goals),
            plan_to_resumed=gaps((d.sent_at, d.resumed_at) for d in plans if d is not None),
            plan_to_staffing_review=gaps((d.sent_at, r.staffing_review_at)
                                         for r, d in zip(goals, plans, strict=True) if d is not None),
            staffing_to_staffed=gaps((d.sent_at, d.resumed_at) for d in staffing),
            decision_request=gaps((d.sent_at, d.returned_at) for r in goals for d in r.decisions),
            submit_to_final=gaps((r.submitted_at, r.final_at) for r in goals),
            bare_start_to_ready=gaps((b.started_at, b.ready_at) for b in phase.bare),
            bare_update_to_done=gaps((b.update_at, b.done_at) for b in phase.bare))



def state_counts(phase: Phase) -> Counter[str]:
    """Goals per final state or outcome."""
    return Counter(r.final_status if r.outcome == "final" and r.final_status else r.outcome for r in phase.goals)

