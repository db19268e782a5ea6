"""``talentops backup`` and ``talentops restore``: an embedded installation into one file and back
(``infra.backup``)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from infra import backup as backups
from infra.embedded import EmbeddedError
from infra.settings import Settings, get_settings
from workers import runtime_file
from workers.cli.common import JsonOpt, emit_json, fail, finish


def _embedded_only(settings: Settings, verb: str) -> None:
    if settings.database_url or settings.temporal_address:
        fail(f"talentops {verb} covers the embedded installation (Postgres and the Temporal dev server in the data "
             "folder); with TALENTOPS_DATABASE_URL or TALENTOPS_TEMPORAL_ADDRESS set, back up those services with "
             "their own tools (pg_dump, Temporal's persistence backups)")


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _counts(counts: dict[str, Any]) -> str:
    return (f"{_n(counts['goals'], 'goal')}, {_n(counts['reviews'], 'review')} and "
            f"{_n(counts['audit_events'], 'audit event')}")


def backup(
    out: Annotated[Path | None, typer.Option(
        "--out", help="File to write, or an existing folder to write the default name in (default: "
                      "talentops-backup-<UTC time>.tar.gz in the current folder).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Back up the embedded installation (TALENTOPS_DATA_DIR) into one file: the Temporal database, the installation's
    secret and audit checkpoints, and a Postgres dump. Works while `talentops up` runs (consistent snapshots) or
    with nothing running."""
    settings = get_settings()
    _embedded_only(settings, "backup")
    running = runtime_file.read(settings)
    target = (out or Path.cwd()).absolute()
    if target.is_dir():
        target = target / backups.default_name()
    try:
        done = asyncio.run(backups.create_backup(
            settings.data_dir, target, database_url=running.get("database_url") if running else None,
            secret_configured=settings.session_secret is not None))
    except (backups.BackupError, EmbeddedError) as err:
        fail(str(err))
    except OSError as err:
        fail(f"the backup could not be written: {err}")
    m = done.manifest
    if as_json:
        emit_json({"path": str(done.path), "bytes": done.bytes, "manifest": m})
        finish()
    pg, temporal = m["postgres"], m["temporal"]
    head = pg["audit_head"]
    head_words = f" (audit chain head at row {head['seq']})" if head else ""
    executions = ("" if temporal.get("executions") is None
                  else f" ({_n(temporal['executions'], 'workflow execution')})")
    last = pg["migrations"][-1] if pg["migrations"] else "-"
    kept = [words for present, words in (
        ("session_secret" in m["files"], "the installation's secret"),
        (m["secret"] == "configured", "not the installation's secret (it is set by TALENTOPS_SESSION_SECRET: keep it "
                                      "with this backup)"),
        ("audit_checkpoints.jsonl" in m["files"], "the audit chain's signed checkpoints")) if present]
    files = f"; {' and '.join(kept)}" if kept else ""
    print(f"Backed up the {'running' if m['source']['running'] else 'stopped'} installation in {settings.data_dir} "
          f"to {done.path} ({_size(done.bytes)}): the Temporal database{executions}, snapshotted first{files}; "
          f"then the Postgres {pg['server_version']} database '{pg['database']}' with "
          f"{_n(len(pg['migrations']), 'migration')} applied (last {last}), "
          f"{_counts(pg['counts'])}{head_words}. The file holds the installation's secret: "
          f"keep it as safe as the data folder. Restore it with `talentops restore {done.path}` "
          "(into an empty TALENTOPS_DATA_DIR).")
    finish()


def restore(
    archive: Annotated[Path, typer.Argument(help="A file written by `talentops backup`.", show_default=False)],
    replace: Annotated[bool, typer.Option(
        "--replace", help="The data folder already holds an installation: move it aside (to "
                          "NAME.before-restore-<UTC time>, never deleted) and restore in its place.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Restore a backup into the data folder (TALENTOPS_DATA_DIR): the Postgres database, the Temporal database, the
    secret and audit checkpoints; then `talentops up` runs it. Exit 1 when it refuses (talentops runs there, the
    folder holds an installation, the file is not a sound backup), 3 when the restored audit trail does not verify."""
    settings = get_settings()
    _embedded_only(settings, "restore")
    running = runtime_file.read(settings)
    if running is not None:
        fail(f"talentops is running on {settings.data_dir} (pid {running.get('pid')}); stop it first (a restore "
             "replaces what it runs on)")
    try:
        done = asyncio.run(backups.restore_backup(archive.absolute(), settings.data_dir, replace=replace,
                                                  secret=settings.session_secret))
    except (backups.BackupError, EmbeddedError) as err:
        fail(str(err))
    except OSError as err:
        fail(f"the restore failed: {err}")
    verified = done.chain.ok and (done.anchor is None or done.anchor.ok)
    m = done.manifest
    for warning in done.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if as_json:
        emit_json({"data_dir": str(done.data_dir), "counts": done.counts, "chain": done.chain.__dict__,
                   "anchor": done.anchor.__dict__ if done.anchor else None, "files": done.files,
                   "moved_aside": [str(p) for p in done.moved_aside], "warnings": done.warnings, "manifest": m})
    else:
        if not done.chain.ok:
            chain = (f"the audit chain does NOT verify: broken at row {done.chain.first_broken_seq}, "
                     f"{done.chain.problem} (as it was in the backup)")
        else:
            chain = f"the audit chain verifies ({done.chain.rows} rows)"
            if done.anchor is not None:
                chain += (f" and its {done.anchor.checkpoints} signed checkpoints match" if done.anchor.ok
                          else f" but not its checkpoints: {done.anchor.problem}")
        words = {"session_secret": "the installation's secret",
                 "audit_checkpoints.jsonl": "the audit chain's signed checkpoints"}
        files = " and ".join(words.get(f, f) for f in done.files)
        moved = (f" What was there before is kept: {', '.join(str(p) for p in done.moved_aside)}."
                 if done.moved_aside else "")
        source = m.get("source") or {}
        state = "running" if source.get("running") else "stopped"
        print(f"Restored {archive} (taken {m.get('created_at', 'at an unknown time')} from a {state} installation, "
              f"talentops {m.get('talentops_version', 'unknown')}) into {done.data_dir}: the Postgres database with "
              f"{_counts(done.counts)}, as its manifest says; {chain}; the Temporal database"
              f"{', ' + files if files else ''}.{moved} Start it with `talentops up`.")
    sys.stdout.flush()
    os._exit(0 if verified else 3)
