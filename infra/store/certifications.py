"""Certifications (tables ``certification_types``, ``certifications``, ``certification_periods``,
``certification_renewals``, ``task_certifications``, ``certification_flags``): the catalogue of types (versioned),
each person's certifications with every period of validity kept, and what tasks need."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from infra.db import Connection, Queryable

EvidenceKind = Literal["import", "file", "reviewer", "badge", "demo"]
RenewalStatus = Literal["submitted", "verified", "rejected"]
FlagStatus = Literal["open", "kept", "replaced", "paused", "resolved"]
FlagOutcome = Literal["keep", "replace", "pause"]
"""What HR decides for a flagged assignment."""
TYPE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


def certification_id(employee_id: str, type_id: str) -> str:
    """The id of one person's certification of one type."""
    return f"cert-{employee_id}-{type_id}"


class CertificationTypeBase(BaseModel):
    """A kind of certification, as an admin edits it."""

    name: str = Field(min_length=1, max_length=200)
    """What it is called (``CISSP``)."""
    issuer: str = Field(min_length=1, max_length=200)
    """Who issues it."""
    validity_months: int | None = Field(default=None, ge=1, le=240)
    """How long a period lasts (None: it never expires)."""
    grace_days: int = Field(default=0, ge=0, le=365)
    """Days after expiry it may still be renewed without starting over."""
    renewal_lead_days: int = Field(default=60, ge=0, le=730)
    """How long a renewal usually takes (the matcher's "can renew in time")."""
    skills: list[str] = Field(default_factory=list, max_length=20)
    """Skills a valid certification evidences."""
    keywords: list[str] = Field(default_factory=list, max_length=20)
    """Words in a task that call for it (lower case)."""
    retired: bool = False
    """No longer offered or required."""

    @field_validator("keywords")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [k.strip().lower() for k in value if k.strip()]


class CertificationType(CertificationTypeBase):
    """A version of a certification type."""

    type_id: str = Field(pattern=TYPE_ID.pattern)
    """Stable id (``cissp``)."""
    version: int = 1
    """Edits add versions; the latest is in force."""
    edited_by: str = "system"
    """Who made this version."""
    edited_at: datetime | None = None
    """When."""


class Period(BaseModel):
    """One period of validity of a certification."""

    period: int
    """1 for the first, then one more per renewal."""
    type_version: int
    """The type's version it runs under."""
    issued_on: date
    """Issued."""
    expires_on: date | None
    """Expires (None: never)."""
    grace_days: int
    """Grace after expiry."""
    evidence_kind: EvidenceKind
    """Where it came from."""
    evidence_ref: str | None
    """The file, badge or import behind it."""
    confirmed_by: str | None
    """Who confirmed a renewal."""
    recorded_at: datetime
    """When it was recorded."""


class Certification(BaseModel):
    """A person's certification of one type, with its periods (latest first) and its status today."""

    certification_id: str
    """Id."""
    employee_id: str
    """Holder."""
    employee_name: str
    """Holder's name."""
    department: str | None
    """Holder's department."""
    manager_id: str | None
    """Holder's line manager."""
    type_id: str
    """Type."""
    name: str
    """Type's name."""
    issuer: str
    """Issuer."""
    renewal_lead_days: int
    """How long a renewal usually takes."""
    credential_id: str | None
    """The issuer's credential id."""
    revoked_on: date | None
    """Revoked (None: not)."""
    revoked_reason: str | None
    """Why."""
    periods: list[Period]
    """Every period, latest first."""
    renewal_pending: bool = False
    """A renewal waits for verification."""

    @property
    def current(self) -> Period:
        """The period in force (the latest)."""
        return self.periods[0]


_TYPE_COLUMNS = ("type_id, version, name, issuer, validity_months, grace_days, renewal_lead_days, skills, keywords,"
                 " retired, edited_by, edited_at")


async def current_types(conn: Queryable, *, include_retired: bool = False) -> list[CertificationType]:
    """The latest version of every type, by name."""
    rows = await conn.fetch(
        f"SELECT * FROM (SELECT DISTINCT ON (type_id) {_TYPE_COLUMNS} FROM certification_types"
        " ORDER BY type_id, version DESC) t" + ("" if include_retired else " WHERE NOT retired") + " ORDER BY name")
    return [CertificationType.model_validate(dict(r)) for r in rows]


async def get_type(conn: Queryable, type_id: str) -> CertificationType | None:
    """The latest version of a type."""
    row = await conn.fetchrow(f"SELECT {_TYPE_COLUMNS} FROM certification_types WHERE type_id = $1"
                              " ORDER BY version DESC LIMIT 1", type_id)
    return CertificationType.model_validate(dict(row)) if row is not None else None


