"""Certification reports for HR and admins: the share of valid certifications by department and type, and what lapses
ahead by month (a pure aggregation, :func:`compliance`, with its CSV, :func:`compliance_csv`), loaded and checked
by :func:`compliance_report`; and the version history of a certification type (:func:`type_versions`).

*Valid* here means the holder may rely on it today: ``valid`` or ``expiring`` (it still holds until its expiry day);
``in_grace``, ``expired`` and ``revoked`` do not count. A certification *lapses* in the month its current period
expires; the months ahead are the current month and the 11 after it, counting expiry days after today (one that lapsed
already, today included, is in grace or expired, not ahead). A revoked certification never lapses ahead.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date

from pydantic import BaseModel, Field

from infra.store import certifications as store
from infra.store.certifications import Certification, CertificationType
from policies.certification_cadence import CertStatus, status_on
from workflows.usecases.certifications import require_hr, today
from workflows.usecases.context import Services
from workflows.usecases.errors import Forbidden, Invalid, NotFound
from workflows.usecases.users import get_user

MONTHS_AHEAD = 12
"""How many months the lapses ahead cover (the current one included)."""
NO_DEPARTMENT = "No department"
"""How a holder without a department is grouped."""
COUNTED_VALID: frozenset[CertStatus] = frozenset({"valid", "expiring"})
"""The statuses that count as valid in the compliance share."""


class Tally(BaseModel):
    """How many certifications stand where, in a group (a department and a type, a department, a type, all)."""

    held: int = 0
    """Certifications held by people still here."""
    valid: int = 0
    """Valid today, counting those expiring within 90 days (they hold until their expiry day)."""
    expiring: int = 0
    """Of the valid ones, those expiring within 90 days."""
    in_grace: int = 0
    """Lapsed, still in their grace period (not valid)."""
    expired: int = 0
    """Expired past their grace (not valid)."""
    revoked: int = 0
    """Revoked (not valid)."""

    @property
    def share_valid(self) -> float | None:
        """Valid ÷ held (None when none is held)."""
        return self.valid / self.held if self.held else None

    def merge(self, other: Tally) -> None:
        """Count ``other``'s certifications too."""
        self.held += other.held
        self.valid += other.valid
        self.expiring += other.expiring
        self.in_grace += other.in_grace
        self.expired += other.expired
        self.revoked += other.revoked

    def add(self, status: CertStatus) -> None:
        """Count one certification of ``status``."""
        self.held += 1
        if status in COUNTED_VALID:
            self.valid += 1
        if status == "expiring":
            self.expiring += 1
        elif status == "in_grace":
            self.in_grace += 1
        elif status == "expired":
            self.expired += 1
        elif status == "revoked":
            self.revoked += 1


class ComplianceGroup(BaseModel):
    """One row of the report: a department and a type, a whole department, a whole type, or everything."""

    department: str | None
    """Department code (``""``: holders without one; None in a row for a type across departments)."""
    department_name: str | None
    """The department's name (None in a row for a type across departments)."""
    type_id: str | None
    """Certification type (None in a row for a whole department)."""
    name: str | None
    """The type's name (None in a row for a whole department)."""
    tally: Tally
    """Where the group's certifications stand."""
    share_valid: float | None = Field(ge=0, le=1)
    """Valid ÷ held (None when none is held)."""
    lapsing: list[int]
    """How many lapse in each month of the report (``ComplianceReport.months``)."""

    @property
    def lapsing_total(self) -> int:
        """How many lapse over the months of the report."""
        return sum(self.lapsing)


class LapsesOfType(BaseModel):
    """What lapses ahead of one type, month by month."""

    type_id: str
    """Certification type."""
    name: str
    """Its name."""
    by_month: list[int]
    """How many lapse in each month of the report (``ComplianceReport.months``)."""
    total: int
    """How many lapse over the months of the report."""
    renewals_waiting: int
    """Of those, how many have a renewal waiting for verification."""


class ComplianceReport(BaseModel):
    """Compliance on a day: the share valid by department and type, and what lapses ahead by month and type."""

    as_of: date
    """The day the statuses are computed on."""
    department: str | None
    """The department the report is limited to (None: every department)."""
    months: list[date]
    """The first day of each month ahead, the current month first."""
    cells: list[ComplianceGroup]
    """One row per department and type held there, by department name then type name."""
    by_department: list[ComplianceGroup]
    """One row per department (every type), by name."""
    by_type: list[ComplianceGroup]
    """One row per type (every department), by name."""
    overall: ComplianceGroup
    """Every certification of the report (no department, no type)."""
    lapses: list[LapsesOfType]
    """Per type with something lapsing ahead, by name."""


def month_starts(as_of: date, count: int = MONTHS_AHEAD) -> list[date]:
    """The first day of ``as_of``'s month and of the ``count - 1`` months after it."""
    starts = []
    year, month = as_of.year, as_of.month
    for _ in range(count):
        starts.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return starts


def lapse_month(cert: Certification, as_of: date, months: list[date]) -> int | None:
    """Which month of ``months`` the certification lapses in (its index), or None: it never expires, it lapsed
    already, it is revoked, or it lapses later."""
    expires_on = cert.current.expires_on
    if expires_on is None or expires_on <= as_of or cert.revoked_on is not None:
        return None
    index = (expires_on.year - months[0].year) * 12 + expires_on.month - months[0].month
    return index if 0 <= index < len(months) else None


