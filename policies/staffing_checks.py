"""The product's checks on a staffing proposal, whoever made it (the offline planner or a model).

A proposal passes when every task of the plan is answered once, every person proposed is one the matcher found
for that task with the matcher's own numbers (score, fraction, free time), and the people proposed first fit
their free time week by week once their other proposed tasks are counted.

Certifications do not fail a proposal: a task may need a certification nobody free holds. Instead
:func:`flag_certifications` writes, per task, what the reviewer must know in words: the person proposed does not
hold a certification the task needs valid through its weeks, and who among the candidates does (the best holder the
matcher found is added to the candidates when none of them holds it).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence

from infra.store.plans import GoalPlan, PlannedTask
from infra.store.staffing import Candidate, CertificationStanding, RequiredCertification, StaffingProposal
from policies.staffing_certifications import best_holders, valid_through

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


def _names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _why_not(person: str, standing: CertificationStanding) -> str:
    """Why a standing is not enough, in a clause about ``person``."""
    expires = standing.expires_on
    on = f" on {expires.day} {expires:%b %Y}" if expires else ""
    match standing.standing:
        case "renew_in_time":
            return (f"{person}'s {standing.name} expires{on}, during the task; a renewal started now can land in "
                    "time: ask them to renew before relying on it")
        case "lapses_during":
            return f"{person}'s {standing.name} expires{on}, during the task, too soon to renew in time"
        case "expired":
            return f"{person}'s {standing.name} expired{on}"
        case _:
            revoked = f" (it was {standing.words})" if standing.words.startswith("revoked") else ""
            return f"{person} does not hold {standing.name}{revoked}"


def certification_flags(task: PlannedTask, candidates: Sequence[Candidate],
                        required: Sequence[RequiredCertification], *, added: Sequence[str] = ()) -> list[str]:
    """What to tell the reviewer about the person proposed first for ``task`` (``candidates[0]``) and the
    certifications it needs: one sentence per type they do not hold valid through the task's weeks, naming the
    candidates who do (``added``: ids of those added to the list for it, ranked lower on fit)."""
    if not candidates or not required:
        return []
    first = candidates[0]
    flags = []
    for need in required:
        standing = next((s for s in first.certifications if s.type_id == need.type_id), None) or \
            CertificationStanding(type_id=need.type_id, name=need.name, standing="missing", words="not held")
        if standing.standing == "valid_through":
            continue
        holders = [c.name + (" (added to the candidates: ranked lower on fit)" if c.employee_id in added else "")
                   for c in candidates[1:] if valid_through(c, need.type_id)]
        others = (f" Valid through it among the other candidates: {_names(holders)}." if holders else
                  " Nobody the matcher found with free time holds it valid through the task.")
        flags.append(f"{task.task_id} “{task.title}” needs {need.name} ({need.reason}), weeks {task.start_week}–"
                     f"{task.end_week}: {_why_not(first.name, standing)}.{others}")
    return flags


def flag_certifications(proposal: StaffingProposal, plan: GoalPlan,
                        required: Mapping[str, Sequence[RequiredCertification]],
                        found: Mapping[str, Sequence[Candidate]] | None = None) -> StaffingProposal:
    """``proposal`` with each task's required certifications and :func:`certification_flags` written on it, and a
    sentence added to its explanation when anything is flagged (the offline planner's and a model's proposals go
    through this alike).

    For a type none of a task's candidates holds valid through it, the best holder among the matcher's people for
    the task (``found``) is added at the end of its candidates, so the reviewer sees them and can swap to them.
    """
    tasks = {t.task_id: t for t in plan.tasks}
    staffed = []
    flagged: list[str] = []
    for staffing in proposal.tasks:
        needs = list(required.get(staffing.task_id, ()))
        task = tasks.get(staffing.task_id)
        candidates = list(staffing.candidates)
        added: list[str] = []
        if needs and candidates and found is not None:
            shown = {c.employee_id for c in candidates}
            more = best_holders([c for c in found.get(staffing.task_id, ()) if c.employee_id not in shown], needs,
                                among=candidates)
            candidates += more
            added = [c.employee_id for c in more]
        flags = certification_flags(task, candidates, needs, added=added) if task is not None else []
        if flags:
            flagged.append(staffing.task_id)
        staffed.append(staffing.model_copy(update={"candidates": candidates, "required_certifications": needs,
                                                   "flags": flags}))
    explanation = proposal.explanation
    if flagged:
        explanation += (f" Certifications: the person proposed for {', '.join(flagged)} does not hold a certification "
                        "the task needs valid through its weeks (see the flags on the task).")
    return proposal.model_copy(update={"tasks": staffed, "explanation": explanation})
