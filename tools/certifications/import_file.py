"""Import certifications from a registry's export: CSV or JSON Lines, validated whole before anything is written.

Each line (or CSV row) is one certification period of one person:

* ``employee_id`` or ``email`` (either; both must then name the same person);
* ``type_id``: the type's id or its exact name (a ``type_name`` column may carry the name instead);
* ``credential_id`` (optional): the issuer's id of the credential;
* ``issued_on``: the issue date, ``YYYY-MM-DD``;
* ``expires_on`` (optional): when missing it is the issue date plus the type's validity (none for a type that
  never expires);
* ``evidence_ref`` (optional): where the record comes from (defaults to the file's name).

A file with any bad line is refused with every problem named by its line, including those only the database can
tell (an unknown person or type): they are checked before anything is written. A good file is written in one
transaction. Importing the same file again changes nothing; a later issue date for the same person and type
records a new period (a renewal) and keeps the earlier one. Two lines for the same person, type and issue date are
a duplicate; lines with different issue dates are the certification's history and are recorded oldest first.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from infra.db import Connection
from infra.store import certifications as store_
from infra.store.certifications import CertificationType, PeriodIn
from tools.certifications.catalogue import valid_until
from tools.file_rows import jsonl_rows

MAX_ROWS = 20_000
"""Certifications one file may hold."""
MAX_TEXT = 500
"""Longest credential id or evidence reference."""
FileFormat = Literal["csv", "jsonl"]
Outcome = Literal["added", "updated", "renewed", "unchanged"]
_FIELDS = ("employee_id", "email", "type_id", "type_name", "credential_id", "issued_on", "expires_on",
           "evidence_ref")


class CertificationFileError(ValueError):
    """The file cannot be imported; ``problems`` name each bad line, in line order."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s); nothing was imported: " + "; ".join(problems[:20]))
        self.problems = problems


@dataclass(frozen=True, kw_only=True)
class CertificationRow:
    """One certification period a file states, before the people and types it names are looked up."""

    where: str
    """Where it is in the file, for problems (``line 7``, ``credential 2``)."""
    employee_id: str | None
    """The holder's employee id, when the file gives it."""
    email: str | None
    """The holder's e-mail (or, with ``identity_salt``, its salted hash ``sha256$…`` or ``md5$…``)."""
    type_ref: str
    """The type's id or exact name."""
    credential_id: str | None
    """The issuer's credential id."""
    issued_on: date
    """Issued."""
    expires_on: date | None
    """Expires (None: as the type's validity says)."""
    evidence_ref: str | None
    """Where the record comes from (None: the file)."""
    evidence_kind: Literal["import", "badge"] = "import"
    """An export's line or an Open Badge."""
    identity_salt: str | None = None
    """The salt of a hashed e-mail (Open Badges' hashed recipients)."""


@dataclass(kw_only=True)
class ImportResult:
    """What an import did."""

    added: int = 0
    """New certifications."""
    updated: int = 0
    """Current periods corrected (dates, evidence or credential id)."""
    renewed: int = 0
    """Later periods recorded for certifications already there."""
    unchanged: int = 0
    """Lines that changed nothing (already recorded, or older than the period in force)."""
    certification_ids: list[str] = field(default_factory=list)
    """The certifications changed, each once, in the order first changed."""


def today_utc() -> date:
    """Today (UTC)."""
    return datetime.now(UTC).date()


def line_number(problem: str) -> int:
    """The line (or credential) number a problem names, for sorting."""
    found = re.match(r"(?:line|credential) (\d+)", problem)
    return int(found.group(1)) if found else 0


def has_control_characters(value: str) -> bool:
    """Whether a string holds a control character other than tab (Postgres refuses NUL; no person typed one)."""
    return any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in value)


def parse_day(value: Any, name: str) -> date:
    """A date written ``YYYY-MM-DD`` (a timestamp's date part is taken too).

    Raises:
        ValueError: ``"<name>: not a date (<value>)"``.
    """
    text = str(value).strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        raise ValueError(f"{name}: not a date ({text[:40]}); write it as YYYY-MM-DD") from None


