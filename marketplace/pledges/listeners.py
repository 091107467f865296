"""Pledges react to their need: a closed need settles its pledges, a fulfilled one marks its money delivered,
and a family that changes office takes its pledges along."""
from __future__ import annotations

from sqlalchemy import select, update

from marketplace.core.extensions import db
from marketplace.needs.signals import needs_transferred
from marketplace.needs.lifecycle import NEED_LIFECYCLE
from marketplace.pledges.models import Pledge, PledgeKind, PledgeStatus
from marketplace.pledges.services import change_pledge
from marketplace.pledges.settlement import settle_closed_need, settle_unpaid_of_fulfilled_need


@NEED_LIFECYCLE.signal.connect
def settle_pledges_of_need(need, *, transition, actor, reason, before) -> None:
    if transition.name in ("cancel", "expire"):
        # A cancel has the reason someone wrote; an expiry has none, and its notices say so in their own words.
        settle_closed_need(need, why=reason if transition.name == "cancel" else None)
    elif transition.name == "fulfil":
        # Money not paid yet is no longer needed: its checkout is closed and its reservation released (a
        # payment that still comes through is refunded by the webhook); paid money was spent on the need.
        settle_unpaid_of_fulfilled_need(need)
        for pledge in db.session.scalars(select(Pledge).where(
                Pledge.need_id == need.id, Pledge.kind == PledgeKind.MONEY, Pledge.status == PledgeStatus.PAID)):
            change_pledge(pledge, "deliver", actor=None, reason="the request was fulfilled")


@needs_transferred.connect
def move_pledges_with_their_needs(household, *, needs, office_id) -> None:
    """Pledges follow their needs to the family's new office, whose staff confirm and refund them."""
    ids = [need.id for need in needs]
    if ids:
        db.session.execute(update(Pledge).where(Pledge.need_id.in_(ids)).values(office_id=office_id)
                           .execution_options(synchronize_session="fetch"))
