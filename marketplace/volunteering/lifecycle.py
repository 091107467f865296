"""A claim's lifecycle: invited → claimed → in progress → done → confirmed; released, expired, revoked."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from marketplace.core.dbtypes import utcnow
from marketplace.core.lifecycle import StateMachine, Transition
from marketplace.core.roles import is_authenticated, works_for
from marketplace.volunteering.eligibility import is_minor
from marketplace.volunteering.models import Claim, ClaimStatus as S, VettingStatus as V, VolunteerProfile


def is_volunteer(actor, claim: Claim) -> bool:
    return is_authenticated(actor) and claim.volunteer_id == actor.id


def by_office(actor, claim: Claim) -> bool:
    return works_for(actor, claim.office_id)


def by_family_or_office(actor, claim: Claim) -> bool:
    return by_office(actor, claim) or (is_authenticated(actor) and claim.need.household.user_id == actor.id)


def by_system(actor, claim: Claim) -> bool:
    return actor is None


def volunteer_or_system(actor, claim: Claim) -> bool:
    return is_volunteer(actor, claim) or by_system(actor, claim)


def _record(claim: Claim, transition: Transition, actor, reason: str | None) -> None:
    now = utcnow()
    claim.last_activity_at = now
    if transition.target is S.DONE:
        claim.done_at = now
    elif transition.target is S.CONFIRMED:
        claim.confirmed_at = now
    if reason and transition.target in (S.REVOKED, S.EXPIRED, S.RELEASED, S.DECLINED, S.IN_PROGRESS):
        claim.status_reason = reason


CLAIM_LIFECYCLE = StateMachine(
    "claim",
    [
        # accept and claim hold a slot: they go through volunteering.services, which reserves it first.
        Transition("accept", frozenset({S.INVITED}), S.CLAIMED, is_volunteer, label=_l("Accept")),
        Transition("decline", frozenset({S.INVITED}), S.DECLINED, is_volunteer, label=_l("Decline")),
        Transition("start", frozenset({S.CLAIMED}), S.IN_PROGRESS, is_volunteer, label=_l("Start")),
        Transition("report_done", frozenset({S.CLAIMED, S.IN_PROGRESS}), S.DONE, is_volunteer,
                   label=_l("Report it done")),
        Transition("confirm", frozenset({S.DONE}), S.CONFIRMED, by_family_or_office, label=_l("Confirm it was done")),
        Transition("not_done", frozenset({S.DONE}), S.IN_PROGRESS, by_family_or_office, reason_required=True,
                   label=_l("It was not done")),
        Transition("release", frozenset({S.CLAIMED, S.IN_PROGRESS}), S.RELEASED, is_volunteer,
                   label=_l("Give the task back")),
        Transition("expire", frozenset({S.INVITED, S.CLAIMED, S.IN_PROGRESS}), S.EXPIRED, by_system,
                   label=_l("Expire")),
        Transition("revoke", frozenset({S.INVITED, S.CLAIMED, S.IN_PROGRESS, S.DONE}), S.REVOKED,
                   lambda actor, claim: by_office(actor, claim) or by_system(actor, claim), reason_required=True,
                   label=_l("Revoke")),
    ],
    on_apply=[_record],
)

# Leaving these states gives the slot back to the need.
FREES_SLOT = {"release", "expire", "revoke"}


def is_profile_owner(actor, profile: VolunteerProfile) -> bool:
    return is_authenticated(actor) and profile.user_id == actor.id


def office_vets_adults(actor, profile: VolunteerProfile) -> bool:
    """Staff of the office asked vet only adults: a minor never goes into a family's home."""
    return works_for(actor, profile.vetting_office_id) and not is_minor(profile, date.today())


def _record_vetting(profile: VolunteerProfile, transition: Transition, actor, reason: str | None) -> None:
    if transition.target in (V.VETTED, V.REFUSED):
        profile.vetted_at, profile.vetted_by_id = utcnow(), getattr(actor, "id", None)
    elif transition.target is V.NOT_REQUESTED:
        profile.vetted_at = profile.vetted_by_id = None


VETTING_LIFECYCLE = StateMachine(
    "volunteer",
    [
        Transition("request", frozenset({V.NOT_REQUESTED, V.REFUSED}), V.REQUESTED, is_profile_owner,
                   label=_l("Ask to be vetted")),
        Transition("vet", frozenset({V.REQUESTED}), V.VETTED, office_vets_adults, label=_l("Vet")),
        Transition("refuse", frozenset({V.REQUESTED}), V.REFUSED,
                   lambda actor, profile: works_for(actor, profile.vetting_office_id), label=_l("Refuse")),
        # The age the office saw has changed: vetting starts again.
        Transition("reset", frozenset({V.REQUESTED, V.VETTED, V.REFUSED}), V.NOT_REQUESTED, is_profile_owner,
                   label=_l("Reset")),
    ],
    office_of=lambda profile: profile.vetting_office_id,
    on_apply=[_record_vetting],
    status_attr="vetting_status",
)
