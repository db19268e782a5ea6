"""``talentops certifications ...``: import a registry's export or Open Badges (HR and admins), list the types, and
your own certifications. Commands that act as someone sign in with their password (``--as``; prompted for, or
``--password-stdin``)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from infra.settings import get_settings
from infra.store.certifications import CertificationType
from workers import runtime_file
from workers.cli.common import (
    AsOpt,
    JsonOpt,
    PasswordStdinOpt,
    authenticate,
    connect,
    day,
    emit_json,
    fail,
    finish,
    read_password,
    run,
)
from workflows.usecases import certifications
from workflows.usecases.certification_import import (
    CertificationImportInvalid,
    CertificationImportResult,
    import_certifications,
)

certifications_app = typer.Typer(no_args_is_help=True, help="Certifications: import, types, your own.")

EXIT_CODES = ("Exit codes: 1 refused (wrong login or password, not HR or an admin, bad lines in the file: each is "
              "named); 4 no such user; 2 a usage error (no such file, unknown format).")


class Format(StrEnum):
    """What the file holds."""

    csv = "csv"
    jsonl = "jsonl"
    badge = "badge"


def format_of(file: Path) -> Format | None:
    """The format a file's name says (``.csv``; ``.jsonl``/``.ndjson``; ``.json``/``.jwt`` are Open Badges)."""
    suffix = file.suffix.lower()
    return {".csv": Format.csv, ".jsonl": Format.jsonl, ".ndjson": Format.jsonl, ".json": Format.badge,
            ".jwt": Format.badge}.get(suffix)


def _temporal_known() -> bool:
    """Whether a Temporal server is configured or a running ``talentops up`` recorded one."""
    settings = get_settings()
    return bool(settings.temporal_address or (runtime_file.read(settings) or {}).get("temporal_address"))


@certifications_app.command("import", epilog=EXIT_CODES)
def certifications_import(
    file: Path, login: AsOpt,
    file_format: Annotated[Format | None, typer.Option(
        "--format", help="csv, jsonl or badge (Open Badges JSON); default: from the file's name.")] = None,
    source: Annotated[str | None, typer.Option(help="Where it comes from (default: the file's name).")] = None,
    password_stdin: PasswordStdinOpt = False, as_json: JsonOpt = False,
) -> None:
    """Import certifications (CSV or JSON Lines columns: employee_id or email, type_id or type_name, credential_id,
    issued_on, expires_on, evidence_ref; or Open Badges): checked whole, written in one transaction, re-imports
    change nothing, a later issue date is a renewal. Then the reminders of what changed are planned."""
    fmt = file_format or format_of(file)
    if not file.is_file():
        fail(f"{file}: no such file", 2)
    if fmt is None:
        fail(f"{file.name}: say what it holds with --format csv, jsonl or badge", 2)
        return
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        fail(f"{file.name} is not UTF-8 text (byte {err.start}); nothing was imported", 2)
        return
    password = read_password(login, from_stdin=password_stdin)

    async def go() -> CertificationImportResult | CertificationImportInvalid:
        async with connect(temporal=_temporal_known()) as svc:
            user = await authenticate(svc, login, password, unchanged="nothing was imported")
            try:
                return await import_certifications(svc, user.login, text=text, file_format=fmt.value,
                                                   source=source or file.name)
            except CertificationImportInvalid as err:
                return err

    result = run(go)
    if isinstance(result, CertificationImportInvalid):
        if as_json:
            emit_json({"error": result.message, "problems": result.problems})
        print(f"error: {file.name} was not imported; {len(result.problems)} problem(s):", file=sys.stderr)
        for problem in result.problems:
            print(f"  {problem}", file=sys.stderr)
        fail("fix the lines above and import the file again (nothing was written)")
        return
    if as_json:
        emit_json(result)
        finish()
    print(f"imported {result.source}: {result.added} new, {result.renewed} renewed, {result.updated} corrected,"
          f" {result.unchanged} unchanged; reminders planned for {result.replanned}")
    for note in result.notes:
        print(f"note: {note}")
    finish()


@certifications_app.command("types")
def certifications_types(
    retired: Annotated[bool, typer.Option("--retired", help="Also the retired types.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """The certification types (latest versions): id, name, issuer, how long each is valid."""

    async def go() -> list[CertificationType]:
        async with connect(temporal=False) as svc:
            return await certifications.certification_types(svc, include_retired=retired)

    types = run(go)
    if as_json:
        emit_json(types)
        finish()
    if not types:
        print("No certification types yet.")
    for t in types:
        valid = f"valid {t.validity_months} months" if t.validity_months else "never expires"
        grace = f", grace {t.grace_days} days" if t.grace_days else ""
        print(f"{t.type_id:<28} {t.name} ({t.issuer}): {valid}{grace}{' [retired]' if t.retired else ''}")
    finish()


@certifications_app.command("list", epilog="Exit codes: 1 wrong login or password; 4 no such user.")
def certifications_list(login: AsOpt, password_stdin: PasswordStdinOpt = False, as_json: JsonOpt = False) -> None:
    """Your certifications: where each stands today (valid, expiring, lapsed in grace, expired), soonest first."""
    password = read_password(login, from_stdin=password_stdin)

    async def go() -> list[certifications.Standing]:
        async with connect(temporal=False) as svc:
            user = await authenticate(svc, login, password)
            return await certifications.my_certifications(svc, user.login)

    rows = sorted(run(go), key=lambda s: (s.days_left is None, s.days_left or 0))
    if as_json:
        emit_json(rows)
        finish()
    if not rows:
        print("You hold no certification on record.")
    for s in rows:
        c = s.certification
        if s.expires_on is None:
            when = "never expires"
        elif s.days_left is not None and s.days_left >= 0:
            when = f"expires {day(s.expires_on)} ({s.days_left} days)"
        else:
            when = f"expired {day(s.expires_on)}" + (f", grace until {day(s.grace_ends_on)}"
                                                      if s.status == "in_grace" and s.grace_ends_on else "")
        print(f"{c.certification_id:<40} {s.status_words:<18} {c.name} ({c.issuer}): {when}")
    finish()
