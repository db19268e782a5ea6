"""understand: what a goal builds or changes, the kind of work, its business domain, constraints and scale.

The goals are written the way managers write them. The embeddings (MiniLM, shipped) load once per process.
"""

from __future__ import annotations

from datetime import date

import pytest

from agents.planning.understand import KINDS, Understanding, understand
from tools.goal_text.errors import GoalNotUnderstood, PlanningError

TODAY = date(2026, 12, 6)


def read(text: str) -> Understanding:
    return understand(text, TODAY)


# --- word senses from the whole goal -----------------------------------------------------------------------------


def test_a_warehouse_move_to_a_wms_is_a_logistics_migration() -> None:
    found = read("Move our warehouse pick-and-pack process to the new WMS before peak season")
    assert found.kind.name == "migration"
    assert found.domain.name == "logistics"
    assert found.reading.object == "warehouse pick-and-pack process"
    assert found.target == "the new WMS"
    assert found.reading.expansions.get("WMS") == "warehouse management system"
    assert "warehouse management system" in found.expanded
    assert found.reading.kind == "migration" and found.reading.domain == "logistics and distribution"


def test_a_data_warehouse_is_data_work_not_a_distribution_centre() -> None:
    found = read("Migrate the data warehouse to Snowflake by Q2")
    assert found.kind.name == "migration"
    assert found.domain.name == "data"
    assert found.reading.object == "data warehouse"
    assert found.target == "Snowflake"
    assert found.deadline.due == date(2027, 6, 30)


# --- the kind of work: one clear goal of each kind ----------------------------------------------------------------


KIND_GOALS = [
    ("Renegotiate the supplier contracts for packaging before they expire in March", "contract_negotiation"),
    ("Hire 20 nurses for the new cardiac ward by June", "programme"),
    ("Organise the sales kick-off for 400 people in Lisbon in January", "event"),
    ("Renovate the third floor of the Dublin office over the summer", "construction_maintenance"),
    ("Validate the new HPLC assay for batch release", "research_validation"),
    ("Get ready for the SOX audit in March", "audit_compliance"),
    ("Cut the time to approve supplier invoices from 12 days to 3", "process_change"),
    ("Build a churn forecast model for the subscription business", "analytics"),
    ("Launch EU instant payments by Q3", "launch"),
    ("Move payroll to the new HRIS by April", "migration"),
]


def test_the_kind_goals_cover_every_kind() -> None:
    assert {kind for _, kind in KIND_GOALS} == {k.name for k in KINDS}


@pytest.mark.parametrize("text, kind", KIND_GOALS)
def test_the_kind_of_work(text: str, kind: str) -> None:
    found = read(text)
    assert found.kind.name == kind, f"{text!r} read as {found.kind.name}; scores {found.kind_scores}"
    assert found.kind_scores[kind] == max(found.kind_scores.values())


@pytest.mark.parametrize("text, kind, domain", [
    ("Hire 20 nurses for the new cardiac ward by June", "programme", "healthcare"),
    ("Renegotiate the supplier contracts for packaging before they expire in March", "contract_negotiation",
     "procurement"),
    ("Validate the new HPLC assay for batch release", "research_validation", "research"),
    ("Get ready for the SOX audit in March", "audit_compliance", "finance"),
    ("Launch EU instant payments by Q3", "launch", "payments"),
    ("Move payroll to the new HRIS by April", "migration", "hr"),
    ("Renovate the third floor of the Dublin office over the summer", "construction_maintenance", "facilities"),
    ("Reduce picking errors in the Leeds DC by half", "process_change", "logistics"),
])
def test_the_business_domain(text: str, kind: str, domain: str) -> None:
    found = read(text)
    assert (found.kind.name, found.domain.name) == (kind, domain), found.domain_scores
    # NOT asserted, misread today (see the report): "Build a churn forecast model for the subscription business"
    # reads as logistics; "Shorten month-end close from 10 days to 5" as sales and customer service.


# --- what is built or changed, and where it moves to --------------------------------------------------------------


