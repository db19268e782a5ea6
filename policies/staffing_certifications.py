"""Certifications in staffing: how each candidate's certifications cover a task's weeks, and the small nudge that
ranks holders ahead of others when fit is otherwise close. Pure functions over records (the staffing activity reads
the records; the checks in :mod:`policies.staffing_checks` flag a proposal from what these attach).

For a task that needs certification types, every candidate gets one :class:`CertificationStanding` per type
(:func:`policies.certification_cadence.window_standing` over the task's first and last day), an evidence line per
type, and a bonus on their score of :data:`CERTIFICATION_BONUS` times their share of the types held valid through
the task (half for one that expires during it but can be renewed in time). The bonus is small on purpose: it
reorders people whose fit is within a few hundredths, it never lifts a poor fit over a good one; whoever is proposed
without a valid certification is flagged to the reviewer in words, not hidden.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from infra.store.certifications import Certification
from infra.store.staffing import Candidate, CertificationStanding, RequiredCertification
from policies.certification_cadence import WINDOW_WORDS, WindowStanding, window_standing

CERTIFICATION_BONUS = 0.05
"""Most a task's certifications add to a candidate's score (all of them held valid through the task)."""
CREDIT: Mapping[WindowStanding, float] = {"valid_through": 1.0, "renew_in_time": 0.5}
"""Share of the bonus per standing (none for a certification that lapses during the task, expired or not held)."""
STANDING_ORDER: tuple[WindowStanding, ...] = ("valid_through", "renew_in_time", "lapses_during", "expired", "missing")
"""Standings from best to worst (the review page groups candidates in this order)."""


def task_days(goal_starts_on: date, start_week: int, end_week: int) -> tuple[date, date]:
    """The first and last day of weeks ``[start_week, end_week)`` of a goal that starts on ``goal_starts_on``."""
    return (goal_starts_on + timedelta(weeks=start_week),
            goal_starts_on + timedelta(weeks=end_week) - timedelta(days=1))


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def standing_of(cert: Certification | None, required: RequiredCertification, *, today: date, start: date,
                end: date) -> CertificationStanding:
    """How ``cert`` (None: not held) covers a task running from ``start`` to ``end`` (both days included)."""
    if cert is None:
        return CertificationStanding(type_id=required.type_id, name=required.name, standing="missing",
                                     words=WINDOW_WORDS["missing"])
    period = cert.current
    revoked = cert.revoked_on is not None and cert.revoked_on <= end
    standing = window_standing(today=today, start=start, end=end, expires_on=period.expires_on,
                               grace_days=period.grace_days, renewal_lead_days=cert.renewal_lead_days, held=True,
                               revoked=revoked)
    if revoked:
        assert cert.revoked_on is not None
        words = f"revoked on {_day(cert.revoked_on)}"
    elif period.expires_on is None:
        words = f"{WINDOW_WORDS[standing]} (never expires)"
    elif standing == "expired":
        words = f"expired on {_day(period.expires_on)}"
    else:
        words = f"{WINDOW_WORDS[standing]} (expires {_day(period.expires_on)})"
    return CertificationStanding(type_id=required.type_id, name=required.name, standing=standing,
                                 expires_on=None if revoked else period.expires_on, words=words)


def certification_credit(standings: Sequence[CertificationStanding]) -> float:
    """Share of the bonus a candidate earns: the mean credit of their standings (0 when there are none)."""
    if not standings:
        return 0.0
    return sum(CREDIT.get(s.standing, 0.0) for s in standings) / len(standings)


def with_certifications(candidates: Sequence[Candidate], required: Sequence[RequiredCertification],
                        held: Mapping[tuple[str, str], Certification], *, today: date, start: date, end: date,
                        limit: int) -> list[Candidate]:
    """The matcher's candidates for a task that needs ``required``, each with their standings, an evidence line
    per type and the bonus on their score, best first (ties by id, as the matcher sorts): the first ``limit``, and
    after them, for a type none of those holds valid through the task, the best candidate who does.

    Args:
        candidates: The matcher's people for the task.
        required: The types the task needs (none: the candidates come back as they are, cut to ``limit``).
        held: (employee id, type id) → that person's certification of that type.
        today: The day the standing is judged on (a renewal takes the type's lead days from today).
        start: The task's first day.
        end: The task's last day.
        limit: How many to keep.
    """
    if not required:
        return list(candidates[:limit])
    annotated: list[Candidate] = []
    for c in candidates:
        standings = [standing_of(held.get((c.employee_id, r.type_id)), r, today=today, start=start, end=end)
                     for r in required]
        bonus = round(CERTIFICATION_BONUS * certification_credit(standings), 4)
        lines = [f"certification {s.name}: {s.words}" for s in standings]
        if bonus:
            lines.append(f"score +{bonus:.3f} for holding the certification{'s' if len(required) > 1 else ''} "
                         "the task needs")
        annotated.append(c.model_copy(update={
            "score": round(min(1.0, c.score + bonus), 4), "certifications": standings,
            "evidence": [*c.evidence, *lines]}))
    annotated.sort(key=lambda c: (-c.score, c.employee_id))
    kept, rest = annotated[:limit], annotated[limit:]
    return kept + [c for c in best_holders(rest, required, among=kept) if c not in kept]


def valid_through(candidate: Candidate, type_id: str) -> bool:
    """Whether the candidate holds ``type_id`` valid through the task."""
    return any(s.type_id == type_id and s.standing == "valid_through" for s in candidate.certifications)


def best_holders(candidates: Sequence[Candidate], required: Sequence[RequiredCertification], *,
                 among: Sequence[Candidate]) -> list[Candidate]:
    """For each required type nobody ``among`` holds valid through the task, the best of ``candidates`` who does
    (so the reviewer sees at least one holder when the matcher found any, even one ranked lower on fit)."""
    added: list[Candidate] = []
    for need in required:
        if any(valid_through(c, need.type_id) for c in [*among, *added]):
            continue
        holder = next((c for c in candidates if valid_through(c, need.type_id)), None)
        if holder is not None:
            added.append(holder)
    return added


def grouped(candidates: Sequence[Candidate], type_id: str) -> dict[WindowStanding, list[Candidate]]:
    """The candidates by how they stand for one type, best standing first (only standings someone has)."""
    groups: dict[WindowStanding, list[Candidate]] = {s: [] for s in STANDING_ORDER}
    for c in candidates:
        found = next((s for s in c.certifications if s.type_id == type_id), None)
        groups[found.standing if found else "missing"].append(c)
    return {s: people for s, people in groups.items() if people}
