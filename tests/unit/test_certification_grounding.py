"""The plan's certification grounding: which types a task needs, and why, on the texts the planner really writes.

The task texts below are the offline planner's, copied from plans of the goals they name; the catalogue is the demo's
(``tools.certifications.catalogue``), plus a few types of the tests' own where a rule needs one.
"""

from __future__ import annotations

import pytest

from infra.store.certifications import CertificationType
from infra.store.plans import PlannedTask
from tools.certifications.catalogue import DEMO_TYPES
from tools.certifications.grounding import mentions, plan_needs, task_needs

CATALOGUE = [CertificationType(type_id=k, **v.model_dump()) for k, v in DEMO_TYPES.items()]


def task(title: str, description: str = "Do the work described in the title.", skills: list[str] | None = None,
         task_id: str = "T1") -> PlannedTask:
    return PlannedTask(task_id=task_id, title=title, description=description, skills=skills or ["Project management"],
                       effort_hours=40, start_week=0, end_week=4)


def ctype(type_id: str, *, keywords: list[str], skills: list[str] | None = None, name: str | None = None,
          retired: bool = False) -> CertificationType:
    return CertificationType(type_id=type_id, name=name or type_id.upper(), issuer="Test issuer", skills=skills or [],
                             keywords=keywords, retired=retired)


def needed(t: PlannedTask, types: list[CertificationType] | None = None) -> dict[str, str]:
    return {n.type_id: n.reason for n in task_needs(t, CATALOGUE if types is None else types)}


# the PCI goal: "Prepare the card-payments platform for the PCI DSS audit by Q3"
PCI_TASKS = [
    task("Prepare the card-payments platform for the PCI DSS audit",
         "Get the card-payments platform ready for its PCI DSS audit.", task_id="T0"),
    task("Scope the requirements for card-payments platform for the PCI DSS audit",
         "Set out which rules, controls and evidence card-payments platform for the PCI DSS audit needs, and who owns "
         "each.", ["Compliance 360", "Customer and Personal Service", "Law and Government"]),
    task("Assess the gaps for card-payments platform for the PCI DSS audit",
         "Test the current controls, documents and records against the requirements and list the gaps by risk.",
         ["Auditing software", "Financial compliance software"], task_id="T2"),
]


def test_a_task_that_names_pci_dss_needs_the_pci_type_and_says_why() -> None:
    for t in PCI_TASKS:
        assert needed(t) == {"pci-dss-awareness": "the task mentions “PCI DSS”"}, t.title


# tasks of "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks" and "Move our warehouse
# pick-and-pack process to the new WMS before peak season": no certification is called for
PLAIN_TASKS = [
    task("Agree the questions the fraud-analytics dashboard for the EU cards business must answer",
         "Work out with its users which decisions the fraud-analytics dashboard for the EU cards business supports, "
         "the measures and their definitions.", ["Computers and Electronics"]),
    task("Check the fraud-analytics dashboard for the EU cards business's figures with its users",
         "Reconcile the figures with known numbers and let users test that it answers their questions.",
         ["AuditWare financial reporting and auditing software", "Customer and Personal Service"]),
    task("Set up the new WMS for the warehouse pick-and-pack process",
         "Configure the new WMS to do what the warehouse pick-and-pack process does today, with its integrations.",
         ["Inventory control software", "Fleet management software", "Transportation"]),
    task("Launch the EU instant payments and watch the first weeks",
         "Go live, watch volumes, incidents and feedback, and fix what the first weeks show.", ["payments"]),
]


@pytest.mark.parametrize("t", PLAIN_TASKS, ids=lambda t: t.title[:40])
def test_a_task_without_such_words_needs_none(t: PlannedTask) -> None:
    assert needed(t) == {}


@pytest.mark.parametrize("text", [
    "Update the laws and draws register",               # aws
    "Write the specification of the payment flows",     # pci
    "Respond to criticism of the hamlet's amlodipine supply",  # cism, aml
    "Review the ITILities and KYCs of the ledger",      # itil, kyc glued to other letters
])
def test_no_match_inside_other_words(text: str) -> None:
    types = [*CATALOGUE, ctype("cism", keywords=["cism"])]
    found = needed(task(text), types)
    assert "aws-solutions-architect" not in found and "pci-dss-awareness" not in found and "cism" not in found
    assert "cams" not in found and "itil-4-foundation" not in found, found


