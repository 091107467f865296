"""Claiming a need's volunteer slots: one volunteer per slot, never more claims than slots, under any
concurrency, because a slot is taken by one conditional UPDATE whose row count says who got it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from marketplace.core import audit
from marketplace.core.roles import Role
from marketplace.core.extensions import db
from marketplace.families.services import nearest_office, read_personal
from marketplace.needs.lifecycle import NEED_LIFECYCLE
from marketplace.needs.progress import sync_progress
from marketplace.needs.models import Need, NeedStatus
from marketplace.needs.services import is_public
from marketplace.volunteering.lifecycle import CLAIM_LIFECYCLE, FREES_SLOT, VETTING_LIFECYCLE
from marketplace.volunteering.models import (
    HOLDING_STATES, Claim, ClaimStatus, Skill, VettingStatus, VolunteerProfile, VolunteerSkill,
)

ADULT_AGE = 18
CLAIMABLE = (NeedStatus.VERIFIED, NeedStatus.IN_PROGRESS)
# Claims whose volunteer sees the family's address and phone: accepted and not yet confirmed.
REVEALING_STATES = (ClaimStatus.CLAIMED, ClaimStatus.IN_PROGRESS, ClaimStatus.DONE)


class ClaimRefused(ValueError):
    """A claim that cannot be made, with the reason in the volunteer's language."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ProfileData:
    birth_year: int
    settlement: str
    latitude: float
    longitude: float
    radius_km: float
    availability: int
    skills: frozenset[Skill]


def save_profile(profile: VolunteerProfile, data: ProfileData, *, actor) -> list[str]:
    """Store a volunteer's profile; audits the names of the changed fields (never the values).

    A new birth year resets a parent's consent and the vetting: both were given for the age the office saw.
    """
    new = {"birth_year": data.birth_year, "settlement": data.settlement, "latitude": data.latitude,
           "longitude": data.longitude, "radius_km": data.radius_km, "availability": data.availability}
    changed = [name for name, value in new.items() if getattr(profile, name) != value]
    if "birth_year" in changed and profile.id is not None and (
            profile.parent_consent_at is not None or profile.vetting_status is not VettingStatus.NOT_REQUESTED):
        profile.parent_consent_at = profile.parent_consent_by_id = profile.parent_consent_note = None
        if profile.vetting_status is not VettingStatus.NOT_REQUESTED:
            VETTING_LIFECYCLE.apply(profile, "reset", actor=actor, reason="birth year changed")
        changed.append("vetting reset")
    for name in changed:
        if name in new:
            setattr(profile, name, new[name])
    if profile.vetting_office_id is None:
        # The nearest office looks after this volunteer (vetting, a parent's consent) until they choose one.
        office = nearest_office(data.latitude, data.longitude)
        profile.vetting_office_id = office.id if office else None
    if data.skills != profile.skill_set:
        changed.append("skills")
        profile.skills = [s for s in profile.skills if s.skill in data.skills] + [
            VolunteerSkill(skill=skill) for skill in sorted(data.skills - profile.skill_set, key=lambda s: s.value)]
    if changed:
        db.session.flush()
        audit.record("volunteer.profile_save", profile, actor=actor, object_type="volunteer_profile",
                     reason="changed: " + ", ".join(changed))
    return changed


def profile_of(user) -> VolunteerProfile | None:
    return db.session.scalar(select(VolunteerProfile).where(VolunteerProfile.user_id == user.id))


def why_not_eligible(need: Need, volunteer, profile: VolunteerProfile | None) -> ClaimRefused | None:
    """The reason this volunteer may not take a slot of this need, or None."""
    if volunteer.role is not Role.VOLUNTEER:
        return ClaimRefused(_("Only volunteers can take tasks."), code="not_a_volunteer")
    if not is_public(need) or need.status not in CLAIMABLE or not need.volunteer_slots:
        return ClaimRefused(_("This request is not open for volunteers."), code="not_open")
    if profile is None:
        return ClaimRefused(_("Fill in your volunteer profile first."), code="no_profile")
    age = profile.age(date.today().year)
    minor = age is None or age < ADULT_AGE
    if minor and profile.parent_consent_at is None:
        return ClaimRefused(_("A volunteer under 18 needs a parent's consent, recorded by an office."),
                            code="parent_consent_missing")
    if need.in_home and (minor or not profile.is_vetted):
        return ClaimRefused(_("This task is inside a family's home: only vetted adult volunteers can take it."),
                            code="vetting_required")
    return None


