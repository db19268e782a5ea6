"""The compliance report's aggregation: what counts as valid, lapses by month ahead, groups and the CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

from infra.store.certifications import Certification, Period
from workflows.usecases.certification_reports import (
    NO_DEPARTMENT,
    compliance,
    compliance_csv,
    lapse_month,
    month_starts,
)

AS_OF = date(2026, 12, 6)
NAMES = {"payments": "Payments", "risk": "Risk & Compliance", "data": "Data & Analytics"}
TYPE_NAMES = {"cissp": "CISSP", "first-aid": "First aid at work", "pmp": "PMP"}


def cert(employee: str, type_id: str, *, expires_on: date | None, department: str | None = "payments",
         grace_days: int = 30, revoked_on: date | None = None, renewal_pending: bool = False,
         issued_on: date = date(2024, 1, 10)) -> Certification:
    """A certification with one period."""
    period = Period(period=1, type_version=1, issued_on=issued_on, expires_on=expires_on, grace_days=grace_days,
                    evidence_kind="import", evidence_ref=None, confirmed_by=None,
                    recorded_at=datetime(2024, 1, 10, tzinfo=UTC))
    return Certification(
        certification_id=f"cert-{employee}-{type_id}", employee_id=employee, employee_name=employee,
        department=department, manager_id=None, type_id=type_id, name=TYPE_NAMES[type_id], issuer="Issuer",
        renewal_lead_days=60, credential_id=None, revoked_on=revoked_on, revoked_reason=None, periods=[period],
        renewal_pending=renewal_pending)


def days(n: int) -> date:
    return AS_OF + timedelta(days=n)


def test_valid_and_expiring_count_as_valid_grace_expired_and_revoked_do_not() -> None:
    certs = [cert("E1", "cissp", expires_on=days(400)),                  # valid
             cert("E2", "cissp", expires_on=days(30)),                   # expiring
             cert("E3", "cissp", expires_on=days(-10), grace_days=30),  # in grace
             cert("E4", "cissp", expires_on=days(-60), grace_days=30),  # expired
             cert("E5", "cissp", expires_on=days(400), revoked_on=days(-1)),  # revoked
             cert("E6", "cissp", expires_on=None)]                       # never expires: valid
    report = compliance(certs, AS_OF, department_names=NAMES)
    (cell,) = report.cells
    t = cell.tally
    assert (t.held, t.valid, t.expiring, t.in_grace, t.expired, t.revoked) == (6, 3, 1, 1, 1, 1)
    assert cell.share_valid == 0.5
    assert report.overall.tally == t and report.overall.share_valid == 0.5
    assert (cell.department, cell.department_name, cell.type_id, cell.name) == ("payments", "Payments", "cissp",
                                                                                   "CISSP")


def test_the_expiry_day_itself_is_no_longer_valid() -> None:
    report = compliance([cert("E1", "pmp", expires_on=AS_OF, grace_days=0)], AS_OF)
    assert report.overall.tally.valid == 0 and report.overall.tally.expired == 1
    report = compliance([cert("E1", "pmp", expires_on=days(1), grace_days=0)], AS_OF)
    assert report.overall.tally.valid == 1 and report.overall.tally.expiring == 1


def test_months_ahead_start_with_the_current_month_and_roll_over_the_year() -> None:
    months = month_starts(AS_OF)
    assert len(months) == 12
    assert months[0] == date(2026, 12, 1) and months[1] == date(2027, 1, 1) and months[-1] == date(2027, 11, 1)


def test_lapses_fall_in_the_month_of_the_expiry_day() -> None:
    months = month_starts(AS_OF)
    assert lapse_month(cert("E", "pmp", expires_on=AS_OF), AS_OF, months) is None     # today: lapsed already
    assert lapse_month(cert("E", "pmp", expires_on=days(1)), AS_OF, months) == 0
    assert lapse_month(cert("E", "pmp", expires_on=date(2026, 12, 31)), AS_OF, months) == 0
    assert lapse_month(cert("E", "pmp", expires_on=date(2027, 1, 1)), AS_OF, months) == 1
    assert lapse_month(cert("E", "pmp", expires_on=date(2027, 11, 30)), AS_OF, months) == 11
    assert lapse_month(cert("E", "pmp", expires_on=date(2027, 12, 1)), AS_OF, months) is None   # beyond the year
    assert lapse_month(cert("E", "pmp", expires_on=days(-1)), AS_OF, months) is None          # lapsed already
    assert lapse_month(cert("E", "pmp", expires_on=None), AS_OF, months) is None              # never expires
    assert lapse_month(cert("E", "pmp", expires_on=days(20), revoked_on=days(-3)), AS_OF, months) is None


def test_lapses_ahead_by_type_and_month_with_renewals_waiting() -> None:
    certs = [cert("E1", "cissp", expires_on=date(2027, 1, 15)),
             cert("E2", "cissp", expires_on=date(2027, 1, 20), department="risk", renewal_pending=True),
             cert("E3", "cissp", expires_on=date(2027, 3, 2)),
             cert("E4", "first-aid", expires_on=date(2027, 3, 9)),
             cert("E5", "pmp", expires_on=date(2029, 1, 1))]           # nothing lapses ahead: no row
    report = compliance(certs, AS_OF, department_names=NAMES)
    assert [(lt.name, lt.total, lt.renewals_waiting) for lt in report.lapses] == [("CISSP", 3, 1),
                                                                                  ("First aid at work", 1, 0)]
    cissp = report.lapses[0]
    assert cissp.by_month[1] == 2 and cissp.by_month[3] == 1 and sum(cissp.by_month) == 3
    assert len(cissp.by_month) == len(report.months) == 12


def test_groups_by_department_and_type_sorted_by_name() -> None:
    certs = [cert("E1", "pmp", expires_on=days(400), department="risk"),
             cert("E2", "cissp", expires_on=days(-100), department="risk"),
             cert("E3", "cissp", expires_on=days(400), department="data"),
             cert("E4", "cissp", expires_on=days(400), department=None)]
    report = compliance(certs, AS_OF, department_names=NAMES)
    assert [(c.department_name, c.name) for c in report.cells] == [
        ("Data & Analytics", "CISSP"), (NO_DEPARTMENT, "CISSP"), ("Risk & Compliance", "CISSP"),
        ("Risk & Compliance", "PMP")]
    assert [(d.department_name, d.tally.held, d.share_valid) for d in report.by_department] == [
        ("Data & Analytics", 1, 1.0), (NO_DEPARTMENT, 1, 1.0), ("Risk & Compliance", 2, 0.5)]
    assert [(t.name, t.tally.held, t.tally.valid) for t in report.by_type] == [("CISSP", 3, 2), ("PMP", 1, 1)]
    assert all(t.department is None for t in report.by_type) and all(d.type_id is None for d in report.by_department)
    assert report.overall.tally.held == 4 and report.overall.tally.valid == 3


def test_an_empty_report() -> None:
    report = compliance([], AS_OF, department="risk")
    assert report.cells == report.by_department == report.by_type == report.lapses == []
    assert report.overall.tally.held == 0 and report.overall.share_valid is None and report.department == "risk"
    rows = list(csv.reader(io.StringIO(compliance_csv(report))))
    assert len(rows) == 1 and rows[0][0] == "Department code"


def test_the_csv_has_a_header_and_one_row_per_department_and_type() -> None:
    certs = [cert("E1", "cissp", expires_on=date(2027, 1, 15), department="risk"),
             cert("E2", "cissp", expires_on=days(-100), department="risk"),
             cert("E3", "pmp", expires_on=days(400), department="data")]
    text = compliance_csv(compliance(certs, AS_OF, department_names=NAMES))
    assert "\r\n" in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["Department"], r["Certification"]) for r in rows] == [("Data & Analytics", "PMP"),
                                                                   ("Risk & Compliance", "CISSP")]
    risk = rows[1]
    assert (risk["Held"], risk["Valid (incl. expiring)"], risk["Expired"], risk["Share valid (%)"]) == (
        "2", "1", "1", "50.0")
    assert risk["Lapsing in the next 12 months"] == "1" and risk["Lapsing 2027-01"] == "1"
    assert risk["Lapsing 2026-12"] == "0" and "Lapsing 2027-11" in risk and "Lapsing 2027-12" not in risk


def test_csv_cells_that_look_like_formulas_are_kept_as_text() -> None:
    names = {"=risk": "=HYPERLINK(\"http://evil\")"}
    text = compliance_csv(compliance([cert("E1", "pmp", expires_on=days(400), department="=risk")], AS_OF,
                                     department_names=names))
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row[0] == "'=risk" and row[1].startswith("'=HYPERLINK")