async def type_history(conn: Queryable, type_id: str) -> list[CertificationType]:
    """Every version of a type, latest first."""
    rows = await conn.fetch(f"SELECT {_TYPE_COLUMNS} FROM certification_types WHERE type_id = $1"
                            " ORDER BY version DESC", type_id)
    return [CertificationType.model_validate(dict(r)) for r in rows]


async def save_type(conn: Connection, type_id: str, edit: CertificationTypeBase, *, edited_by: str) -> int | None:
    """Add a version of a type when it differs from the latest; the new version (None: nothing changed)."""
    latest = await get_type(conn, type_id)
    fields = set(CertificationTypeBase.model_fields)
    if latest is not None and latest.model_dump(include=fields) == edit.model_dump(include=fields):
        return None
    version = (latest.version + 1) if latest is not None else 1
    await conn.execute(
        "INSERT INTO certification_types (type_id, version, name, issuer, validity_months, grace_days,"
        " renewal_lead_days, skills, keywords, retired, edited_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
        " $11)", type_id, version, edit.name, edit.issuer, edit.validity_months, edit.grace_days,
        edit.renewal_lead_days, edit.skills, edit.keywords, edit.retired, edited_by)
    return version


_CERT_SELECT = (
    "SELECT c.certification_id, c.employee_id, e.name AS employee_name, e.department, e.manager_id, c.type_id,"
    " t.name, t.issuer, t.renewal_lead_days, c.credential_id, c.revoked_on, c.revoked_reason,"
    " EXISTS (SELECT 1 FROM certification_renewals r WHERE r.certification_id = c.certification_id"
    "         AND r.status = 'submitted') AS renewal_pending,"
    " (SELECT jsonb_agg(jsonb_build_object('period', p.period, 'type_version', p.type_version,"
    "   'issued_on', p.issued_on, 'expires_on', p.expires_on, 'grace_days', p.grace_days,"
    "   'evidence_kind', p.evidence_kind, 'evidence_ref', p.evidence_ref, 'confirmed_by', p.confirmed_by,"
    "   'recorded_at', p.recorded_at) ORDER BY p.period DESC)"
    "  FROM certification_periods p WHERE p.certification_id = c.certification_id) AS periods"
    " FROM certifications c JOIN employees e USING (employee_id)"
    " JOIN LATERAL (SELECT name, issuer, renewal_lead_days FROM certification_types ct"
    "   WHERE ct.type_id = c.type_id ORDER BY version DESC LIMIT 1) t ON true")


def _certification(row: object) -> Certification | None:
    data = dict(row)  # type: ignore[call-overload]
    if not data["periods"]:
        return None
    return Certification.model_validate(data)


async def _certifications(conn: Queryable, where: str, *args: object) -> list[Certification]:
    rows = await conn.fetch(f"{_CERT_SELECT} WHERE {where} ORDER BY e.name, t.name", *args)
    return [c for c in (_certification(r) for r in rows) if c is not None]


async def get(conn: Queryable, cert_id: str) -> Certification | None:
    """One certification with its periods."""
    found = await _certifications(conn, "c.certification_id = $1", cert_id)
    return found[0] if found else None


async def of_employee(conn: Queryable, employee_id: str) -> list[Certification]:
    """A person's certifications."""
    return await _certifications(conn, "c.employee_id = $1", employee_id)


async def of_team(conn: Queryable, manager_id: str) -> list[Certification]:
    """The certifications of a line manager's direct reports."""
    return await _certifications(conn, "e.manager_id = $1 AND e.left_on IS NULL", manager_id)


async def all_current(conn: Queryable, *, department: str | None = None) -> list[Certification]:
    """Every certification of people still here (optionally of one department)."""
    if department:
        return await _certifications(conn, "e.left_on IS NULL AND e.department = $1", department)
    return await _certifications(conn, "e.left_on IS NULL")


async def of_employees_and_types(conn: Queryable, employee_ids: Sequence[str],
                                 type_ids: Sequence[str]) -> list[Certification]:
    """The certifications of these people of these types (the matcher's question)."""
    return await _certifications(conn, "c.employee_id = ANY($1::text[]) AND c.type_id = ANY($2::text[])",
                                 list(employee_ids), list(type_ids))


class PeriodIn(BaseModel):
    """A period to record."""

    issued_on: date
    """Issued."""
    expires_on: date | None
    """Expires (None: never)."""
    evidence_kind: EvidenceKind
    """Where it came from."""
    evidence_ref: str | None = None
    """The file, badge or import."""
    confirmed_by: str | None = None
    """Who confirmed it."""
    review_id: str | None = None
    """The review that verified it."""


