"""The offline deterministic planner: deadlines, decomposition over O*NET, titles, capacity-safe staffing."""

from __future__ import annotations

import math
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date

import pytest

from agents.local_planner import (
    DEFAULT_DEADLINE_WEEKS,
    MAX_DEADLINE_WEEKS,
    PlanningError,
    decompose_goal,
    parse_deadline_weeks,
    propose_staffing,
    short_title,
)
from infra.store.plans import GoalPlan, PlannedTask
from infra.store.staffing import Candidate, StaffingProposal
from tools.taxonomy.task_library import Occupation, load_task_library

TODAY = date(2025, 3, 10)  # a Monday in Q1; every relative deadline below is computed from it


def weeks_until(end: date, today: date = TODAY) -> int:
    return math.ceil((end - today).days / 7)


# --- parse_deadline_weeks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, today, expected", [
    ("Launch instant payments within 6 weeks", TODAY, 6),
    ("Launch instant payments within two weeks", TODAY, 2),
    ("Ship the warehouse scanner app in 3 months", TODAY, 13),  # 3 * 52/12 = 13.0
    ("Ship the warehouse scanner app in a month", TODAY, 5),  # 52/12 = 4.33, rounded up
    ("Fix the reconciliation report in 10 days", TODAY, 2),
    ("Run the new onboarding over 1 year", TODAY, 52),
    ("Move reporting to the cloud within the next 2 quarters", TODAY, 26),
    ("Roll out the fraud dashboard by Q3", TODAY, weeks_until(date(2025, 9, 30))),
    ("Roll out the fraud dashboard by the end of Q2", TODAY, weeks_until(date(2025, 6, 30))),
    ("Roll out the fraud dashboard by Q1", TODAY, weeks_until(date(2025, 3, 31))),
    # Q1 already over on 10 April: the next Q1 is meant
    ("Roll out the fraud dashboard by Q1", date(2025, 4, 10), weeks_until(date(2026, 3, 31), date(2025, 4, 10))),
    ("Roll out the fraud dashboard by Q3 2026", TODAY, weeks_until(date(2026, 9, 30))),
    ("Consolidate warehouses by end of year", TODAY, weeks_until(date(2025, 12, 31))),
    ("Consolidate warehouses by the end of the year", TODAY, weeks_until(date(2025, 12, 31))),
    ("Consolidate warehouses by the end of the year", date(2025, 12, 31), 1),  # never less than a week
    ("Consolidate warehouses and cut shipping costs", TODAY, DEFAULT_DEADLINE_WEEKS),
    ("Migrate the ledger within 3 years", TODAY, MAX_DEADLINE_WEEKS),  # the largest allowed
])
def test_parse_deadline_weeks(text: str, today: date, expected: int) -> None:
    assert parse_deadline_weeks(text, today) == expected


def test_quarter_deadline_is_relative_to_the_given_date() -> None:
    text = "Roll out the fraud dashboard by Q3"
    assert parse_deadline_weeks(text, date(2025, 1, 6)) > parse_deadline_weeks(text, date(2025, 6, 2)) > 0


@pytest.mark.parametrize("text", [
    "Migrate the payments ledger to the cloud within 900 years",
    "Migrate the payments ledger to the cloud within 4 years",
    "Migrate the payments ledger to the cloud by Q4 2030",
])
def test_absurd_deadline_raises(text: str) -> None:
    with pytest.raises(PlanningError, match=f"more than {MAX_DEADLINE_WEEKS} weeks away"):
        parse_deadline_weeks(text, TODAY)


# --- decompose_goal ---------------------------------------------------------------------------------------------

LIBRARY = load_task_library()


def occupation(code: str | None) -> Occupation:
    assert code is not None and code in LIBRARY.occupations, f"unknown O*NET code {code}"
    return LIBRARY.occupations[code]


def text_of(task: PlannedTask) -> str:
    return " ".join([task.title, task.description, occupation(task.onet_code).title, *task.skills]).lower()


_PAYMENT_WORDS = re.compile(r"payment|transaction|financ|credit|loan|bank|account|billing|invoice|ledger|teller|cash")
_DATA_WORDS = re.compile(r"\bdata\b|analy|statist|visuali|report|model")
_LOGISTICS_CODES = ("11-3071", "13-1081", "43-5", "53-")  # distribution/supply chain managers, logisticians,
#                                                             material recording & shipping clerks, transportation
_LOGISTICS_TITLES = re.compile(r"logistic|transport|supply chain|shipping|warehouse|freight|distribution|inventory")


def is_payments_task(task: PlannedTask) -> bool:
    return bool(_PAYMENT_WORDS.search(text_of(task)))


