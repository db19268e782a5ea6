"""The demo organisation's certifications: each person's certifications from their record, plus the regulated
types plausible roles hold (PCI DSS awareness in payments, information security awareness in payments,
engineering and data, PCIP for some payments engineers and security analysts, first aiders in every office team
and more in logistics, forklift licences in the warehouse roles, two fire wardens per office).

Everything is deterministic (a stable hash of the person and the type, no random generator) and dated relative to
the day the demo is seeded, so the feature is live on first start: most certifications are valid, a handful expire
within 7, 30, 60 and 90 days, a few have lapsed and are in their grace period, a few have expired. A few of the
valid ones carry the period they renewed, so the history shows. The named demo logins are set on purpose:
``sanne.devries`` (E0103) renews her Google Cloud data engineer certification within the month and holds a valid
awareness training; ``yusuf.romano`` (E0190) is a first aider whose certificate runs out in under two weeks; their
line managers (Aoife Taylor E0059, Julia Bianchi E0170), ``mgr.data`` (E0057) and ``mgr.payments`` (E0001) see
lapses and renewals in their teams.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from infra.db import Connection
from infra.store import certifications as store
from infra.store.certifications import PeriodIn
from tools.certifications.catalogue import (
    DEMO_ORG_NAMES,
    DEMO_TYPES,
    EDITED_BY,
    INTERNAL_TYPES,
    add_months,
    valid_until,
)

SOURCE = "demo"
"""What the demo certifications' ``source`` says."""
FORCED_DAYS_LEFT: Mapping[tuple[str, str], int] = {
    ("E0103", "gcp-data-engineer"): 21,     # sanne.devries: a renewal due within the month
    ("E0103", "infosec-awareness"): 240,    # ... and a valid one
    ("E0190", "first-aid-at-work"): 12,     # yusuf.romano: the office's first aider, renewal due
    ("E0067", "infosec-awareness"): -10,    # Aoife Taylor's team: lapsed, in grace
    ("E0059", "gcp-data-engineer"): -200,   # Aoife Taylor herself (mgr.data's team): expired
    ("E0061", "databricks-data-engineer"): 50,  # mgr.data's team: expiring
    ("E0002", "pci-dss-awareness"): -5,     # mgr.payments' team: lapsed, in grace
    ("E0004", "infosec-awareness"): 45,     # mgr.payments' team: expiring
}
"""Days from the seeding day to the expiry of these (employee, type) certifications (negative: lapsed)."""
_WAREHOUSE_TITLES = frozenset({"Shipping, Receiving, and Inventory Clerks", "Order Fulfillment Specialist",
                               "Logistics Associate", "Logistics Technician", "Inventory Analyst"})
_PAYMENTS_TECH = ("Software", "Systems", "IT ", "Data Processing", "Credit Card")
FIRE_WARDENS_PER_OFFICE = 2
"""Fire wardens per office location."""


@dataclass(frozen=True, kw_only=True)
class DemoCertification:
    """One period of a demo certification (earlier periods of the same one come first)."""

    employee_id: str
    """Holder."""
    type_id: str
    """Type."""
    credential_id: str | None
    """The issuer's credential id (None for the bank's own trainings)."""
    issued_on: date
    """Issued."""
    expires_on: date | None
    """Expires (None: never)."""


def _stable(*parts: str, low: int, high: int) -> int:
    """A deterministic pseudo-random number in ``[low, high]``."""
    return low + zlib.crc32("|".join(parts).encode()) % (high - low + 1)


def _regulated(employee: Mapping[str, Any]) -> list[str]:
    """The regulated types a person's role calls for (fire wardens are chosen per office, not here)."""
    eid, dept, title = employee["employee_id"], employee["department"], employee["title"]
    held: list[str] = []
    if dept in ("payments", "engineering", "data"):
        held.append("infosec-awareness")
    if dept == "payments":
        held.append("pci-dss-awareness")
    if ((dept == "payments" and any(w in title for w in _PAYMENTS_TECH) and _stable(eid, "pcip", low=0, high=99) < 35)
            or (dept == "engineering" and "Security" in title and _stable(eid, "pcip", low=0, high=99) < 40)):
        held.append("pcip")
    office = employee.get("location") != "Remote"
    if office and _stable(eid, "first-aid", low=0, high=99) < (25 if dept == "logistics" else 6):
        held.append("first-aid-at-work")
    if dept == "logistics" and (title in _WAREHOUSE_TITLES
                                or (title == "Logisticians" and _stable(eid, "forklift", low=0, high=99) < 30)):
        held.append("forklift-licence")
    return held


