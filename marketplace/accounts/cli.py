"""`flask sweep-signups`: forget sign-ups whose link expired unopened (run nightly; safe to run twice at once)."""
from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import delete

from marketplace.accounts.models import AccountStatus, User
from marketplace.core.dbtypes import utcnow
from marketplace.core.extensions import db


def sweep_unconfirmed_signups() -> int:
    """Delete the accounts still unconfirmed after their link's life: a name and a phone typed by someone who
    never finished (or by someone else in their name) are not kept. Returns how many were deleted."""
    cutoff = utcnow() - timedelta(seconds=current_app.config["SIGNUP_CONFIRM_MAX_AGE"])
    # One statement: a second run at the same time deletes what is left, and a sign-up replaced meanwhile has a
    # fresh created_at, so it is not touched.
    result = db.session.execute(
        delete(User).where(User.status == AccountStatus.UNCONFIRMED, User.created_at < cutoff)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount or 0


@click.command("sweep-signups")
@with_appcontext
def sweep_signups_command() -> None:
    """Delete sign-ups whose confirmation link expired unopened."""
    click.echo(f"Unconfirmed sign-ups removed: {sweep_unconfirmed_signups()}.")