def is_data_task(task: PlannedTask) -> bool:
    title = occupation(task.onet_code).title.lower()
    from_data_occupation = (task.onet_code or "").startswith("15-") or bool(re.search(r"statist|analyst|data", title))
    return from_data_occupation and bool(_DATA_WORDS.search(task.description.lower()))


def is_logistics_task(task: PlannedTask) -> bool:
    return (task.onet_code or "").startswith(_LOGISTICS_CODES) or bool(
        _LOGISTICS_TITLES.search(occupation(task.onet_code).title.lower()))


DOMAIN_GOALS: list[tuple[str, Callable[[PlannedTask], bool], re.Pattern[str]]] = [
    ("Launch instant payments for our customers within 8 weeks", is_payments_task, _PAYMENT_WORDS),
    ("Reduce failed card payments and speed up payment reconciliation within 10 weeks", is_payments_task,
     _PAYMENT_WORDS),
    ("Set up a data analytics team to analyze customer data and build statistical models in 4 months", is_data_task,
     re.compile(r"statist|data|analy")),
    ("Consolidate our warehouses and cut shipping costs across the logistics network by end of year",
     is_logistics_task, re.compile(r"logistic|transport|supply chain|inventory|warehouse|distribution")),
    ("Reorganise our warehouse logistics and shipping operations by Q3", is_logistics_task,
     re.compile(r"logistic|transport|supply chain|inventory|warehouse|distribution")),
]


@pytest.mark.parametrize("goal, fits_domain, domain_skill", DOMAIN_GOALS, ids=["payments", "card-payments",
                                                                              "analytics", "warehouses", "logistics"])
def test_decomposition_fits_the_goals_domain(
    goal: str, fits_domain: Callable[[PlannedTask], bool], domain_skill: re.Pattern[str]
) -> None:
    plan = decompose_goal(goal, TODAY)
    assert 3 <= len(plan.tasks) <= 8
    off_domain = [(t.title, occupation(t.onet_code).title) for t in plan.tasks if not fits_domain(t)]
    assert not off_domain, f"tasks outside the goal's domain: {off_domain}"
    # skills come from the occupation the statement belongs to, and some of them name the domain
    for task in plan.tasks:
        occ = occupation(task.onet_code)
        assert set(task.skills) <= {*occ.technologies, *occ.skills, occ.title}, task.skills
    assert any(domain_skill.search(s.lower()) for t in plan.tasks for s in t.skills)


@pytest.mark.parametrize("goal", [g for g, _, _ in DOMAIN_GOALS])
def test_plan_is_well_formed_and_fits_the_deadline(goal: str) -> None:
    plan = decompose_goal(goal, TODAY)
    assert plan.deadline_weeks == parse_deadline_weeks(goal, TODAY)
    assert [t.task_id for t in plan.tasks] == [f"T{n}" for n in range(1, len(plan.tasks) + 1)]
    for task in plan.tasks:
        assert 0 <= task.start_week < task.end_week <= plan.deadline_weeks, (task.task_id, task.start_week,
                                                                             task.end_week)
        assert task.effort_hours >= 4 and task.skills
        # the description is a real statement of the cited occupation, the title is cut from it
        statements = {s.text for s in LIBRARY.tasks if s.onet_code == task.onet_code}
        assert task.description in statements
        assert task.title == short_title(task.description)
        # nobody gets more hours than the window holds for one full-time person
        assert task.effort_hours <= (task.end_week - task.start_week) * 40
    starts = [t.start_week for t in plan.tasks]
    assert starts == sorted(starts), "tasks are listed in the order they start"
    assert len({t.description for t in plan.tasks}) == len(plan.tasks), "no task twice"
    assert max(Counter(t.onet_code for t in plan.tasks).values()) <= 2, "tasks spread over occupations"
    assert plan.summary.startswith(f"{len(plan.tasks)} tasks over {plan.deadline_weeks} weeks")


@pytest.mark.parametrize("deadline_text, weeks", [("within 1 week", 1), ("within 2 weeks", 2),
                                                  ("within 30 months", 130)])
def test_windows_stay_inside_short_and_long_deadlines(deadline_text: str, weeks: int) -> None:
    plan = decompose_goal(f"Launch instant payments for our customers {deadline_text}", TODAY)
    assert plan.deadline_weeks == weeks
    assert all(0 <= t.start_week < t.end_week <= weeks for t in plan.tasks)


def test_decomposition_is_deterministic() -> None:
    goal = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"
    first = decompose_goal(goal, TODAY)
    second = decompose_goal(goal, TODAY)
    assert first.model_dump() == second.model_dump()
    assert first.model_dump_json() == second.model_dump_json()