def _fire_wardens(employees: Sequence[Mapping[str, Any]]) -> set[str]:
    """Two people per office (not remote workers), the same ones every time."""
    by_office: dict[str, list[str]] = {}
    for e in employees:
        if e.get("location") and e["location"] != "Remote":
            by_office.setdefault(e["location"], []).append(e["employee_id"])
    def rank(eid: str) -> int:
        return _stable(eid, "fire-warden", low=0, high=10**6)

    return {eid for ids in by_office.values() for eid in sorted(ids, key=rank)[:FIRE_WARDENS_PER_OFFICE]}


def held_types(employee: Mapping[str, Any], *, fire_warden: bool = False) -> list[str]:
    """The type ids a demo employee holds: their record's certifications, then the regulated ones."""
    held = [DEMO_ORG_NAMES[n] for n in employee.get("certifications", []) if n in DEMO_ORG_NAMES]
    held += [t for t in _regulated(employee) if t not in held]
    if fire_warden:
        held.append("fire-warden")
    held += [t for (eid, t) in FORCED_DAYS_LEFT if eid == employee["employee_id"] and t not in held]
    return held


def _days_left(eid: str, type_id: str, validity_days: int, grace_days: int) -> int:
    """Days from today to the expiry a certification is planned on (before month arithmetic moves it by at most 3
    days earlier, which the margins below absorb)."""
    if (eid, type_id) in FORCED_DAYS_LEFT:
        return FORCED_DAYS_LEFT[(eid, type_id)]
    bucket = _stable(eid, type_id, "bucket", low=0, high=999)
    pick = _stable(eid, type_id, "day", low=0, high=10**6)
    if bucket < 6:
        return 4 + pick % 4                        # within 7 days
    if bucket < 22:
        return 11 + pick % 20                      # within 30 days
    if bucket < 40:
        return 34 + pick % 27                      # within 60 days
    if bucket < 58:
        return 64 + pick % 26                      # within 90 days
    if bucket < 66 and grace_days >= 5:
        return -(pick % (grace_days - 3))          # lapsed, in grace
    if bucket < 76:
        return -(grace_days + 1 + pick % 300)      # expired
    return 94 + pick % max(1, validity_days - 110)  # valid


def _periods(eid: str, type_id: str, today: date, *, years: int) -> list[tuple[date, date | None]]:
    """The periods ``(issued_on, expires_on)`` of one certification, earliest first (one that never expires was
    passed within the holder's ``years`` of seniority)."""
    ctype = DEMO_TYPES[type_id]
    months = ctype.validity_months
    if months is None:
        back = _stable(eid, type_id, "issued", low=120, high=max(240, 365 * min(years, 12)))
        return [(today - timedelta(days=back), None)]
    target = today + timedelta(days=_days_left(eid, type_id, months * 30, ctype.grace_days))
    issued = add_months(target, -months)
    periods: list[tuple[date, date | None]] = [(issued, valid_until(issued, months))]
    if target - today > timedelta(days=120) and _stable(eid, type_id, "history", low=0, high=99) < 15:
        early = _stable(eid, type_id, "early", low=10, high=40)   # renewed this many days before it expired
        before = add_months(issued, -months) + timedelta(days=early)
        periods.insert(0, (before, valid_until(before, months)))
    return periods


def demo_certifications(employees: Sequence[Mapping[str, Any]], today: date) -> list[DemoCertification]:
    """Every demo certification period, in employee order (a certification's earlier period first)."""
    wardens = _fire_wardens(employees)
    rows: list[DemoCertification] = []
    for e in employees:
        eid = e["employee_id"]
        for type_id in held_types(e, fire_warden=eid in wardens):
            credential = (None if type_id in INTERNAL_TYPES
                          else f"{type_id.upper()}-{_stable(eid, type_id, 'credential', low=100000, high=999999)}")
            rows += [DemoCertification(employee_id=eid, type_id=type_id, credential_id=credential, issued_on=i,
                                       expires_on=x)
                     for i, x in _periods(eid, type_id, today, years=int(e.get("seniority_years") or 1))]
    return rows


async def seed_demo_certifications(conn: Connection, employees: Sequence[Mapping[str, Any]], *,
                                   today: date) -> tuple[int, int]:
    """Store the demo types and certifications (idempotent: a second run changes nothing).

    Returns:
        The type versions added and the certification periods added.
    """
    versions = 0
    for type_id, ctype in DEMO_TYPES.items():
        versions += await store.save_type(conn, type_id, ctype, edited_by=EDITED_BY) is not None
    periods = 0
    for row in demo_certifications(employees, today):
        _, outcome = await store.record(
            conn, employee_id=row.employee_id, type_id=row.type_id, credential_id=row.credential_id,
            period=PeriodIn(issued_on=row.issued_on, expires_on=row.expires_on, evidence_kind="demo"), source=SOURCE)
        periods += outcome in ("added", "renewed")
    return versions, periods
