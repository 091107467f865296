"""`flask expire-needs`: close requests whose deadline has passed (run daily by cron or the worker)."""
from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from marketplace.core.extensions import db
from marketplace.needs.lifecycle import NEED_LIFECYCLE
from marketplace.needs.models import Need


def expire_overdue_needs(today: date | None = None) -> int:
    """Expire every need past its deadline that is still waiting; returns how many."""
    today = today or date.today()
    expirable = NEED_LIFECYCLE["expire"].sources
    overdue = db.session.scalars(
        select(Need).where(Need.deadline < today, Need.status.in_(expirable)).order_by(Need.id)
    ).all()
    for need in overdue:
        NEED_LIFECYCLE.apply(need, "expire", actor=None, reason=f"deadline {need.deadline.isoformat()} passed")
    db.session.commit()
    return len(overdue)


@click.command("expire-needs")
@with_appcontext
def expire_needs_command() -> None:
    """Expire requests whose deadline has passed (the family is told)."""
    click.echo(f"{expire_overdue_needs()} requests expired.")