def test_different_goals_give_different_plans() -> None:
    plans = [decompose_goal(goal, TODAY) for goal, _, _ in DOMAIN_GOALS]
    descriptions = [frozenset(t.description for t in p.tasks) for p in plans]
    assert len(set(descriptions)) == len(plans)
    payments, _, analytics, warehouses, _ = descriptions
    assert not payments & analytics and not payments & warehouses and not analytics & warehouses
    occupations = [frozenset(t.onet_code for t in p.tasks) for p in plans]
    assert not occupations[0] & occupations[3], "payments and logistics draw on different occupations"


def test_max_tasks_is_respected() -> None:
    plan = decompose_goal("Consolidate our warehouses and cut shipping costs within 20 weeks", TODAY, max_tasks=3)
    assert len(plan.tasks) == 3


def test_unrelatable_goal_raises() -> None:
    with pytest.raises(PlanningError, match="could not relate"):
        decompose_goal("qwxz vrrbt plokj mnbvc zzxq ghjk", TODAY)


def test_absurd_deadline_stops_decomposition() -> None:
    with pytest.raises(PlanningError, match="deadline"):
        decompose_goal("Migrate the payments ledger to the cloud within 900 years", TODAY)


def test_plan_validates_as_the_agents_output_type() -> None:
    plan = decompose_goal("Launch instant payments for our customers within 8 weeks", TODAY)
    assert GoalPlan.model_validate_json(plan.model_dump_json()) == plan


# --- short_title ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("statement, title", [
    ("Reconcile records of bank transactions, using accounting software.", "Reconcile records of bank transactions"),
    ("Prepare budgets for the warehouse; review them monthly.", "Prepare budgets for the warehouse"),
    ("Maintain records of all shipments: dates, carriers and costs.", "Maintain records of all shipments"),
    ("Design dashboards for senior managers such as sales or finance heads.", "Design dashboards for senior managers"),
    ("Inspect loads of incoming freight to ensure compliance.", "Inspect loads of incoming freight"),
    ("Audit the monthly payment ledger in order to find duplicates.", "Audit the monthly payment ledger"),
    # a first clause of fewer than five words is too thin: the whole statement is used
    ("Supervise workers, including hiring and training.", "Supervise workers, including hiring and training"),
    ("Audit the payment ledger in order to find duplicates.", "Audit the payment ledger in order to find duplicates"),
    ("Compile reports.", "Compile reports"),
])
def test_short_title(statement: str, title: str) -> None:
    assert short_title(statement) == title


def test_short_title_cuts_long_statements_at_a_word_boundary() -> None:
    statement = ("Develop and maintain detailed models of the inbound and outbound freight network "
                 "across every regional distribution centre of the company")
    title = short_title(statement)
    assert title.endswith("…") and len(title) <= 81
    assert statement.startswith(title[:-1]) and statement[len(title) - 1] == " "
    assert short_title(statement, limit=30) == "Develop and maintain detailed…"


# --- propose_staffing -------------------------------------------------------------------------------------------


def task(task_id: str, start: int, end: int) -> PlannedTask:
    return PlannedTask(task_id=task_id, title=f"Task {task_id}", description=f"Work package {task_id}",
                       skills=["SQL"], effort_hours=40, start_week=start, end_week=end)


def plan_of(*tasks: PlannedTask) -> GoalPlan:
    return GoalPlan(summary="test plan", deadline_weeks=max(t.end_week for t in tasks), tasks=list(tasks))


def candidate(employee_id: str, *, score: float, fraction: float, free_pct: int | None) -> Candidate:
    evidence = [f"project note (2025-01-01): did things for {employee_id}", "skills: SQL, Python"]
    if free_pct is not None:
        evidence.append(f"free capacity: {free_pct}%")
    return Candidate(employee_id=employee_id, name=employee_id.title(), title="Analyst", department="FIN",
                     score=score, fraction=fraction, reason="because they did it before", evidence=evidence)


def proposed(proposal: StaffingProposal) -> dict[str, str | None]:
    return {t.task_id: (t.candidates[0].employee_id if t.candidates else None) for t in proposal.tasks}


def test_staffing_never_books_past_capacity_in_overlapping_windows() -> None:
    plan = plan_of(task("T1", 0, 4), task("T2", 2, 6), task("T3", 4, 8))
    candidates = {t.task_id: [candidate("bob", score=0.5, fraction=0.5, free_pct=100),
                              candidate("alice", score=0.9, fraction=0.5, free_pct=60)] for t in plan.tasks}
    proposal = propose_staffing(plan, candidates)
    # T2 overlaps T1, where alice already has 50% of her 60%; T3 starts when T1 ends, so she is free again
    assert proposed(proposal) == {"T1": "alice", "T2": "bob", "T3": "alice"}
    t2 = next(t for t in proposal.tasks if t.task_id == "T2")
    assert [c.employee_id for c in t2.candidates] == ["bob", "alice"], "the others stay listed as alternatives"
    assert "Nobody" not in proposal.explanation