async def record(conn: Connection, *, employee_id: str, type_id: str, credential_id: str | None, period: PeriodIn,
                 source: str) -> tuple[str, Literal["added", "updated", "renewed", "unchanged"]]:
    """Record a certification as an import (or the demo) states it: a new certification, a correction of its
    current period (same issue day), or a later period (a renewal seen elsewhere). Nothing is overwritten except a
    correction of the current period's dates and evidence."""
    cert_id = certification_id(employee_id, type_id)
    ctype = await get_type(conn, type_id)
    if ctype is None:
        raise ValueError(f"no certification type {type_id!r}")
    inserted = await conn.fetchval(
        "INSERT INTO certifications (certification_id, employee_id, type_id, credential_id, source)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (certification_id) DO NOTHING RETURNING true",
        cert_id, employee_id, type_id, credential_id, source)
    latest = await conn.fetchrow(
        "SELECT period, issued_on, expires_on, evidence_ref FROM certification_periods WHERE certification_id = $1"
        " ORDER BY period DESC LIMIT 1", cert_id)
    if credential_id is not None:
        await conn.execute("UPDATE certifications SET credential_id = $2 WHERE certification_id = $1",
                           cert_id, credential_id)
    if latest is not None and latest["issued_on"] == period.issued_on:
        if latest["expires_on"] == period.expires_on and latest["evidence_ref"] == period.evidence_ref:
            return cert_id, "unchanged"
        await conn.execute(
            "UPDATE certification_periods SET expires_on = $3, evidence_ref = $4 WHERE certification_id = $1"
            " AND period = $2", cert_id, latest["period"], period.expires_on, period.evidence_ref)
        return cert_id, "updated"
    if latest is not None and period.issued_on < latest["issued_on"]:
        return cert_id, "unchanged"  # an older period than the one in force: history we already moved past
    number = (latest["period"] + 1) if latest is not None else 1
    await add_period(conn, cert_id, number, period, type_version=ctype.version, grace_days=ctype.grace_days)
    return cert_id, "added" if inserted else "renewed"


async def add_period(conn: Connection, cert_id: str, number: int, period: PeriodIn, *, type_version: int,
                     grace_days: int) -> None:
    """Store period ``number`` (idempotent: a retried activity stores it once)."""
    await conn.execute(
        "INSERT INTO certification_periods (certification_id, period, type_version, issued_on, expires_on,"
        " grace_days, evidence_kind, evidence_ref, confirmed_by, review_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
        " $9, $10) ON CONFLICT (certification_id, period) DO NOTHING",
        cert_id, number, type_version, period.issued_on, period.expires_on, grace_days, period.evidence_kind,
        period.evidence_ref, period.confirmed_by, period.review_id)


async def revoke(conn: Connection, cert_id: str, *, on: date, reason: str) -> bool:
    """Revoke a certification; False when there is none."""
    done: str = await conn.execute("UPDATE certifications SET revoked_on = $2, revoked_reason = $3"
                                   " WHERE certification_id = $1", cert_id, on, reason)
    return done.endswith(" 1")


class Renewal(BaseModel):
    """Renewal evidence a holder submitted."""

    renewal_id: str
    """Id."""
    certification_id: str
    """Which certification."""
    period: int
    """The period it renews."""
    issued_on: date
    """The new certificate's issue day."""
    expires_on: date | None
    """Its expiry day."""
    credential_id: str | None
    """Its credential id."""
    evidence_ref: str
    """The uploaded file (its id)."""
    evidence_name: str
    """The file's name."""
    submitted_by: str
    """Who submitted it."""
    submitted_at: datetime
    """When."""
    status: RenewalStatus
    """Waiting, verified or rejected."""
    review_id: str | None
    """The verification's review, when a reviewer saw it."""
    decided_reason: str | None
    """Why it was rejected (or how it was verified)."""


async def add_renewal(conn: Connection, r: Renewal) -> None:
    """Store a submitted renewal (the unique index refuses a second open one for the same period)."""
    await conn.execute(
        "INSERT INTO certification_renewals (renewal_id, certification_id, period, issued_on, expires_on,"
        " credential_id, evidence_ref, evidence_name, submitted_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        r.renewal_id, r.certification_id, r.period, r.issued_on, r.expires_on, r.credential_id, r.evidence_ref,
        r.evidence_name, r.submitted_by)


async def get_renewal(conn: Queryable, renewal_id: str) -> Renewal | None:
    """One renewal."""
    row = await conn.fetchrow("SELECT * FROM certification_renewals WHERE renewal_id = $1", renewal_id)
    return Renewal.model_validate(dict(row)) if row is not None else None


async def renewals_of(conn: Queryable, cert_id: str) -> list[Renewal]:
    """A certification's renewals, latest first."""
    rows = await conn.fetch("SELECT * FROM certification_renewals WHERE certification_id = $1"
                            " ORDER BY submitted_at DESC", cert_id)
    return [Renewal.model_validate(dict(r)) for r in rows]