def claim_slot(need: Need, volunteer) -> Claim:
    """Take one free slot of `need` for `volunteer`; raises ClaimRefused (nothing changed) otherwise."""
    refusal = why_not_eligible(need, volunteer, profile_of(volunteer))
    if refusal is not None:
        raise refusal
    already = db.session.scalar(select(Claim.id).where(
        Claim.need_id == need.id, Claim.volunteer_id == volunteer.id,
        Claim.status.in_((ClaimStatus.INVITED, ClaimStatus.CLAIMED, ClaimStatus.IN_PROGRESS, ClaimStatus.DONE))))
    if already is not None:
        raise ClaimRefused(_("You have already taken this task."), code="already_yours")
    taken = db.session.execute(
        update(Need)
        .where(Need.id == need.id, Need.slots_filled < Need.volunteer_slots, Need.status.in_(CLAIMABLE),
               Need.hidden_at.is_(None))
        .values(slots_filled=Need.slots_filled + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise ClaimRefused(_("Sorry, every volunteer place of this request is already taken."), code="already_taken")
    db.session.refresh(need, attribute_names=["slots_filled", "status"])
    claim = Claim(need_id=need.id, volunteer_id=volunteer.id, office_id=need.office_id, status=ClaimStatus.CLAIMED)
    try:
        with db.session.begin_nested():  # a double tap racing itself meets the unique index
            db.session.add(claim)
    except IntegrityError as exc:
        raise ClaimRefused(_("You have already taken this task."), code="already_yours") from exc
    audit.record("claim.claim", claim, actor=volunteer, object_type="claim", to_state=ClaimStatus.CLAIMED,
                 office_id=need.office_id, reason=f"need #{need.id}")
    _sync_need(need)
    return claim


def invite(need: Need, volunteer, *, actor) -> Claim:
    """Staff ask a volunteer to take a task; it holds no slot until the volunteer accepts."""
    if not volunteer.is_active:
        raise ClaimRefused(_("Only volunteers can take tasks."), code="not_a_volunteer")
    refusal = why_not_eligible(need, volunteer, profile_of(volunteer))
    if refusal is not None:
        raise refusal
    if db.session.scalar(select(Claim.id).where(
            Claim.need_id == need.id, Claim.volunteer_id == volunteer.id,
            Claim.status.in_((ClaimStatus.INVITED, ClaimStatus.CLAIMED, ClaimStatus.IN_PROGRESS, ClaimStatus.DONE)))):
        raise ClaimRefused(_("This volunteer already has this task."), code="already_yours")
    claim = Claim(need_id=need.id, volunteer_id=volunteer.id, office_id=need.office_id, status=ClaimStatus.INVITED)
    try:
        with db.session.begin_nested():
            db.session.add(claim)
    except IntegrityError as exc:
        raise ClaimRefused(_("This volunteer already has this task."), code="already_yours") from exc
    audit.record("claim.invite", claim, actor=actor, object_type="claim", to_state=ClaimStatus.INVITED,
                 office_id=need.office_id, reason=f"need #{need.id}")
    from marketplace.notifications import notify

    notify(volunteer, "claim.invite", params={"title": need.title})
    return claim


def accept_invitation(claim: Claim, volunteer) -> Claim:
    """The volunteer accepts: a slot is reserved exactly as for a claim, or the acceptance is refused."""
    need = db.session.get(Need, claim.need_id)
    if not CLAIM_LIFECYCLE.can(volunteer, claim, "accept"):  # checked before a slot is taken
        raise ClaimRefused(_("This invitation is no longer open."), code="illegal_transition")
    refusal = why_not_eligible(need, volunteer, profile_of(volunteer))
    if refusal is not None:
        raise refusal
    taken = db.session.execute(
        update(Need)
        .where(Need.id == need.id, Need.slots_filled < Need.volunteer_slots, Need.status.in_(CLAIMABLE))
        .values(slots_filled=Need.slots_filled + 1).execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise ClaimRefused(_("Sorry, every volunteer place of this request is already taken."), code="already_taken")
    db.session.refresh(need, attribute_names=["slots_filled", "status"])
    CLAIM_LIFECYCLE.apply(claim, "accept", actor=volunteer)
    _sync_need(need)
    return claim


def change_claim(claim: Claim, transition: str, *, actor, reason: str | None = None) -> Claim:
    """Move a claim through its lifecycle; giving a slot back frees it on the need."""
    before = claim.status
    CLAIM_LIFECYCLE.apply(claim, transition, actor=actor, reason=reason)
    need = db.session.get(Need, claim.need_id)
    if transition in FREES_SLOT and before in HOLDING_STATES:
        db.session.execute(
            update(Need).where(Need.id == need.id, Need.slots_filled > 0)
            .values(slots_filled=Need.slots_filled - 1).execution_options(synchronize_session=False)
        )
        db.session.refresh(need, attribute_names=["slots_filled", "status"])
    _sync_need(need)
    return claim


def _sync_need(need: Need) -> None:
    """The claims drive the need: every slot taken → in progress; a slot free again → open;
    every slot confirmed (and nothing else asked) → fulfilled."""
    sync_progress(need)
    if need.status is NeedStatus.IN_PROGRESS and not need.money_goal and not need.items:
        confirmed = db.session.scalar(select(func.count()).select_from(Claim).where(
            Claim.need_id == need.id, Claim.status == ClaimStatus.CONFIRMED))
        if confirmed >= need.volunteer_slots:
            NEED_LIFECYCLE.apply(need, "fulfil", actor=None, reason=_("Every volunteer task was done and confirmed."))


def family_contact_for(claim: Claim, viewer) -> dict | None:
    """The family's address and phone for the volunteer of an accepted claim, until it is confirmed;
    each reveal is audited. None for anyone else or at any other time."""
    if claim.volunteer_id != getattr(viewer, "id", None) or claim.status not in REVEALING_STATES:
        return None
    if claim.need.status not in CLAIMABLE or claim.need.hidden_at is not None:
        return None  # the request was closed or hidden: the address is nobody's business any more
    household = read_personal(claim.need.household, viewer, purpose=f"volunteer task, claim #{claim.id}")
    return {"address": household.address, "phone": household.phone, "settlement": household.settlement}
