"""API models: certifications (yours, your team's, one with its renewals), renewals submitted with the renewed
certificate, HR's compliance report, the catalogue of certification types (versioned) and the import of a
certification registry."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import BaseModel, Field, field_validator

from infra.store.certifications import CertificationType, CertificationTypeBase, Renewal
from review_console.api.models.common import ID_MAX, Name
from workflows.usecases.certification_import import CertificationImportResult
from workflows.usecases.certification_reports import ComplianceReport
from workflows.usecases.certifications import Standing

CREDENTIAL_MAX = 200
"""Longest credential id a renewal may carry."""
CertificationIdPath = Annotated[str, Path(max_length=2 * ID_MAX + 8,
                                          description="Certification id (``cert-E0103-cissp``).")]
RenewalIdPath = Annotated[str, Path(max_length=ID_MAX, description="Renewal id (``ren-…``).")]
TypeIdPath = Annotated[str, Path(max_length=ID_MAX, description="Certification type id, a slug (``cissp``).")]
LAPSING_MAX_DAYS = 730
"""Farthest ahead ``lapsing_within`` looks."""


class CertificationPublic(Standing):
    """A certification as people see it: the certification (type, issuer, holder, credential id, every period
    latest first, whether a renewal waits), where it stands today (``status``: valid, expiring within 90 days,
    in_grace, expired or revoked; ``status_words`` says it in words), its expiry day, days left (negative once
    lapsed), the last day of its grace, and whether its holder may submit a renewal now."""


class RenewalPublic(Renewal):
    """A renewal a holder submitted: the new certificate's dates and credential id, the evidence file (its name;
    ``evidence_url`` serves it), who submitted it when, and its verification (``submitted``: waiting;
    ``verified``; ``rejected`` with the reason)."""

    evidence_url: str
    """Where the evidence file is served (``GET``; the holder, their line manager, HR and admins)."""

    @classmethod
    def of(cls, renewal: Renewal) -> RenewalPublic:
        """The public form of a stored renewal."""
        return cls(**renewal.model_dump(), evidence_url=f"/api/renewals/{renewal.renewal_id}/evidence")


class CertificationDetailPublic(BaseModel):
    """One certification with its renewals, latest first."""

    certification: CertificationPublic
    """The certification and where it stands."""
    renewals: list[RenewalPublic]
    """Every renewal submitted for it, latest first."""


class TeamParams(BaseModel):
    """Filter of your team's certifications (query string)."""

    lapsing_within: int | None = Field(default=None, ge=0, le=LAPSING_MAX_DAYS)
    """Only those expiring within this many days, or lapsed and still in grace, soonest first (92: the next
    quarter); none: all of them."""


TeamQueryParams = Annotated[TeamParams, Query()]


class ComplianceParams(BaseModel):
    """Filter of the compliance report (query string)."""

    department: Name | None = None
    """Only this department (its code, ``payments``); none: every department."""


ComplianceQueryParams = Annotated[ComplianceParams, Query()]


class CompliancePublic(ComplianceReport):
    """Compliance today: per department and type (``cells``), per department, per type and overall, how many
    certifications are held, valid (counting those expiring within 90 days: they hold until their expiry day),
    lapsed in grace, expired and revoked, with the share valid (0 to 1); and per type what lapses in each of the 12
    months ahead (``months``: the first day of each, the current month first)."""


class CertificationTypePublic(CertificationType):
    """A version of a certification type: its name, issuer, validity (months; none: it never expires), grace days,
    renewal lead days, the skills it evidences, the words in a task that call for it, whether it is retired, and
    who saved the version when."""


class CertificationTypeUpdate(CertificationTypeBase):
    """A certification type as it should be from now on (``PUT`` adds a version when anything changed; periods
    keep the version they were issued under)."""

    @field_validator("name", "issuer")
    @classmethod
    def _named(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("give a name that is not only spaces")
        return value

    @field_validator("skills")
    @classmethod
    def _skills(cls, value: list[str]) -> list[str]:
        return [s for s in (" ".join(v.split()) for v in value) if s]

    def edit(self) -> CertificationTypeBase:
        """The edit as the use case takes it (a plain ``CertificationTypeBase``: an unchanged type compares equal
        to its version in force, so it adds no version)."""
        return CertificationTypeBase.model_validate(self.model_dump())


class CertificationTypeSaved(BaseModel):
    """A certification type after a ``PUT``."""

    type_id: str
    """The type."""
    version: int
    """The version in force now."""
    changed: bool
    """Whether a version was added (false: it was already so)."""


class CertificationImportedPublic(CertificationImportResult):
    """What an import of a certification registry did: the file's name and format, how many records it held, how
    many certifications it added, corrected (``updated``), renewed (a later period, the earlier kept) and left
    unchanged, the certifications changed, how many reminder schedules were started or re-planned, and notes for
    the reader (badges not verified, schedules left to the daily reconciliation)."""
