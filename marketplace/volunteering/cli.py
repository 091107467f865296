"""`flask expire-claims`: give back tasks with no progress (run daily by cron or the worker)."""
from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from marketplace.core.dbtypes import utcnow
from marketplace.core.extensions import db
from marketplace.volunteering.lifecycle import CLAIM_LIFECYCLE
from marketplace.volunteering.models import Claim
from marketplace.volunteering.services import change_claim


def expire_stale_claims(days: int | None = None) -> int:
    """Expire claims with no activity for `days` (CLAIM_STALE_DAYS by default); returns how many."""
    days = days if days is not None else current_app.config["CLAIM_STALE_DAYS"]
    cutoff = utcnow() - timedelta(days=days)
    stale = db.session.scalars(
        select(Claim).where(Claim.status.in_(CLAIM_LIFECYCLE["expire"].sources), Claim.last_activity_at < cutoff)
        .order_by(Claim.id)
    ).all()
    for claim in stale:
        change_claim(claim, "expire", actor=None, reason=f"{days} days without progress")
    db.session.commit()
    return len(stale)


@click.command("expire-claims")
@click.option("--days", type=int, default=None, help="Days without progress (default: CLAIM_STALE_DAYS).")
@with_appcontext
def expire_claims_command(days: int | None) -> None:
    """Give back volunteer tasks with no progress; the volunteers are told."""
    click.echo(f"{expire_stale_claims(days)} tasks released.")
