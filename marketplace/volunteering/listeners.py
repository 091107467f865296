"""Volunteering reacts to needs: a cancelled or expired need gives its volunteers' tasks back."""
from __future__ import annotations

from sqlalchemy import select, update

from marketplace.core.extensions import db
from marketplace.needs.signals import needs_transferred
from marketplace.needs.lifecycle import NEED_LIFECYCLE
from marketplace.volunteering.models import LIVE, Claim
from marketplace.volunteering.services import change_claim


@needs_transferred.connect
def move_claims_with_their_needs(household, *, needs, office_id) -> None:
    """Claims follow their needs to the family's new office (its staff confirm and revoke them)."""
    ids = [need.id for need in needs]
    if ids:
        db.session.execute(update(Claim).where(Claim.need_id.in_(ids)).values(office_id=office_id)
                           .execution_options(synchronize_session="fetch"))


@NEED_LIFECYCLE.signal.connect
def end_claims_of_closed_need(need, *, transition, actor, reason, before) -> None:
    if transition.name not in ("cancel", "expire"):
        return
    for claim in db.session.scalars(select(Claim).where(Claim.need_id == need.id, Claim.status.in_(LIVE))):
        change_claim(claim, "revoke", actor=None, reason=f"the request was {transition.target.value}")
