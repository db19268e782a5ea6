"""``talentops employees ...``: import an HRIS export, show the roles an employee could move to."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from workers.cli.common import JsonOpt, StderrProgress, connect, emit_json, fail, finish, run

employees_app = typer.Typer(no_args_is_help=True, help="Employees and HRIS imports.")


@employees_app.command("import")
def employees_import(file: Path, as_json: JsonOpt = False) -> None:
    """Import an HRIS export (JSON Lines, one employee a line); re-importing updates, never duplicates."""
    from tools.people.hris_jsonl import JsonlError
    from tools.people_import.hris_import import import_employees

    progress = StderrProgress()

    async def go() -> Any:
        async with connect(temporal=False) as svc, svc.pool.acquire() as conn:
            return await import_employees(conn, file, by=os.environ.get("USER", "cli"),
                                          progress=lambda done, total: progress("embedded profiles", done, total,
                                                                                 force=done == total))

    try:
        report = run(go)
    except JsonlError as err:
        fail(f"{err}; nothing was imported")
    if as_json:
        emit_json(report.__dict__)
    else:
        print(f"imported {file.name}: {report.inserted} new, {report.updated} updated, "
              f"{report.evidence_rows} evidence rows, {report.embedded} profiles embedded")
    finish()


@employees_app.command("bridges")
def employees_bridges(
    employee_id: Annotated[str, typer.Argument(help="Employee id, e.g. E0103.")],
    top: Annotated[int, typer.Option("--top", min=1, max=50, help="How many nearest occupations.")] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Occupations an employee could move to: score, what transfers, the gap to close; aspirations marked."""
    from tools.people.bridges import EmployeeBridges, UnknownEmployee, employee_bridges

    async def go() -> EmployeeBridges:
        async with connect(temporal=False) as svc, svc.pool.acquire() as conn:
            return await employee_bridges(conn, employee_id, top=top)

    try:
        result = run(go)
    except UnknownEmployee as err:
        fail(f"{err}; `talentops employees import` adds employees", 4)
    if as_json:
        emit_json(result.to_dict())
        finish()
    current = f"{result.current_code}  {result.current_title}" if result.current_code else "no O*NET occupation"
    print(f"{result.employee_id}  {result.name}, {result.title}  (now: {current})")
    if result.aspirations:
        print(f"  aspires to: {'; '.join(result.aspirations)}")
    if result.unmatched_aspirations:
        print(f"  (no other O*NET occupation matches: {'; '.join(result.unmatched_aspirations)})")
    for b in result.bridges:
        mark = "*" if b.aspired else " "
        outside = "" if b.nearest else "; aspired, not among the nearest"
        print(f"  {b.score:.3f} {mark} {b.code}  {b.title}  (adjacency {b.adjacency:.2f}, fit {b.fit:.2f}{outside})")
        brings = ", ".join(f"{h.name} {h.level:.1f}" for h in b.transfers[:6])
        gap = [g.name + (f" ({g.level:.1f})" if g.level is not None else "") for g in b.gap_skills[:4]]
        gap += [g.name + (f" ({g.level:.1f})" if g.level is not None else "") for g in b.gap_technologies[:4]]
        print(f"        brings: {brings or '-'}")
        print(f"        to learn: {', '.join(gap) or '-'}")
    print(f"  (* = named in their aspirations; {result.formula}; levels 1-5)")
    print(result.attribution)
    finish()