def _text(raw: Mapping[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{name}: expected text, got {type(value).__name__}")
    text = str(value).strip()
    if has_control_characters(text):
        raise ValueError(f"{name}: control characters (such as NUL)")
    if len(text) > MAX_TEXT:
        raise ValueError(f"{name}: longer than {MAX_TEXT} characters")
    return text or None


def row_from(raw: Mapping[str, Any], where: str, *, today: date) -> CertificationRow:
    """One row from a line's fields.

    Raises:
        ValueError: Naming every problem of the line (``; ``-separated).
    """
    problems: list[str] = []
    values: dict[str, str | None] = {}
    for name in _FIELDS:
        try:
            values[name] = _text(raw, name)
        except ValueError as err:
            problems.append(str(err))
    if not values.get("employee_id") and not values.get("email"):
        problems.append("employee_id or email: missing")
    type_ref = values.get("type_id") or values.get("type_name")
    if not type_ref:
        problems.append("type_id: missing")
    issued = expires = None
    if not values.get("issued_on"):
        problems.append("issued_on: missing")
    else:
        try:
            issued = parse_day(values["issued_on"], "issued_on")
        except ValueError as err:
            problems.append(str(err))
    if values.get("expires_on"):
        try:
            expires = parse_day(values["expires_on"], "expires_on")
        except ValueError as err:
            problems.append(str(err))
    if issued is not None and issued > today:
        problems.append(f"issued_on: {issued} is in the future")
    if issued is not None and expires is not None and expires <= issued:
        problems.append(f"expires_on: {expires} is not after issued_on {issued}")
    if problems or issued is None or not type_ref:
        raise ValueError("; ".join(problems))
    return CertificationRow(where=where, employee_id=values["employee_id"], email=values["email"], type_ref=type_ref,
                            credential_id=values["credential_id"], issued_on=issued, expires_on=expires,
                            evidence_ref=values["evidence_ref"])


def _duplicates(rows: Iterable[tuple[str, tuple[str, str, date]]]) -> list[str]:
    """``<where>: duplicate of <where>`` for each repeated key (person, type, issue date)."""
    seen: dict[tuple[str, str, date], str] = {}
    problems: list[str] = []
    for where, key in rows:
        if key in seen:
            problems.append(f"{where}: duplicate of {seen[key]} (same person, type and issue date)")
        else:
            seen[key] = where
    return problems


def _lines(text: str, file_format: FileFormat) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """The raw rows of a file by line number, and the lines that are not rows."""
    rows: list[tuple[int, dict[str, Any]]] = []
    problems: list[str] = []
    if file_format == "jsonl":
        rows, problems = jsonl_rows(text)
        return rows, problems
    reader = csv.DictReader(io.StringIO(text))
    header = {h.strip() for h in reader.fieldnames or [] if h}
    missing = [f"{' or '.join(names)}" for names in (("employee_id", "email"), ("type_id", "type_name"),
                                                     ("issued_on",)) if not header & set(names)]
    if missing:
        raise CertificationFileError([f"line 1: the header lacks {', '.join(missing)}"])
    for row in reader:
        values = {(k or "").strip(): v for k, v in row.items() if k and v not in (None, "")}
        if any(isinstance(v, list) for v in row.values()) or None in row:
            problems.append(f"line {reader.line_num}: more values than the header has columns")
            continue
        rows.append((reader.line_num, values))
    return rows, problems


def parse(text: str, file_format: FileFormat, *, today: date | None = None) -> list[CertificationRow]:
    """The certifications of a CSV or JSON Lines file.

    Raises:
        CertificationFileError: Naming every bad line (nothing is imported from such a file).
    """
    today = today or today_utc()
    raw, problems = _lines(text, file_format)
    if len(raw) > MAX_ROWS:
        raise CertificationFileError([f"the file has {len(raw)} certifications; at most {MAX_ROWS} at once"])
    rows: list[CertificationRow] = []
    for n, values in raw:
        try:
            rows.append(row_from(values, f"line {n}", today=today))
        except ValueError as err:
            problems.append(f"line {n}: {err}")
    problems += _duplicates((r.where, ((r.employee_id or r.email or "").casefold(), r.type_ref.casefold(),
                                       r.issued_on)) for r in rows)
    if not raw and not problems:
        problems.append("the file has no certifications")
    if problems:
        raise CertificationFileError(sorted(problems, key=line_number))
    return rows


def _name_key(name: str) -> str:
    """A type's name as compared: case, spacing and the kind of dash aside."""
    return " ".join(name.casefold().replace("\u2013", "-").replace("\u2014", "-").split())


@dataclass(frozen=True, kw_only=True)
class _Resolved:
    """A row with the person and type it names."""

    row: CertificationRow
    """The row."""
    employee_id: str
    """The holder."""
    ctype: CertificationType
    """The type (latest version)."""
    expires_on: date | None
    """The row's expiry, or the one the type's validity gives."""


async def _resolve(conn: Connection, rows: list[CertificationRow]) -> list[_Resolved]:
    """The people and types the rows name, and each period's expiry.

    Raises:
        CertificationFileError: Naming every row whose person or type is unknown (or duplicated once resolved).
    """
    ids = sorted({r.employee_id for r in rows if r.employee_id})
    emails = sorted({r.email.casefold() for r in rows if r.email and r.identity_salt is None})
    hashed = any(r.identity_salt is not None for r in rows)
    found = await conn.fetch(
        "SELECT employee_id, lower(email) AS email FROM employees WHERE $3 OR employee_id = ANY($1::text[])"
        " OR lower(email) = ANY($2::text[])", ids, emails, hashed)
    by_id = {r["employee_id"]: r["email"] for r in found}
    by_email = {r["email"]: r["employee_id"] for r in found if r["email"]}
    types = await store_.current_types(conn, include_retired=True)
    by_ref = {_name_key(t.name): t for t in types} | {t.type_id: t for t in types}
    problems: list[str] = []
    resolved: list[_Resolved] = []
    for row in rows:
        employee_id, why = _employee(row, by_id, by_email)
        ctype = by_ref.get(row.type_ref) or by_ref.get(_name_key(row.type_ref))
        if why:
            problems.append(f"{row.where}: {why}")
        if ctype is None:
            problems.append(f"{row.where}: unknown certification type {row.type_ref!r}"
                            " (see `talentops certifications types` for ids and names)")
        if ctype is not None and employee_id is not None:
            expires = row.expires_on or valid_until(row.issued_on, ctype.validity_months)
            resolved.append(_Resolved(row=row, employee_id=employee_id, ctype=ctype, expires_on=expires))
    problems += _duplicates((r.row.where, (r.employee_id, r.ctype.type_id, r.row.issued_on)) for r in resolved)
    if problems:
        raise CertificationFileError(sorted(problems, key=line_number))
    return resolved


def _employee(row: CertificationRow, by_id: Mapping[str, str],
              by_email: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The employee id a row names, or None and why it names nobody."""
    if row.identity_salt is not None and row.email:
        algorithm, _, wanted = row.email.partition("$")
        if algorithm.lower() not in ("sha256", "md5"):
            return None, f"the recipient is hashed with {algorithm!r}; only sha256 and md5 are read"
        for email, eid in by_email.items():
            if hashlib.new(algorithm.lower(), (email + row.identity_salt).encode()).hexdigest() == wanted.lower():
                return eid, None
        return None, "no employee's e-mail matches the hashed recipient"
    if row.employee_id:
        if row.employee_id not in by_id:
            return None, f"unknown employee {row.employee_id!r}"
        if row.email and by_id[row.employee_id] != row.email.casefold():
            return None, f"employee {row.employee_id!r} does not have the e-mail {row.email!r}"
        return row.employee_id, None
    found = by_email.get((row.email or "").casefold())
    return (found, None) if found else (None, f"no employee has the e-mail {row.email!r}")


async def store(conn: Connection, rows: list[CertificationRow], *, source: str) -> ImportResult:
    """Check that every person and type the rows name exists, then record the rows in one transaction (the
    caller's, when it has one open), each certification's periods oldest first.

    A row's credential id is taken only from the latest row of its certification, and only when that row is not
    older than the period in force: history never overwrites the current credential.

    Raises:
        CertificationFileError: Naming every unknown person or type; nothing is written.
    """
    resolved = sorted(await _resolve(conn, rows), key=lambda r: (r.employee_id, r.ctype.type_id, r.row.issued_on))
    cert_ids = [store_.certification_id(r.employee_id, r.ctype.type_id) for r in resolved]
    in_force = {r["certification_id"]: (r["issued_on"], r["credential_id"]) for r in await conn.fetch(
        "SELECT c.certification_id, c.credential_id, (SELECT max(p.issued_on) FROM certification_periods p"
        " WHERE p.certification_id = c.certification_id) AS issued_on FROM certifications c"
        " WHERE c.certification_id = ANY($1::text[])", sorted(set(cert_ids)))}
    latest_in_file = {cert_id: i for i, cert_id in enumerate(cert_ids)}  # sorted: the last row is the latest
    result = ImportResult()
    async with conn.transaction():
        for i, (r, cert_id) in enumerate(zip(resolved, cert_ids, strict=True)):
            issued_before, credential_before = in_force.get(cert_id, (None, None))
            current = latest_in_file[cert_id] == i and (issued_before is None or r.row.issued_on >= issued_before)
            credential = r.row.credential_id if current else None
            period = PeriodIn(issued_on=r.row.issued_on, expires_on=r.expires_on, evidence_kind=r.row.evidence_kind,
                              evidence_ref=r.row.evidence_ref or source)
            _, outcome = await store_.record(conn, employee_id=r.employee_id, type_id=r.ctype.type_id,
                                             credential_id=credential, period=period, source=source)
            if outcome == "unchanged" and credential is not None and cert_id in in_force \
                    and credential != credential_before:
                outcome = "updated"  # only the credential id changed
            _count(result, cert_id, outcome)
    return result


def _count(result: ImportResult, cert_id: str, outcome: Outcome) -> None:
    setattr(result, outcome, getattr(result, outcome) + 1)
    if outcome != "unchanged" and cert_id not in result.certification_ids:
        result.certification_ids.append(cert_id)
