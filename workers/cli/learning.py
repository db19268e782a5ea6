"""``talentops learning ...``: the learning catalogue onboarding plans draw from."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from workers.cli.common import JsonOpt, connect, emit_json, fail, finish, run

learning_app = typer.Typer(no_args_is_help=True, help="The learning catalogue (LMS exports).")


@learning_app.command("import")
def learning_import(file: Path, as_json: JsonOpt = False) -> None:
    """Import an LMS export (JSON Lines or CSV): checked whole, written in one transaction, re-imports update."""
    from infra.store.users import User
    from workflows.usecases import ServiceError
    from workflows.usecases.learning import import_catalogue

    if not file.is_file():
        fail(f"{file}: no such file", 2)
    # whoever runs the CLI on the installation's database acts as its operator, like `employees import`
    operator = User(login=os.environ.get("USER", "cli"), display_name="CLI operator", role="admin", employee_id=None,
                    department=None)

    async def go() -> Any:
        async with connect(temporal=False) as svc:
            return await import_catalogue(svc, operator, filename=file.name, content=file.read_bytes())

    try:
        result = run(go)
    except ServiceError as err:
        fail(err.message)
    if as_json:
        emit_json({"added": result.added, "updated": result.updated, "items": len(result.items)})
    else:
        print(f"imported {file.name}: {result.added} new, {result.updated} updated")
    finish()
