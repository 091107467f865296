"""`flask sweep-pledges`: what the payment webhooks missed (run every few minutes from cron)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from marketplace.core.extensions import db
from marketplace.pledges.sweep import sweep


@click.command("sweep-pledges")
@with_appcontext
def sweep_pledges_command() -> None:
    """Release expired card checkouts, lapse transfers that never came, retry refunds."""
    counts = sweep()
    db.session.commit()
    click.echo(", ".join(f"{name.replace('_', ' ')}: {n}" for name, n in counts.items()))
