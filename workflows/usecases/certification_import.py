"""Import certifications (HR reviewers and admins): a registry's CSV or JSON Lines export, or Open Badges. The file
is checked whole (every bad line named, nothing written), written in one transaction with its audit event, then
the cadence of each certification it changed is started or re-planned."""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel
from temporalio.exceptions import TemporalError

from infra import audit
from infra.telemetry import current_trace_id
from tools.certifications import badges, import_file
from tools.certifications.import_file import CertificationFileError, CertificationRow
from workflows.usecases import certifications
from workflows.usecases.context import Services
from workflows.usecases.errors import Forbidden, Invalid, ServiceError
from workflows.usecases.users import get_user

ImportFormat = Literal["csv", "jsonl", "badge"]
MAX_CHARS = 20 * 1024 * 1024
"""Largest file taken at once (characters)."""
MAX_SOURCE = 200
"""Longest source name."""
AUDITED_IDS = 500
"""At most this many certification ids are listed in the audit event (the count is always there)."""


class CertificationImportInvalid(Invalid):
    """A file refused whole; ``problems`` names each bad line (or credential), in file order."""

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems


class CertificationImportResult(BaseModel):
    """What an import did."""

    source: str
    """The file (or system) it came from."""
    file_format: ImportFormat
    """CSV, JSON Lines or Open Badges."""
    rows: int
    """Certification records the file held."""
    added: int
    """New certifications."""
    updated: int
    """Current periods corrected."""
    renewed: int
    """Later periods recorded (the earlier ones are kept)."""
    unchanged: int
    """Records already there (or older than the period in force)."""
    certification_ids: list[str]
    """The certifications changed."""
    replanned: int
    """Cadences (reminder schedules) started or re-planned for them."""
    notes: list[str]
    """What the reader should know: badges not verified, cadences not re-planned and why."""


def _rows(text: str, file_format: ImportFormat) -> list[CertificationRow]:
    if file_format == "badge":
        return badges.parse_badges(text)
    return import_file.parse(text, file_format)


def _source(source: str) -> str:
    name = " ".join(source.split())
    if not name or len(name) > MAX_SOURCE or import_file.has_control_characters(name):
        raise Invalid(f"name the file or system the certifications come from (1-{MAX_SOURCE} characters)")
    return name


async def import_certifications(svc: Services, login: str, *, text: str, file_format: ImportFormat,
                                source: str) -> CertificationImportResult:
    """Import a file of certifications whole or not at all; re-importing it changes nothing, a later issue date
    records a renewal. Then start or re-plan the cadence of what changed (when Temporal is reachable; otherwise the
    daily reconciliation does, and the result says so).

    Raises:
        NotFound: ``login`` is no user.
        Forbidden: The caller is neither an HR reviewer nor an admin.
        Invalid: The source or format is not acceptable, or the file is too large.
        CertificationImportInvalid: The file has bad lines (each one named); nothing was written.
    """
    user = await get_user(svc, login)
    if user.role not in ("reviewer", "admin"):
        raise Forbidden("only HR reviewers and admins import certifications")
    name = _source(source)
    if file_format not in ("csv", "jsonl", "badge"):
        raise Invalid(f"unknown format {file_format!r}; use csv, jsonl or badge")
    if len(text) > MAX_CHARS:
        raise Invalid(f"{name} is larger than {MAX_CHARS // (1024 * 1024)} MiB")
    try:
        rows = _rows(text, file_format)
        async with svc.pool.acquire() as conn, conn.transaction():
            done = await import_file.store(conn, rows, source=name)
            payload = {"source": name, "format": file_format,
                       "sha256": hashlib.sha256(text.encode()).hexdigest(), "rows": len(rows), "added": done.added,
                       "updated": done.updated, "renewed": done.renewed, "unchanged": done.unchanged,
                       "certification_ids": done.certification_ids[:AUDITED_IDS]}
            await audit.append(conn, audit.AuditEvent(
                actor_type="human", actor=user.login, actor_role=user.role, action="certifications.imported",
                args_hash=audit.args_hash({k: payload[k] for k in ("source", "format", "sha256")}),
                payload=payload, trace_id=current_trace_id()))
    except CertificationFileError as err:
        raise CertificationImportInvalid(str(err), err.problems) from err
    notes = [badges.NOT_VERIFIED] if file_format == "badge" else []
    replanned, why = await _replan(svc, done.certification_ids)
    if why:
        notes.append(why)
    return CertificationImportResult(
        source=name, file_format=file_format, rows=len(rows), added=done.added, updated=done.updated,
        renewed=done.renewed, unchanged=done.unchanged, certification_ids=done.certification_ids,
        replanned=replanned, notes=notes)


async def _replan(svc: Services, ids: list[str]) -> tuple[int, str | None]:
    """Start or re-plan the cadences of ``ids``; how many, and why not all (the import stays stored)."""
    if not ids:
        return 0, None
    if svc.client is None:
        return 0, (f"Reminders for the {len(ids)} changed certification(s) were not planned (Temporal is not "
                   "connected); the daily reconciliation plans them.")
    replanned = 0
    for done, cert_id in enumerate(ids):
        try:
            replanned += await certifications.replan(svc, [cert_id])
        except (TemporalError, ServiceError, TimeoutError) as err:
            return replanned, (f"Reminders for {len(ids) - done} changed certification(s) were not planned "
                               f"({getattr(err, 'message', None) or err}); the import is stored and the daily "
                               "reconciliation plans them.")
    return replanned, None
