"""The ``talentops`` command: the root app, its sub-apps and process commands, and the console-script entry point."""

from __future__ import annotations

import typer

from workers.cli import backup, processes
from workers.cli.audit import audit_app
from workers.cli.certifications import certifications_app
from workers.cli.employees import employees_app
from workers.cli.goals import goal_app
from workers.cli.learning import learning_app
from workers.cli.matching import match_app, occupations_app, skills_app
from workers.cli.onboarding import onboarding_app
from workers.cli.reviews import review_app
from workers.cli.users import users_app
from workers.cli.work import work_app

app = typer.Typer(no_args_is_help=True, add_completion=False, help="talentops: internal talent mobility.")
app.command()(processes.up)
app.command()(processes.worker)
app.command()(processes.console)
app.command()(processes.status)
app.command()(processes.stop)
app.command()(backup.backup)
app.command()(backup.restore)
app.add_typer(goal_app, name="goal")
app.add_typer(review_app, name="review")
app.add_typer(work_app, name="work")
app.add_typer(onboarding_app, name="onboarding")
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")
app.add_typer(employees_app, name="employees")
app.add_typer(learning_app, name="learning")
app.add_typer(certifications_app, name="certifications")
app.add_typer(match_app, name="match")
app.add_typer(occupations_app, name="occupations")
app.add_typer(skills_app, name="skills")


def main() -> None:
    """Console-script entry point."""
    app()
