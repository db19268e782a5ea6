"""``talentops audit ...``: a goal's audit events, the export of the trail, the check of its hash chain."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from infra import audit, audit_anchor
from infra.audit_query import AuditQuery, AuditRecord
from workers.cli.common import JsonOpt, connect, emit_json, fail, finish, run
from workflows import usecases

audit_app = typer.Typer(no_args_is_help=True, help="The audit trail.")


@audit_app.command("show")
def audit_show(goal_id: str, as_json: JsonOpt = False) -> None:
    """A goal's audit events in order."""
    async def go() -> list[AuditRecord]:
        async with connect(temporal=False) as svc:
            return await usecases.audit_for_goal(svc, goal_id)

    events = run(go)
    if as_json:
        emit_json(events)
    for e in [] if as_json else events:
        extra = f" model={e.model}" if e.model else ""
        print(f"{e.seq:>6} {e.at:%Y-%m-%d %H:%M:%S} {e.actor_type:<6} {e.actor:<18} {e.action}{extra}")
    finish()


@audit_app.command("export")
def audit_export(
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    out: Annotated[Path | None, typer.Option(help="File to write (default: standard output).")] = None,
    goal: Annotated[str | None, typer.Option(help="Only this goal.")] = None,
    actor: Annotated[str | None, typer.Option(help="Only this actor.")] = None,
    action: Annotated[str | None, typer.Option(help="Only actions starting with this.")] = None,
    since: Annotated[datetime | None, typer.Option(help="Only events at or after (ISO 8601, UTC if no zone).")] = None,
    until: Annotated[datetime | None, typer.Option(help="Only events before (ISO 8601).")] = None,
) -> None:
    """Export audit events as JSON Lines or CSV, in sequence order.

    The chain's head is checkpointed (signed) into the anchor files when the export starts; the checkpoint goes
    next to the export as ``FILE.checkpoint.json`` (with ``--out``) or to standard error, so the export itself
    stays plain JSON Lines or CSV."""
    if fmt not in ("jsonl", "csv"):
        fail(f"--format must be jsonl or csv, not {fmt!r}", 2)
    query = AuditQuery(goal_id=goal, actor=actor, action=action, since=_utc(since), until=_utc(until))

    async def go() -> tuple[int, audit_anchor.Checkpoint | None]:
        written = 0
        target = open(out.with_suffix(out.suffix + ".part"), "w") if out else sys.stdout  # noqa: SIM115
        async with connect(temporal=False) as svc:
            checkpoint = await usecases.checkpoint_audit(svc)
            async for chunk in usecases.export_audit(svc, query, fmt):  # type: ignore[arg-type]
                target.write(chunk)
                written += chunk.count("\n")
        if out:
            target.close()
            out.with_suffix(out.suffix + ".part").replace(out)  # never leave a half-written export
        return written, checkpoint

    lines, checkpoint = run(go)
    if out:
        print(f"wrote {out} ({lines} lines)", file=sys.stderr)
    if checkpoint is not None:
        if out:
            side = out.with_name(out.name + ".checkpoint.json")
            side.write_text(json.dumps({"checkpoint": checkpoint.__dict__}, indent=2) + "\n")
            print(f"chain head checkpointed at row {checkpoint.seq}: {side}", file=sys.stderr)
        else:
            print(f"checkpoint: {json.dumps(checkpoint.__dict__, sort_keys=True)}", file=sys.stderr)
    finish()


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@audit_app.command("verify")
def audit_verify(as_json: JsonOpt = False) -> None:
    """Check the whole hash chain and that every signed checkpoint of its head still matches (newest rows not
    deleted); exit 3 with what is wrong if either does not hold."""
    async def go() -> tuple[audit.ChainReport, audit_anchor.AnchorReport]:
        async with connect(temporal=False) as svc, svc.pool.acquire() as conn:
            chain = await audit.verify_chain(conn)
            anchor = await audit_anchor.verify_anchor(conn, key=audit_anchor.anchor_key(svc.settings.secret()),
                                                      paths=audit_anchor.anchor_paths(svc.settings))
            return chain, anchor

    report, anchor = run(go)
    ok = report.ok and anchor.ok
    if as_json:
        emit_json({**report.__dict__, "ok": ok, "chain_ok": report.ok, "anchor": anchor.__dict__})
    elif not report.ok:
        print(f"audit chain BROKEN at row {report.first_broken_seq}: {report.problem} "
              f"({report.rows} rows verified before it)")
    elif not anchor.ok:
        print(f"audit trail does not match its checkpoints: {anchor.problem} "
              f"(the chain's {report.rows} remaining rows verify)")
    else:
        latest = anchor.latest
        anchored = (f"; latest checkpoint (row {latest['seq']}, {latest['at']}) matches, "
                    f"{anchor.checkpoints} checked" if latest else "; no checkpoint yet")
        print(f"audit chain intact: {report.rows} rows verified{anchored}")
    sys.stdout.flush()
    os._exit(0 if ok else 3)