def compliance(certs: Iterable[Certification], as_of: date, *, department_names: Mapping[str, str] | None = None,
               department: str | None = None, months_ahead: int = MONTHS_AHEAD) -> ComplianceReport:
    """The compliance report over ``certs`` (every certification of people still here, or of one department) on
    ``as_of``. Pure: the same certifications and day give the same report."""
    names = department_names or {}
    months = month_starts(as_of, months_ahead)
    tallies: dict[tuple[str, str], Tally] = defaultdict(Tally)
    lapsing: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(months))
    waiting: dict[str, int] = defaultdict(int)
    type_names: dict[str, str] = {}
    for cert in certs:
        dept = cert.department or ""
        p = cert.current
        status = status_on(as_of, expires_on=p.expires_on, grace_days=p.grace_days, revoked_on=cert.revoked_on)
        key = (dept, cert.type_id)
        type_names[cert.type_id] = cert.name
        tallies[key].add(status)
        month = lapse_month(cert, as_of, months)
        of_key = lapsing[key]  # every cell has its months, lapsing or not
        if month is not None:
            of_key[month] += 1
            if cert.renewal_pending:
                waiting[cert.type_id] += 1

    def dept_name(code: str) -> str:
        return names.get(code, code) if code else NO_DEPARTMENT

    def group(keys: list[tuple[str, str]], *, dept: str | None, type_id: str | None) -> ComplianceGroup:
        tally = Tally()
        months_of = [0] * len(months)
        for k in keys:
            tally.merge(tallies[k])
            months_of = [a + b for a, b in zip(months_of, lapsing[k], strict=True)]
        return ComplianceGroup(
            department=dept, department_name=dept_name(dept) if dept is not None else None, type_id=type_id,
            name=type_names[type_id] if type_id is not None else None, tally=tally, share_valid=tally.share_valid,
            lapsing=months_of)

    departments = sorted({d for d, _ in tallies}, key=lambda d: (dept_name(d).lower(), d))
    types = sorted(type_names, key=lambda t: (type_names[t].lower(), t))
    cells = [group([(d, t)], dept=d, type_id=t) for d in departments for t in types if (d, t) in tallies]
    by_department = [group([k for k in tallies if k[0] == d], dept=d, type_id=None) for d in departments]
    by_type = [group([k for k in tallies if k[1] == t], dept=None, type_id=t) for t in types]
    lapses = [LapsesOfType(type_id=g.type_id, name=g.name, by_month=g.lapsing, total=g.lapsing_total,
                           renewals_waiting=waiting[g.type_id])
              for g in by_type if g.type_id is not None and g.name is not None and g.lapsing_total]
    return ComplianceReport(as_of=as_of, department=department, months=months, cells=cells,
                            by_department=by_department, by_type=by_type,
                            overall=group(list(tallies), dept=None, type_id=None), lapses=lapses)


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: one starting like a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def percent(share: float | None) -> str:
    """A share as a percentage with one decimal (empty when none is held)."""
    return "" if share is None else f"{share * 100:.1f}"


def compliance_csv(report: ComplianceReport) -> str:
    """The report as CSV: a header row, then one row per department and type with where its certifications stand,
    the share valid (%), and how many lapse in each month ahead."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Department code", "Department", "Type id", "Certification", "Held",
                     "Valid (incl. expiring)", "Expiring within 90 days", "Lapsed, in grace", "Expired", "Revoked",
                     "Share valid (%)", f"Lapsing in the next {len(report.months)} months",
                     *(f"Lapsing {m:%Y-%m}" for m in report.months)])
    for c in report.cells:
        t = c.tally
        writer.writerow([_cell(c.department), _cell(c.department_name), _cell(c.type_id), _cell(c.name), t.held,
                         t.valid, t.expiring, t.in_grace, t.expired, t.revoked, percent(c.share_valid),
                         c.lapsing_total, *c.lapsing])
    return out.getvalue()


async def department_names(svc: Services) -> dict[str, str]:
    """Every department's name by its code."""
    rows = await svc.pool.fetch("SELECT code, name FROM departments ORDER BY name")
    return {r["code"]: r["name"] for r in rows}


async def compliance_report(svc: Services, login: str, *, department: str | None = None) -> ComplianceReport:
    """The organisation's compliance today (HR reviewers and admins), optionally of one department.

    Raises:
        Forbidden: The caller is not HR or an admin.
        Invalid: No such department.
    """
    user = await get_user(svc, login)
    require_hr(user)
    names = await department_names(svc)
    if department and department not in names:
        raise Invalid(f"there is no department {department!r}")
    async with svc.pool.acquire() as conn:
        certs = await store.all_current(conn, department=department or None)
    return compliance(certs, today(), department_names=names, department=department or None)


async def type_versions(svc: Services, login: str, type_id: str) -> list[CertificationType]:
    """Every version of a certification type, latest first (HR reviewers and admins).

    Raises:
        Forbidden: The caller is not HR or an admin.
        NotFound: No such type.
    """
    user = await get_user(svc, login)
    if user.role not in ("reviewer", "admin"):
        raise Forbidden("only HR reviewers and admins see a certification type's versions")
    async with svc.pool.acquire() as conn:
        found = await store.type_history(conn, type_id)
    if not found:
        raise NotFound(f"no certification type {type_id!r}")
    return found
