"""``talentops users ...``: list the console's users, add one."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from infra.store.users import User
from workers.cli.common import JsonOpt, connect, emit_json, finish, run
from workflows import usecases

users_app = typer.Typer(no_args_is_help=True, help="Users and demo logins.")


@users_app.command("list")
def users_list(role: Annotated[str | None, typer.Option(help="manager, reviewer, admin or employee.")] = None,
               as_json: JsonOpt = False) -> None:
    """Users (the demo logins)."""
    async def go() -> list[User]:
        async with connect(temporal=False) as svc:
            return await usecases.list_users(svc, role)

    users = run(go)
    if as_json:
        emit_json(users)
    for u in [] if as_json else users:
        print(f"{u.login:<14} {u.role:<9} {u.display_name:<24} {u.department or ''}")
    finish()


@users_app.command("add")
def users_add(
    login: str,
    role: Annotated[str, typer.Option(help="manager, reviewer, admin or employee.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    employee: Annotated[str | None, typer.Option(help="Their employee id (for SoD and their skills page).")] = None,
    department: Annotated[str | None, typer.Option(help="Department code (managers).")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                 help="Read the password from standard input.")] = False,
) -> None:
    """Add a console user; the password is read from stdin or prompted for (never an argument)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    by = os.environ.get("USER") or "cli"

    async def go() -> User:
        async with connect(temporal=False) as svc:
            return await usecases.create_user(svc, login=login, display_name=name, role=role, password=password,
                                             by=f"cli:{by}", employee_id=employee, department=department)

    user = run(go)
    print(f"added {user.login} ({user.role})")
    finish()