def test_words_run_together_with_hyphens_slashes_or_spaces() -> None:
    for text in ("Scope the PCI-DSS controls", "Scope the pci dss controls", "Scope the PCI/DSS controls"):
        assert "pci-dss-awareness" in needed(task(text)), text
    assert needed(task("Plan the first aider rota for the office"))["first-aid-at-work"] == \
        "the task mentions “first aider”"


def test_a_short_acronym_counts_only_in_capitals() -> None:
    cams = ctype("cams-test", keywords=["cams"])
    assert needed(task("Mount the new security cams at the loading bay"), [cams]) == {}
    assert needed(task("Staff the new CAMS desk"), [cams]) == {"cams-test": "the task mentions “CAMS”"}
    aml = ctype("aml-test", keywords=["aml"])
    assert "aml-test" in needed(task("Upgrade the AML transaction monitoring"), [aml])
    assert "aml-test" not in needed(task("Upgrade the aml monitoring of the hamlet"), [aml])


def test_the_type_name_itself_calls_for_it() -> None:
    assert needed(task("Staff the audit with a CISSP holder"))["cissp"] == "the task mentions “CISSP”"


def test_the_first_mention_is_quoted_and_the_longest_where_two_start_together() -> None:
    t = task("Scope the card data environment against PCI DSS 4.0")
    assert needed(t)["pci-dss-awareness"] == "the task mentions “card data”"
    assert mentions("Prepare for the PCI DSS audit", CATALOGUE[[c.type_id for c in CATALOGUE].index(
        "pci-dss-awareness")]) == "PCI DSS"


def test_a_skill_alone_is_not_enough() -> None:
    # "Migrate the customer database to PostgreSQL on AWS": the AWS skill is on every task; the AWS type is needed
    # where the text says "AWS", not where only the skill does
    mapping = task("Map the current customer database and everything that depends on it",
                   "List the data, integrations, reports and ways of working of the current customer database.",
                   ["Amazon Web Services AWS software"])
    kube = task("Close the gaps found for the platform", "Fix the systems that fall short.", ["Kubernetes"])
    # a broad main skill met an audit: not the PMP
    audit = task("Prepare the card-payments platform for the audit", "Get it ready.", ["project management"])
    assert needed(mapping) == {} and needed(kube) == {} and needed(audit) == {}


def test_the_reason_adds_the_main_skill_when_the_type_evidences_it() -> None:
    setup = task("Set up PostgreSQL on AWS for the customer database",
                 "Configure PostgreSQL on AWS to do what the customer database does today, with its integrations.",
                 ["Amazon Web Services AWS software", "PostgreSQL"])
    aws = ctype("aws-test", keywords=["aws"], skills=["Amazon Web Services AWS software"])
    assert needed(setup, [aws]) == {"aws-test": (
        "the task mentions “AWS”, and its main skill, Amazon Web Services AWS software, is one the certification "
        "evidences")}


def test_a_task_that_trains_people_needs_what_its_description_names() -> None:
    aws = task("Train the people who use the customer database on PostgreSQL on AWS",
               "Train every team that works with the customer database on AWS before go-live.")
    assert "aws-test" in needed(aws, [ctype("aws-test", keywords=["aws"])])
    control_owners = task("Train the control owners for card-payments platform for the PCI DSS audit",
                          "Train the people who run the controls and answer the auditors.", ["Auditing software"])
    assert needed(control_owners) == {}


def test_retired_types_are_never_required() -> None:
    gone = ctype("old-pci", keywords=["pci dss"], retired=True)
    assert needed(PCI_TASKS[0], [gone]) == {}


def test_plan_needs_in_plan_order_one_per_type() -> None:
    tasks = [PCI_TASKS[1], task("Close the internal audit findings on IT general controls", task_id="T3")]
    audits = [ctype("cia-test", keywords=["internal audit"]), ctype("cisa-test", keywords=["it general controls"])]
    found = [(n.task_id, n.type_id) for n in plan_needs(tasks, [*CATALOGUE, *audits])]
    assert found == [("T1", "pci-dss-awareness"), ("T3", "cia-test"), ("T3", "cisa-test")]
    assert [n.type_id for n in plan_needs(tasks[1:], CATALOGUE)] == [], "a professional certification is no must"
