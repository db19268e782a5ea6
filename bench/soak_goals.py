"""Soak, the goals managers write: about 20 templates across departments, with blanks that vary scale, place and
deadline deterministically."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class GoalTemplate:
    """A goal as a manager of some department writes it, with blanks that vary scale, place and deadline."""

    department: str
    """The department whose manager writes it."""
    manager: str
    """The demo login that submits it."""
    text: str
    """The goal, with ``{blanks}`` from ``BLANKS``."""


TEMPLATES: tuple[GoalTemplate, ...] = (
    GoalTemplate("payments", "mgr.payments",
                 "Launch SEPA Instant payments for retail customers in {country} within {weeks} weeks"),
    GoalTemplate("payments", "mgr.payments",
                 "Stand up a fraud-analytics dashboard for the {region} cards business within {weeks} weeks"),
    GoalTemplate("payments", "mgr.payments",
                 "Cut card-dispute handling time in half by automating chargeback intake within {weeks} weeks"),
    GoalTemplate("data", "mgr.data",
                 "Migrate the {system} data warehouse to Snowflake in the next {months} months without losing "
                 "history"),
    GoalTemplate("data", "mgr.data",
                 "Build a churn prediction model for the {region} retail book within {weeks} weeks"),
    GoalTemplate("data", "mgr.data",
                 "Set up GDPR-compliant retention and deletion for customer records within {weeks} weeks"),
    GoalTemplate("logistics", "mgr.data", "Move our warehouse pick-and-pack process to the new WMS before peak season"),
    GoalTemplate("logistics", "mgr.data",
                 "Open a second distribution centre near {city} and have it shipping within {months} months"),
    GoalTemplate("finance", "mgr.payments",
                 "SOX 404 readiness for the acquired subsidiary within {weeks} weeks: document key controls and "
                 "remediate design gaps"),
    GoalTemplate("finance", "mgr.payments", "Shorten the month-end close from 9 to 5 working days by {date}"),
    GoalTemplate("finance", "mgr.payments", "Renegotiate the cloud hosting contract before it expires on {date}"),
    GoalTemplate("risk", "mgr.payments",
                 "Retune the AML transaction-monitoring scenarios and thresholds within {weeks} weeks"),
    GoalTemplate("risk", "mgr.payments", "Prepare for the DORA operational-resilience audit on {date}"),
    GoalTemplate("risk", "mgr.payments",
                 "Validate the retail credit-risk scorecard before the regulator's review in {weeks} weeks"),
    GoalTemplate("people", "mgr.data", "Roll out the new HRIS to all {staff} employees within {months} months"),
    GoalTemplate("people", "mgr.data",
                 "Run a leadership training programme for {leads} new team leads within {weeks} weeks"),
    GoalTemplate("engineering", "mgr.payments",
                 "Replace the core network switches in both data centres with no downtime for prod within "
                 "{weeks} weeks"),
    GoalTemplate("engineering", "mgr.payments",
                 "Move the payments API from the on-prem cluster to Kubernetes within {weeks} weeks"),
    GoalTemplate("engineering", "mgr.data",
                 "Upgrade the mobile banking app to the new design system within {weeks} weeks"),
    GoalTemplate("marketing", "mgr.data", "Launch the spring brand campaign in {country} within {weeks} weeks"),
    GoalTemplate("marketing", "mgr.data",
                 "Organise our customer conference for {guests} attendees in {city} in {weeks} weeks"),
)
BLANKS: dict[str, tuple[str, ...]] = {
    "country": ("Germany", "the Netherlands", "Spain", "Ireland"),
    "region": ("EU", "Nordic", "UK", "Iberian"),
    "system": ("Teradata", "Oracle", "on-prem SQL Server"),
    "city": ("Rotterdam", "Lyon", "Leipzig", "Porto"),
    "weeks": ("6", "8", "10", "12", "16"),
    "months": ("3", "4", "6"),
    "staff": ("800", "1,200", "3,000"),
    "leads": ("15", "25", "40"),
    "guests": ("300", "600", "1,200"),
}


def goal_text(index: int, today: date) -> tuple[GoalTemplate, str]:
    """The ``index``-th goal: templates in turn, blanks varied deterministically, dates 8-20 weeks ahead."""
    template = TEMPLATES[index % len(TEMPLATES)]
    turn = index // len(TEMPLATES)
    values = {name: options[(turn + offset) % len(options)]
              for offset, (name, options) in enumerate(BLANKS.items())}
    deadline = today + timedelta(weeks=8 + (turn * 3 + index) % 13)
    values["date"] = f"{deadline.day} {deadline:%B %Y}"
    return template, template.text.format(**values)