async def decide_renewal(conn: Connection, renewal_id: str, *, status: RenewalStatus, reason: str | None,
                         review_id: str | None) -> bool:
    """Record a renewal's verification; False when it was decided already (a retry)."""
    done: str = await conn.execute(
        "UPDATE certification_renewals SET status = $2, decided_reason = $3, review_id = coalesce($4, review_id),"
        " decided_at = now() WHERE renewal_id = $1 AND status = 'submitted'", renewal_id, status, reason, review_id)
    return done.endswith(" 1")


async def save_file(conn: Connection, *, file_id: str, name: str, content_type: str, content: bytes,
                    uploaded_by: str) -> None:
    """Store an evidence file (by its content hash: the same file twice is stored once)."""
    await conn.execute(
        "INSERT INTO certification_files (file_id, name, content_type, content, uploaded_by)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (file_id) DO NOTHING",
        file_id, name, content_type, content, uploaded_by)


async def get_file(conn: Queryable, file_id: str) -> tuple[str, str, bytes] | None:
    """An evidence file: name, content type, content."""
    row = await conn.fetchrow("SELECT name, content_type, content FROM certification_files WHERE file_id = $1",
                              file_id)
    return (row["name"], row["content_type"], bytes(row["content"])) if row is not None else None


class TaskRequirement(BaseModel):
    """A certification type a task needs."""

    task_id: str
    """Task."""
    type_id: str
    """Type."""
    name: str
    """Type's name."""
    set_by: str
    """``grounding`` or the reviewer who set it."""
    reason: str
    """Why it is needed."""


async def task_requirements(conn: Queryable, goal_id: str) -> list[TaskRequirement]:
    """What certifications a goal's tasks need."""
    rows = await conn.fetch(
        "SELECT tc.task_id, tc.type_id, t.name, tc.set_by, tc.reason FROM task_certifications tc"
        " JOIN LATERAL (SELECT name FROM certification_types ct WHERE ct.type_id = tc.type_id"
        "   ORDER BY version DESC LIMIT 1) t ON true WHERE tc.goal_id = $1 ORDER BY tc.task_id, t.name", goal_id)
    return [TaskRequirement.model_validate(dict(r)) for r in rows]


async def require(conn: Connection, goal_id: str, task_id: str, type_id: str, *, set_by: str, reason: str) -> bool:
    """Record that a task needs a type; False when it was recorded already."""
    done: str = await conn.execute(
        "INSERT INTO task_certifications (goal_id, task_id, type_id, set_by, reason) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT DO NOTHING", goal_id, task_id, type_id, set_by, reason)
    return done.endswith(" 1")


async def unrequire(conn: Connection, goal_id: str, task_id: str, type_id: str) -> bool:
    """Drop a requirement; False when there was none."""
    done: str = await conn.execute(
        "DELETE FROM task_certifications WHERE goal_id = $1 AND task_id = $2 AND type_id = $3",
        goal_id, task_id, type_id)
    return done.endswith(" 1")


class FlagArguments(BaseModel):
    """Exact arguments of ``flag_assignment_certification``: what happens to the assignment."""

    goal_id: str
    """Goal."""
    task_id: str
    """Task."""
    employee_id: str
    """The person."""
    certification_id: str
    """The lapsed certification."""
    period: int
    """Its period that lapsed."""
    outcome: FlagOutcome
    """Keep (with a renewal date), replace, or pause until renewed."""
    renew_by: date | None = None
    """Kept: the day the renewal must be in by."""


class Flag(BaseModel):
    """An assignment flagged because a certification its task needs lapsed."""

    goal_id: str
    """Goal."""
    task_id: str
    """Task."""
    employee_id: str
    """Person."""
    certification_id: str
    """The lapsed certification."""
    period: int
    """Its period that lapsed."""
    review_id: str | None
    """HR's review."""
    status: FlagStatus
    """Open, or what HR decided."""
    renew_by: date | None
    """Kept until this renewal date."""
    decided_by: str | None
    """Who decided."""
    decided_reason: str | None
    """Why."""
    flagged_at: datetime
    """When it was flagged."""


async def flags_of_goal(conn: Queryable, goal_id: str) -> list[Flag]:
    """A goal's certification flags."""
    rows = await conn.fetch("SELECT * FROM certification_flags WHERE goal_id = $1 ORDER BY flagged_at", goal_id)
    return [Flag.model_validate(dict(r)) for r in rows]


async def flags_of_certification(conn: Queryable, cert_id: str) -> list[Flag]:
    """The assignments flagged for one certification."""
    rows = await conn.fetch("SELECT * FROM certification_flags WHERE certification_id = $1 ORDER BY flagged_at",
                            cert_id)
    return [Flag.model_validate(dict(r)) for r in rows]
