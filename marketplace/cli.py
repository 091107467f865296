"""Administration commands: `flask create-admin`, `flask seed-demo`, `flask analyze-db`, `flask sweep-uploads`,
`flask offices ...`."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from marketplace.demo.seed import seed_demo_command
from marketplace.accounts import services
from marketplace.accounts.cli import sweep_signups_command
from marketplace.core.roles import Role
from marketplace.accounts.passwords import password_problems
from marketplace.core.extensions import db
from sqlalchemy import text
from marketplace.files import sweep_orphans
from marketplace.core.jobs import jobs_worker_command
from marketplace.needs.cli import expire_needs_command
from marketplace.offices.cli import offices_cli
from marketplace.pledges.cli import sweep_pledges_command
from marketplace.volunteering.cli import expire_claims_command


@click.command("create-admin")
@click.option("--email", prompt=True, help="The admin's e-mail address (their login).")
@click.option("--name", prompt=True, help="The admin's full name.")
@click.password_option(help="At least 10 characters; asked twice when not given.")
def create_admin_command(email: str, name: str, password: str) -> None:
    """Create an administrator account (the first admin makes the others and the staff)."""
    problems = password_problems(password, email=email, name=name)
    if problems:
        raise click.UsageError(" ".join(problems))
    try:
        user = services.create_user(role=Role.ADMIN, email=email, full_name=name, password=password)
    except services.AccountError as exc:
        raise click.UsageError(str(exc)) from exc
    db.session.commit()
    click.echo(f"Admin {user.email} created.")


@click.command("analyze-db")
@with_appcontext
def analyze_db_command() -> None:
    """Refresh the query planner's statistics (run nightly; PostgreSQL's autovacuum does it too).

    SQLite keeps none until asked: without them it reads every open request's index entry to load fifty
    requests by id, ten times slower than with them.
    """
    with db.engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()
    click.echo(f"Planner statistics refreshed ({db.engine.dialect.name}).")


@click.command("sweep-uploads")
@click.option("--older-than-hours", default=24.0, show_default=True, help="Leave younger files alone.")
@with_appcontext
def sweep_uploads_command(older_than_hours: float) -> None:
    """Remove uploaded files that no record names any more (run nightly)."""
    removed = sweep_orphans(older_than_hours=older_than_hours)
    click.echo(f"Orphan files removed: {len(removed)}.")


def register_commands(app: Flask) -> None:
    """Attach every command to `flask`."""
    app.cli.add_command(create_admin_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(offices_cli)
    app.cli.add_command(expire_needs_command)
    app.cli.add_command(expire_claims_command)
    app.cli.add_command(analyze_db_command)
    app.cli.add_command(sweep_pledges_command)
    app.cli.add_command(sweep_uploads_command)
    app.cli.add_command(sweep_signups_command)
    app.cli.add_command(jobs_worker_command)
