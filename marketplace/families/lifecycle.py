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
    if transition.target in (S.NEEDS_INFO, S.REJECTED):
        household.status_reason = reason
    elif transition.target is S.SUBMITTED:
        household.status_reason = None


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
