"""The need's lifecycle (DESIGN.md), in one place: who may move a need from which state to which."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.core.dbtypes import utcnow
from marketplace.core.lifecycle import StateMachine, Transition
from marketplace.needs.models import BEFORE_FULFILLED, OPEN_STATES, Need, NeedStatus as S
from marketplace.core.roles import is_authenticated, works_for


def is_owner(actor, need: Need) -> bool:
    return is_authenticated(actor) and need.household.user_id == actor.id


def by_office(actor, need: Need) -> bool:
    return works_for(actor, need.office_id)


def by_system(actor, need: Need) -> bool:
    """Jobs (expiry) and other domains' reactions act with no user."""
    return actor is None


def office_or_system(actor, need: Need) -> bool:
    return by_system(actor, need) or by_office(actor, need)


def office_of_verified_household(actor, need: Need) -> bool:
    return by_office(actor, need) and need.household.is_verified


def owner_or_office(actor, need: Need) -> bool:
    return is_owner(actor, need) or by_office(actor, need)


def owner_before_help_or_office(actor, need: Need) -> bool:
    """A family may withdraw its request until help is under way; staff at any time."""
    if by_office(actor, need):
        return True
    return is_owner(actor, need) and need.status in (S.DRAFT, S.SUBMITTED, S.NEEDS_INFO, S.VERIFIED)


def _record(need: Need, transition: Transition, actor, reason: str | None) -> None:
    now = utcnow()
    if transition.target is S.SUBMITTED:
        need.submitted_at = now
        need.status_reason = None
    elif transition.target is S.VERIFIED and transition.name == "verify":
        need.verified_at, need.verified_by_id = now, getattr(actor, "id", None)
        # The public point is the household's coarse one, copied now; the exact point never leaves.
        household = need.household
        need.settlement, need.region_code = household.settlement, household.region_code
        need.public_latitude, need.public_longitude = household.public_latitude, household.public_longitude
    elif transition.target in (S.NEEDS_INFO, S.REJECTED, S.CANCELLED, S.EXPIRED):
        need.status_reason = reason
    elif transition.target is S.FULFILLED and reason:
        need.outcome_note = reason
    if transition.target in (S.CLOSED, S.CANCELLED, S.EXPIRED, S.REJECTED):
        need.closed_at = now


NEED_LIFECYCLE = StateMachine(
    "need",
    [
        Transition("submit", frozenset({S.DRAFT}), S.SUBMITTED, is_owner, label=_l("Send to the office")),
        Transition("ask_info", frozenset({S.SUBMITTED}), S.NEEDS_INFO, by_office, reason_required=True,
                   label=_l("Ask for more information")),
        Transition("resubmit", frozenset({S.NEEDS_INFO}), S.SUBMITTED, is_owner, label=_l("Send again")),
        Transition("verify", frozenset({S.SUBMITTED}), S.VERIFIED, office_of_verified_household, label=_l("Verify")),
        Transition("reject", frozenset({S.SUBMITTED, S.NEEDS_INFO}), S.REJECTED, by_office, reason_required=True,
                   label=_l("Reject")),
        Transition("start", frozenset({S.VERIFIED}), S.IN_PROGRESS, office_or_system, label=_l("Help is under way")),
        Transition("reopen", frozenset({S.IN_PROGRESS}), S.VERIFIED, office_or_system, label=_l("Open again")),
        Transition("fulfil", OPEN_STATES, S.FULFILLED, office_or_system,
                   reason_required=True, label=_l("Record that it was delivered")),
        Transition("close", frozenset({S.FULFILLED}), S.CLOSED, owner_or_office, label=_l("Confirm it arrived")),
        Transition("cancel", BEFORE_FULFILLED, S.CANCELLED, owner_before_help_or_office, reason_required=True,
                   label=_l("Cancel")),
        # DESIGN.md: expired from any state before fulfilled (a forgotten draft too).
        Transition("expire", BEFORE_FULFILLED, S.EXPIRED, by_system,
                   label=_l("Expire")),
    ],
    on_apply=[_record],
)
