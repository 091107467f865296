"""How needs follow their household: a new office takes its unfinished requests, a new verified address
moves the public point of its open ones."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.core import audit
from marketplace.core.extensions import db
from marketplace.families.lifecycle import HOUSEHOLD_LIFECYCLE
from marketplace.families.models import Household
from marketplace.families.signals import office_changed
from marketplace.needs.models import OPEN_STATES, Need, NeedStatus
from marketplace.needs.signals import needs_transferred

FINISHED = (NeedStatus.CLOSED, NeedStatus.CANCELLED, NeedStatus.EXPIRED, NeedStatus.REJECTED)


@office_changed.connect
def move_needs_with_household(household: Household, *, from_office_id, office_id, actor) -> None:
    """Unfinished requests move to the family's new office; claims and pledges follow them (needs_transferred)."""
    needs = db.session.scalars(
        select(Need).where(Need.household_id == household.id, Need.status.not_in(FINISHED))
    ).all()
    for need in needs:
        need.office_id = office_id
        audit.record("need.transfer", need, actor=actor, office_id=office_id,
                     from_state=str(from_office_id) if from_office_id else None, to_state=str(office_id),
                     details={"note": "family_changed_office"})
    needs_transferred.send(household, needs=needs, office_id=office_id)


@HOUSEHOLD_LIFECYCLE.signal.connect
def move_open_needs_to_new_place(household: Household, *, transition, actor, reason, before) -> None:
    """A family that moved and was verified again: its open requests show the new place (the coarse
    public point and the settlement), so volunteers near the new home find them."""
    if transition.name != "verify":
        return
    place = (household.settlement, household.region_code, household.public_latitude, household.public_longitude)
    if household.public_latitude is None or household.public_longitude is None:
        return  # no new place to show: keep the one the requests have
    for need in db.session.scalars(select(Need).where(
            Need.household_id == household.id, Need.status.in_(OPEN_STATES))):
        if (need.settlement, need.region_code, need.public_latitude, need.public_longitude) != place:
            need.settlement, need.region_code, need.public_latitude, need.public_longitude = place
            audit.record("need.update", need, actor=actor, office_id=need.office_id, from_state=need.status,
                         to_state=need.status, details={"note": "public_place_follows_address"})