def test_capacity_is_exact_at_the_boundary_and_defaults_to_full_time() -> None:
    plan = plan_of(task("T1", 0, 6), task("T2", 1, 3), task("T3", 2, 5))
    candidates = {
        "T1": [candidate("carol", score=0.9, fraction=0.3, free_pct=30)],  # exactly her free capacity
        "T2": [candidate("carol", score=0.9, fraction=0.05, free_pct=30),  # nothing left in T1's window
               candidate("dan", score=0.4, fraction=1.0, free_pct=None)],  # no capacity line: full time
        "T3": [candidate("dan", score=0.9, fraction=0.05, free_pct=None)],  # T2 took all of dan
    }
    proposal = propose_staffing(plan, candidates)
    assert proposed(proposal) == {"T1": "carol", "T2": "dan", "T3": None}


def test_task_stays_empty_when_nobody_has_time() -> None:
    plan = plan_of(task("T1", 0, 4), task("T2", 0, 4))
    candidates = {
        "T1": [candidate("erin", score=0.8, fraction=0.5, free_pct=50)],
        "T2": [candidate("erin", score=0.9, fraction=0.5, free_pct=50),
               candidate("frank", score=0.7, fraction=0.5, free_pct=10)],
    }
    proposal = propose_staffing(plan, candidates)
    assert proposed(proposal) == {"T1": "erin", "T2": None}
    t2 = next(t for t in proposal.tasks if t.task_id == "T2")
    assert t2.candidates == []
    assert "Nobody with enough free time was found for T2" in proposal.explanation


def test_task_without_candidates_is_empty_and_order_is_kept() -> None:
    plan = plan_of(task("T1", 0, 2), task("T2", 0, 2))
    proposal = propose_staffing(plan, {"T2": [candidate("gina", score=0.5, fraction=0.5, free_pct=100)]})
    assert [t.task_id for t in proposal.tasks] == ["T1", "T2"]
    assert proposed(proposal) == {"T1": None, "T2": "gina"}
    assert "T1" in proposal.explanation


def test_best_scored_candidate_with_time_is_proposed_and_ties_break_by_id() -> None:
    plan = plan_of(task("T1", 0, 4))
    people = [candidate(f"p{n}", score=s, fraction=0.2, free_pct=100) for n, s in enumerate([0.3, 0.7, 0.7, 0.5,
                                                                                              0.1, 0.2, 0.6])]
    proposal = propose_staffing(plan, {"T1": people})
    ids = [c.employee_id for c in proposal.tasks[0].candidates]
    assert ids == ["p1", "p2", "p6", "p3", "p0"], "best first, ties by id, at most five"


@pytest.mark.parametrize("seed", range(40))
def test_random_plans_never_overbook_anyone(seed: int) -> None:
    rng = random.Random(seed)
    people = {f"e{n}": rng.choice([10, 25, 40, 50, 60, 80, 100]) for n in range(6)}
    tasks = []
    for n in range(1, rng.randint(3, 8) + 1):
        start = rng.randint(0, 10)
        tasks.append(task(f"T{n}", start, start + rng.randint(1, 6)))
    plan = plan_of(*tasks)
    fractions = {t.task_id: rng.choice([0.1, 0.2, 0.25, 0.3, 0.5, 0.8]) for t in tasks}
    candidates = {
        t.task_id: [candidate(e, score=round(rng.random(), 3), fraction=fractions[t.task_id], free_pct=people[e])
                    for e in rng.sample(sorted(people), rng.randint(0, 4))]
        for t in tasks
    }
    proposal = propose_staffing(plan, candidates)
    windows = {t.task_id: (t.start_week, t.end_week) for t in tasks}
    chosen = proposed(proposal)

    load: dict[tuple[str, int], float] = defaultdict(float)
    for task_id, employee in chosen.items():
        if employee is not None:
            assert employee in {c.employee_id for c in candidates[task_id]}
            start, end = windows[task_id]
            for week in range(start, end):
                load[employee, week] += fractions[task_id]
    for (employee, week), booked in load.items():
        assert booked <= people[employee] / 100 + 1e-9, f"{employee} booked {booked:.2f} in week {week}"

    # a task is only left empty if each candidate lacks time on their own or is busy in that window
    for task_id, employee in chosen.items():
        if employee is None:
            start, end = windows[task_id]
            for c in candidates[task_id]:
                busy = any(load[c.employee_id, w] > 0 for w in range(start, end))
                assert busy or people[c.employee_id] / 100 < c.fraction, (task_id, c.employee_id)
