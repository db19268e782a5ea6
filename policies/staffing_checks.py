"""The product's checks on a staffing proposal, whoever made it (the offline planner or a model).

A proposal passes when every task of the plan is answered once, every person proposed is one the matcher found
for that task with the matcher's own numbers (score, fraction, free time), and the people proposed first fit
their free time week by week once their other proposed tasks are counted.
"""

from __future__ import annotations

import re
from collections import defaultdict

from infra.store.plans import GoalPlan
from infra.store.staffing import Candidate, StaffingProposal

_TOLERANCE = 1e-9


def free_fraction(candidate: Candidate) -> float:
    """Share of the candidate's time free in the task's window, as the matcher found it."""
    if candidate.free_fraction is not None:
        return candidate.free_fraction
    for line in candidate.evidence:  # proposals recorded before the matcher kept the figure
        found = re.match(r"free capacity: (\d+)%", line)
        if found:
            return int(found.group(1)) / 100
    return 1.0


def peak_load(bookings: list[tuple[int, int, float]], start: int, end: int) -> float:
    """Highest share of time already booked in any single week of ``[start, end)``."""
    return max((sum(f for s, e, f in bookings if s <= week < e) for week in range(start, end)), default=0.0)


def check_proposal(proposal: StaffingProposal, plan: GoalPlan, found: dict[str, list[Candidate]]) -> list[str]:
    """What is wrong with ``proposal`` against the plan and the matcher's results, one sentence each."""
    problems: list[str] = []
    tasks = {t.task_id: t for t in plan.tasks}
    seen: set[str] = set()
    booked: dict[str, list[tuple[int, int, float]]] = defaultdict(list)
    for staffing in proposal.tasks:
        task = tasks.get(staffing.task_id)
        if task is None:
            problems.append(f"{staffing.task_id} is not a task of the plan (its tasks: {', '.join(tasks)})")
            continue
        if staffing.task_id in seen:
            problems.append(f"{staffing.task_id} is answered twice")
            continue
        seen.add(staffing.task_id)
        matched = {c.employee_id: c for c in found.get(staffing.task_id, [])}
        for candidate in staffing.candidates:
            original = matched.get(candidate.employee_id)
            if original is None:
                problems.append(f"{candidate.employee_id} is not among the people found for {staffing.task_id}")
            elif (candidate.score, candidate.fraction) != (original.score, original.fraction):
                problems.append(f"{candidate.employee_id} on {staffing.task_id} carries numbers the matcher did not "
                                "give")
        if not staffing.candidates or staffing.candidates[0].employee_id not in matched:
            continue
        first = matched[staffing.candidates[0].employee_id]
        already = peak_load(booked[first.employee_id], task.start_week, task.end_week)
        if already + first.fraction > free_fraction(first) + _TOLERANCE:
            problems.append(
                f"{first.employee_id} has {round(free_fraction(first) * 100)}% of their time free in weeks "
                f"{task.start_week}-{task.end_week}; {staffing.task_id} needs {round(first.fraction * 100)}% on top "
                f"of {round(already * 100)}% proposed for other tasks then")
        booked[first.employee_id].append((task.start_week, task.end_week, first.fraction))
    missing = [t for t in tasks if t not in seen]
    if missing:
        problems.append(f"no answer for {', '.join(missing)} (answer every task; leave the list empty when nobody "
                        "fits)")
    return problems
