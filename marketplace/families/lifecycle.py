"""The household's verification lifecycle, in one place."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.core.dbtypes import utcnow
from marketplace.families.models import Household, HouseholdStatus as S
from marketplace.core.lifecycle import StateMachine, Transition
from marketplace.core.roles import is_authenticated, works_for


def is_owner(actor, household: Household) -> bool:
    return is_authenticated(actor) and household.user_id == actor.id


def by_office(actor, household: Household) -> bool:
    return works_for(actor, household.office_id)


def _record(household: Household, transition: Transition, actor, reason: str | None) -> None:
    now = utcnow()
    if transition.target is S.SUBMITTED:
        household.submitted_at = now
    if transition.target is S.VERIFIED:
        household.verified_at, household.verified_by_id = now, getattr(actor, "id", None)
        _move_open_needs(household, actor)
    if transition.target in (S.NEEDS_INFO, S.REJECTED):
        household.status_reason = reason
    elif transition.target is S.SUBMITTED:
        household.status_reason = None


def _move_open_needs(household: Household, actor) -> None:
    """A family that moved and was verified again: its open requests show the new place (the coarse
    public point and the settlement), so volunteers near the new home find them."""
    from sqlalchemy import select

    from marketplace.core import audit
    from marketplace.core.extensions import db
    from marketplace.needs.models import OPEN_STATES, Need

    place = (household.settlement, household.region_code, household.public_latitude, household.public_longitude)
    if household.public_latitude is None or household.public_longitude is None:
        return  # no new place to show: keep the one the requests have
    for need in db.session.scalars(select(Need).where(
            Need.household_id == household.id, Need.status.in_(OPEN_STATES))):
        if (need.settlement, need.region_code, need.public_latitude, need.public_longitude) != place:
            need.settlement, need.region_code, need.public_latitude, need.public_longitude = place
            audit.record("need.update", need, actor=actor, office_id=need.office_id, from_state=need.status,
                         to_state=need.status, reason="the family moved: public place follows the verified address")


HOUSEHOLD_LIFECYCLE = StateMachine(
    "household",
    [
        Transition("submit", frozenset({S.DRAFT, S.REJECTED}), S.SUBMITTED, is_owner, label=_l("Send for verification")),
        Transition("ask_info", frozenset({S.SUBMITTED}), S.NEEDS_INFO, by_office, reason_required=True,
                   label=_l("Ask for more information")),
        Transition("resubmit", frozenset({S.NEEDS_INFO}), S.SUBMITTED, is_owner, label=_l("Send again")),
        Transition("verify", frozenset({S.SUBMITTED}), S.VERIFIED, by_office, label=_l("Verify")),
        Transition("reject", frozenset({S.SUBMITTED, S.NEEDS_INFO}), S.REJECTED, by_office, reason_required=True,
                   label=_l("Reject")),
        # A verified household whose family changes its address or members is checked again.
        Transition("reopen", frozenset({S.VERIFIED}), S.SUBMITTED, is_owner, label=_l("Send changes for verification")),
    ],
    on_apply=[_record],
)
