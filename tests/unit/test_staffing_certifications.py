"""Certifications in a staffing proposal: each candidate's standing over the task's weeks, the small bonus that ranks
holders ahead when fit is close, and the check that flags a proposed person without a valid certification in words
(for the offline planner's proposal and a model's alike)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from agents.local_planner import propose_staffing
from agents.staffing_choice import StaffingChoice, TaskChoice, choice_prompt, proposal_from_choice
from infra.store.certifications import Certification, Period
from infra.store.plans import GoalPlan, PlannedTask
from infra.store.staffing import Candidate, RequiredCertification
from policies.certification_cadence import WindowStanding
from policies.staffing_certifications import (
    CERTIFICATION_BONUS,
    grouped,
    standing_of,
    task_days,
    with_certifications,
)
from policies.staffing_checks import check_proposal, flag_certifications

TODAY = date(2027, 1, 4)
START, END = task_days(TODAY, 2, 8)  # weeks 2-8: 18 Jan - 28 Feb 2027
PCI = RequiredCertification(type_id="pci-dss-awareness", name="PCI DSS Security Awareness", set_by="grounding",
                            reason="the task mentions “PCI DSS”")


def cert(employee_id: str, expires_on: date | None, *, lead: int = 14, grace: int = 30,
         revoked_on: date | None = None) -> Certification:
    period = Period(period=1, type_version=1, issued_on=date(2026, 1, 1), expires_on=expires_on, grace_days=grace,
                    evidence_kind="demo", evidence_ref=None, confirmed_by=None, recorded_at=datetime.now(UTC))
    return Certification(certification_id=f"cert-{employee_id}-{PCI.type_id}", employee_id=employee_id,
                         employee_name=employee_id, department=None, manager_id=None, type_id=PCI.type_id,
                         name=PCI.name, issuer="Northwind Bank", renewal_lead_days=lead, credential_id=None,
                         revoked_on=revoked_on, revoked_reason=None, periods=[period])


def test_task_days_are_its_first_and_last_day() -> None:
    assert task_days(TODAY, 2, 8) == (date(2027, 1, 18), date(2027, 2, 28))


@pytest.mark.parametrize(("held", "standing", "words"), [
    (cert("E1", None), "valid_through", "valid through the task (never expires)"),
    (cert("E1", date(2027, 3, 1)), "valid_through", "valid through the task (expires 1 Mar 2027)"),
    # expires on the task's last day: not through it
    (cert("E1", date(2027, 2, 28)), "renew_in_time",
     "expires during the task; can renew in time (expires 28 Feb 2027)"),
    (cert("E1", date(2027, 1, 25), lead=60), "lapses_during", "lapses during the task (expires 25 Jan 2027)"),
    (cert("E1", date(2026, 11, 1), grace=30), "expired", "expired on 1 Nov 2026"),
    (cert("E1", date(2028, 1, 1), revoked_on=date(2026, 12, 1)), "missing", "revoked on 1 Dec 2026"),
    (None, "missing", "not held"),
])
def test_the_standing_of_each_kind_of_certification(held: Certification | None, standing: WindowStanding,
                                                    words: str) -> None:
    found = standing_of(held, PCI, today=TODAY, start=START, end=END)
    assert (found.standing, found.words) == (standing, words)
    assert found.type_id == PCI.type_id and found.name == PCI.name


def person(eid: str, score: float, *, free: float = 1.0, fraction: float = 0.5) -> Candidate:
    return Candidate(employee_id=eid, name=f"Person {eid}", title="Analyst", department="PAY", score=score,
                     fraction=fraction, reason=f"because {eid} did it", evidence=["free capacity: 100%"],
                     free_fraction=free)


FOUND = [person("E1", 0.70), person("E2", 0.66), person("E3", 0.62), person("E4", 0.55)]
HELD = {("E3", PCI.type_id): cert("E3", date(2028, 1, 1)), ("E4", PCI.type_id): cert("E4", date(2027, 2, 10))}


def test_holders_valid_through_move_ahead_when_fit_is_close_and_only_then() -> None:
    ranked = with_certifications(FOUND, [PCI], HELD, today=TODAY, start=START, end=END, limit=3)
    # E3 (0.62 + 0.05) passes E2 (0.66), not E1 (0.70); E4 can renew in time: half the bonus, still last; cut to 3
    assert [(c.employee_id, c.score) for c in ranked] == [("E1", 0.70), ("E3", 0.67), ("E2", 0.66)]
    by_id = {c.employee_id: c for c in ranked}
    assert [s.standing for s in by_id["E3"].certifications] == ["valid_through"]
    assert [s.standing for s in by_id["E1"].certifications] == ["missing"]
    assert "certification PCI DSS Security Awareness: valid through the task (expires 1 Jan 2028)" in \
        by_id["E3"].evidence
    assert f"score +{CERTIFICATION_BONUS:.3f} for holding the certification the task needs" in by_id["E3"].evidence
    assert "certification PCI DSS Security Awareness: not held" in by_id["E1"].evidence
    assert by_id["E1"].evidence[0] == "free capacity: 100%", "the matcher's evidence stays first"
    renewing = with_certifications(FOUND, [PCI], HELD, today=TODAY, start=START, end=END, limit=4)[-1]
    assert (renewing.employee_id, renewing.score) == ("E4", 0.575)


def test_the_best_holder_is_kept_below_the_cut_when_none_above_holds_it() -> None:
    held = {("E4", PCI.type_id): cert("E4", date(2028, 1, 1))}
    ranked = with_certifications(FOUND, [PCI], held, today=TODAY, start=START, end=END, limit=2)
    assert [(c.employee_id, c.score) for c in ranked] == [("E1", 0.70), ("E2", 0.66), ("E4", 0.60)]


def test_no_requirement_leaves_the_matchers_list_as_it_is() -> None:
    assert with_certifications(FOUND, [], HELD, today=TODAY, start=START, end=END, limit=2) == FOUND[:2]


def test_candidates_grouped_by_standing_best_first() -> None:
    ranked = with_certifications(FOUND, [PCI], HELD, today=TODAY, start=START, end=END, limit=4)
    groups = grouped(ranked, PCI.type_id)
    assert {s: [c.employee_id for c in people] for s, people in groups.items()} == {
        "valid_through": ["E3"], "renew_in_time": ["E4"], "missing": ["E1", "E2"]}


PLAN = GoalPlan(summary="PCI", deadline_weeks=8, tasks=[
    PlannedTask(task_id="T1", title="Scope the card-payments platform for the PCI DSS audit",
                description="Set out the rules.", skills=["Auditing software"], effort_hours=120, start_week=2,
                end_week=8),
    PlannedTask(task_id="T2", title="Build the report", description="Build it.", skills=["SQL"], effort_hours=40,
                start_week=0, end_week=4)])


def found_for(people: list[Candidate]) -> dict[str, list[Candidate]]:
    return {"T1": with_certifications(people, [PCI], HELD, today=TODAY, start=START, end=END, limit=8),
            "T2": [person("E9", 0.8)]}


def test_the_offline_planner_proposes_the_close_holder_and_nothing_is_flagged() -> None:
    found = found_for(FOUND[1:])  # E2 0.66 without it, E3 0.62 with it
    proposal = flag_certifications(propose_staffing(PLAN, found), PLAN, {"T1": [PCI]})
    t1, t2 = proposal.tasks
    assert t1.candidates[0].employee_id == "E3" and t1.flags == [] and t1.required_certifications == [PCI]
    assert t2.required_certifications == [] and t2.flags == []
    assert check_proposal(proposal, PLAN, found) == []
    assert "Certifications" not in proposal.explanation


def test_a_proposed_non_holder_is_flagged_in_words_naming_who_holds_it() -> None:
    found = found_for(FOUND)  # E1 0.70 without it stays first
    proposal = flag_certifications(propose_staffing(PLAN, found), PLAN, {"T1": [PCI]})
    t1 = proposal.tasks[0]
    assert t1.candidates[0].employee_id == "E1"
    assert t1.flags == [
        "T1 “Scope the card-payments platform for the PCI DSS audit” needs PCI DSS Security Awareness (the task "
        "mentions “PCI DSS”), weeks 2–8: Person E1 does not hold PCI DSS Security Awareness. Valid through it among "
        "the other candidates: Person E3."]
    assert proposal.explanation.endswith("the person proposed for T1 does not hold a certification the task needs "
                                         "valid through its weeks (see the flags on the task).")


def test_a_model_choosing_a_renewer_is_flagged_the_same_way() -> None:
    found = found_for(FOUND)
    assert "needs the certifications: PCI DSS Security Awareness" in choice_prompt(PLAN, found)
    assert "E4: Person E4, Analyst; score 0.57; needs 50% of their time, 100% free; PCI DSS Security Awareness: " \
        "expires during the task; can renew in time (expires 10 Feb 2027)" in choice_prompt(PLAN, found)
    choice = StaffingChoice(tasks=[TaskChoice(task_id="T1", employee_ids=["E4", "E3"], why="E4 knows the platform"),
                                   TaskChoice(task_id="T2", employee_ids=["E9"])])
    proposal = flag_certifications(proposal_from_choice(choice, found), PLAN, {"T1": [PCI]})
    assert check_proposal(proposal, PLAN, found) == []
    assert proposal.tasks[0].flags == [
        "T1 “Scope the card-payments platform for the PCI DSS audit” needs PCI DSS Security Awareness (the task "
        "mentions “PCI DSS”), weeks 2–8: Person E4's PCI DSS Security Awareness expires on 10 Feb 2027, during the "
        "task; a renewal started now can land in time: ask them to renew before relying on it. Valid through it "
        "among the other candidates: Person E3."]


def test_a_holder_the_proposal_left_out_is_added_for_the_reviewer() -> None:
    people = [person(f"E{n}", 0.9 - n / 100) for n in range(1, 7)] + [person("E7", 0.5)]
    held = {("E7", PCI.type_id): cert("E7", None)}
    found = {"T1": with_certifications(people, [PCI], held, today=TODAY, start=START, end=END, limit=8), "T2": []}
    offline = propose_staffing(PLAN, found)
    assert "E7" not in [c.employee_id for c in offline.tasks[0].candidates], "the offline planner shows five"
    proposal = flag_certifications(offline, PLAN, {"T1": [PCI]}, found)
    assert [c.employee_id for c in proposal.tasks[0].candidates][-1] == "E7"
    assert check_proposal(proposal, PLAN, found) == []
    assert proposal.tasks[0].flags[0].endswith(
        "Person E1 does not hold PCI DSS Security Awareness. Valid through it among the other candidates: Person E7 "
        "(added to the candidates: ranked lower on fit).")


def test_nobody_valid_is_said_too() -> None:
    lapsing = {("E1", PCI.type_id): cert("E1", START + timedelta(days=3), lead=60)}
    found = {"T1": with_certifications([person("E1", 0.7), person("E2", 0.6)], [PCI], lapsing, today=TODAY,
                                       start=START, end=END, limit=8), "T2": []}
    proposal = flag_certifications(propose_staffing(PLAN, found), PLAN, {"T1": [PCI]})
    assert proposal.tasks[0].flags[0].endswith(
        "Person E1's PCI DSS Security Awareness expires on 21 Jan 2027, during the task, too soon to renew in time. "
        "Nobody the matcher found with free time holds it valid through the task.")


def test_old_proposals_without_the_fields_still_load() -> None:
    from infra.store.staffing import StaffingProposal
    old = {"explanation": "x", "tasks": [{"task_id": "T1", "candidates": [
        {"employee_id": "E1", "name": "A", "title": "B", "department": "C", "score": 0.5, "fraction": 0.5,
         "reason": "because"}]}]}
    loaded = StaffingProposal.model_validate(old)
    assert loaded.tasks[0].flags == [] and loaded.tasks[0].candidates[0].certifications == []