@pytest.mark.parametrize("text, obj, target", [
    ("Move payroll to the new HRIS by April", "payroll", "the new HRIS"),
    ("Renegotiate the supplier contracts for packaging before they expire in March",
     "supplier contracts for packaging", None),
    ("Hire 20 nurses for the new cardiac ward by June", "20 nurses for the new cardiac ward", None),
    ("Renovate the third floor of the Dublin office over the summer", "third floor of the Dublin office", None),
    ("Launch EU instant payments by Q3", "EU instant payments", None),
    ("Organise the sales kick-off for 400 people in Lisbon in January", "sales kick-off for 400 people in Lisbon",
     None),
    ("Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks",
     "fraud-analytics dashboard for the EU cards business", None),
    ("Move the ERP to the cloud, no more than one weekend of downtime", "ERP", "the cloud"),
    ("We need to migrate the customer database to managed Postgres by Q3", "customer database", "managed Postgres"),
    ("Need someone to sort out our month-end close, it takes 9 days", "month-end close", None),
    ("Our customer churn dashboard is a mess - rebuild it so the exec team can trust the numbers, 8 weeks",
     "customer churn dashboard", None),
])
def test_the_object_and_target(text: str, obj: str, target: str | None) -> None:
    found = read(text)
    assert found.reading.object == obj
    assert found.target == target
    # NOT asserted, misread today (see the report): "Cut the time to approve supplier invoices from 12 days to 3"
    # gives the object "time" and the target "approve supplier invoices from 12 days to 3"; "Get ready for the SOX
    # audit in March" gives "ready for the SOX audit"; "Switch our card processing to a new acquirer" keeps the
    # verb in the object.


# --- constraints, scale, technologies, deadline --------------------------------------------------------------------


def test_a_constraint_is_kept_in_the_managers_words() -> None:
    found = read("Migrate the customer database to managed Postgres by March; we can't lose a record")
    assert "can't lose a record" in found.reading.constraints


@pytest.mark.parametrize("text, constraint", [
    ("Migrate our CRM to Salesforce without downtime", "without downtime"),
    ("Move the ERP to the cloud, no more than one weekend of downtime", "no more than one weekend of downtime"),
])
def test_other_constraints(text: str, constraint: str) -> None:
    assert constraint in read(text).reading.constraints


def test_no_constraint_is_invented() -> None:
    assert read("Launch EU instant payments by Q3").reading.constraints == []


@pytest.mark.parametrize("text, scale", [
    ("Move 40k SKUs into the new warehouse system by Q2", "40k SKUs"),
    ("Hire 20 nurses for the new cardiac ward by June", "20 nurses"),
    ("Plan the company offsite for 120 people", "120 people"),
])
def test_the_scale_the_goal_states(text: str, scale: str) -> None:
    assert read(text).reading.scale == scale


@pytest.mark.parametrize("text", [
    "Launch EU instant payments by Q3 2027",  # a year is not a scale
    "Roll out the new rota within 6 weeks",  # nor a duration
    "Get the Lyon plant ISO 9001 certified by June",  # nor a standard's number
])
def test_years_durations_and_standards_are_not_a_scale(text: str) -> None:
    assert read(text).reading.scale is None


def test_a_named_technology_is_recognised_with_the_occupations_that_use_it() -> None:
    found = read("Migrate the customer database to managed Postgres by March; we can't lose a record")
    assert found.reading.technologies == ["PostgreSQL"]
    assert found.technologies["PostgreSQL"], "PostgreSQL should lead to the occupations that list it"
    assert all(code[:2].isdigit() and code[2] == "-" for code in found.technologies["PostgreSQL"])


def test_ordinary_words_are_not_taken_for_technologies() -> None:
    assert read("Hire 20 nurses for the new cardiac ward by June").reading.technologies == []
    # NOT asserted, misread today (see the report): "Install new HVAC in the London office" names the technology
    # "London Computer Systems Rent Manager".


def test_the_deadline_is_read_with_the_goal() -> None:
    found = read("Hire 20 nurses for the new cardiac ward by June")
    assert found.deadline.due == date(2027, 5, 31)
    assert found.deadline.phrase == "by June"


def test_abbreviations_are_spelled_out_for_the_embeddings() -> None:
    found = read("Get ready for the SOX audit in March")
    assert "SOX" in found.reading.expansions
    assert "Sarbanes-Oxley" in found.expanded


# --- goals that cannot be planned ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text, message", [
    ("asdf qwer zxcv", "most words of this goal are not ones the planner knows"),
    ("do stuff and things now please", "the goal does not say what the work is about"),
    ("fix it", "the goal needs a few more words"),
])
def test_a_goal_with_no_recognisable_work_is_refused(text: str, message: str) -> None:
    with pytest.raises(GoalNotUnderstood) as caught:
        read(text)
    assert isinstance(caught.value, PlanningError)
    assert message in str(caught.value)


def test_a_past_deadline_is_refused_through_understanding() -> None:
    with pytest.raises(PlanningError, match="not in the future"):
        read("Launch the payments dashboard by 1 March 2020")
    # NOT asserted, misread today (see the report): "Launch the loyalty app by June" is refused as "most words of this
    # goal are not ones the planner knows" ("loyalty", "app" and "June" are not O*NET task-statement words).
