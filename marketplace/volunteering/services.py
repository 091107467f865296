"""Claiming a need's volunteer slots: one volunteer per slot, never more claims than slots, under any
concurrency, because a slot is taken by one conditional UPDATE whose row count says who got it.
Also the volunteer's report, vetting and a parent's consent: operations that flush and never commit."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.core import audit
from marketplace.core.dbtypes import utcnow
from marketplace.core.extensions import db
from marketplace.families.services import read_personal
from marketplace.offices.services import nearest_office
from marketplace.files import store_upload
from marketplace.needs.lifecycle import NEED_LIFECYCLE
from marketplace.needs.models import OPEN_STATES, Need, NeedStatus
from marketplace.needs.progress import sync_progress
from marketplace.notifications import notify
from marketplace.offices.models import Office
from marketplace.volunteering.eligibility import ClaimRefused, is_minor, why_not_eligible
from marketplace.volunteering.lifecycle import CLAIM_LIFECYCLE, FREES_SLOT, VETTING_LIFECYCLE
from marketplace.volunteering.models import (
    HOLDING_SLOT, LIVE, REVEALS_CONTACT, Claim, ClaimStatus, Skill, VettingStatus, VolunteerProfile, VolunteerSkill,
)
from marketplace.volunteering.reports import parse_report

# A volunteer may ask (again) to be vetted from these states.
ASKS_VETTING = (VettingStatus.NOT_REQUESTED, VettingStatus.REFUSED)


class VettingRefused(ValueError):
    """A vetting request, decision or parent's consent that cannot be recorded now, with the reason."""


@dataclass(frozen=True)
class ProfileData:
    birth_year: int
    settlement: str
    latitude: float
    longitude: float
    radius_km: float
    availability: int
    skills: frozenset[Skill]


def save_profile(profile: VolunteerProfile | None, data: ProfileData, *, actor) -> list[str]:
    """Store a volunteer's profile (a new one for `actor` when None); audits the names of the changed fields
    (never the values).

    A new birth year resets a parent's consent and the vetting: both were given for the age the office saw.
    """
    if profile is None:
        profile = VolunteerProfile(user_id=actor.id, availability=0, radius_km=10.0)
        db.session.add(profile)
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
                     details={"fields": changed})
    return changed


def profile_of(user) -> VolunteerProfile | None:
    return db.session.scalar(select(VolunteerProfile).where(VolunteerProfile.user_id == user.id))


def claim_slot(need: Need, volunteer) -> Claim:
    """Take one free slot of `need` for `volunteer`; raises ClaimRefused (nothing changed) otherwise."""
    refusal = why_not_eligible(need, volunteer, profile_of(volunteer))
    if refusal is not None:
        raise refusal
    already = db.session.scalar(select(Claim.id).where(
        Claim.need_id == need.id, Claim.volunteer_id == volunteer.id,
        Claim.status.in_(LIVE)))
    if already is not None:
        raise ClaimRefused(_("You have already taken this task."), code="already_yours")
    taken = db.session.execute(
        update(Need)
        .where(Need.id == need.id, Need.slots_filled < Need.volunteer_slots, Need.status.in_(OPEN_STATES),
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
                 office_id=need.office_id, details={"need_id": need.id})
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
            Claim.status.in_(LIVE))):
        raise ClaimRefused(_("This volunteer already has this task."), code="already_yours")
    claim = Claim(need_id=need.id, volunteer_id=volunteer.id, office_id=need.office_id, status=ClaimStatus.INVITED)
    try:
        with db.session.begin_nested():
            db.session.add(claim)
    except IntegrityError as exc:
        raise ClaimRefused(_("This volunteer already has this task."), code="already_yours") from exc
    audit.record("claim.invite", claim, actor=actor, object_type="claim", to_state=ClaimStatus.INVITED,
                 office_id=need.office_id, details={"need_id": need.id})
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
        .where(Need.id == need.id, Need.slots_filled < Need.volunteer_slots, Need.status.in_(OPEN_STATES))
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
    if transition in FREES_SLOT and before in HOLDING_SLOT:
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
    if claim.volunteer_id != getattr(viewer, "id", None) or claim.status not in REVEALS_CONTACT:
        return None
    if claim.need.status not in OPEN_STATES or claim.need.hidden_at is not None:
        return None  # the request was closed or hidden: the address is nobody's business any more
    household = read_personal(claim.need.household, viewer, purpose="volunteer_task", claim_id=claim.id)
    return {"address": household.address, "phone": household.phone, "settlement": household.settlement}


def report_done(claim: Claim, *, actor, hours, note, photo=None) -> Claim:
    """The volunteer reports the task done with the hours spent, a note and perhaps a photo. The report is
    checked first (ReportInvalid, nothing changed); a photo that is not one raises files.RejectedFile."""
    report = parse_report(hours, note)
    change_claim(claim, "report_done", actor=actor)
    claim.hours, claim.report_note = report.hours, report.note
    if photo is not None and photo.filename:
        stored = store_upload(photo, household_id=claim.need.household_id, office_id=claim.need.household.office_id,
                              need_id=claim.need_id, uploaded_by=actor)
        claim.report_file_id = stored.id
    return claim


def send_invitations(office: Office, pairs: Iterable[tuple[int, int]], *, actor) -> tuple[int, int]:
    """Invite the volunteer of each (need id, user id) of a dispatch plan, each in a savepoint of its own;
    a pair of another office, or gone, is skipped. Returns how many were sent and how many refused."""
    sent, refused = 0, 0
    for need_id, user_id in pairs:
        need, volunteer = db.session.get(Need, need_id), db.session.get(User, user_id)
        if need is None or volunteer is None or need.office_id != office.id:
            continue
        try:
            with db.session.begin_nested():
                invite(need, volunteer, actor=actor)
            sent += 1
        except ClaimRefused:
            refused += 1
    return sent, refused


def request_vetting(profile: VolunteerProfile | None, *, office_id: int | None, actor,
                    choice_valid: bool = True) -> Office:
    """Ask an office (the nearest by default) to vet this volunteer; raises VettingRefused saying why not.
    `choice_valid` is False when the page's list of offices was out of date."""
    if profile is None or profile.latitude is None:
        raise VettingRefused(_("Save your profile first."))
    if profile.vetting_status not in ASKS_VETTING or not choice_valid:
        raise VettingRefused(_("This cannot be done now. Reload the page."))
    office = db.session.get(Office, office_id) if office_id else nearest_office(profile.latitude, profile.longitude)
    if office is None or not office.is_active:
        raise VettingRefused(_("Please choose an office from the list."))
    profile.vetting_office_id = office.id
    VETTING_LIFECYCLE.apply(profile, "request", actor=actor)
    return office


def decide_vetting(profile: VolunteerProfile, decision: str, *, actor, reason: str | None) -> VolunteerProfile:
    """The office vets or refuses a volunteer who asked; only adults are vetted (VettingRefused otherwise)."""
    if decision == "vet" and is_minor(profile, date.today()):
        raise VettingRefused(_("Only adult volunteers are vetted for tasks inside a home."))
    VETTING_LIFECYCLE.apply(profile, decision, actor=actor, reason=reason)
    return profile


def record_parent_consent(profile: VolunteerProfile, note: str | None, *, actor) -> VolunteerProfile:
    """The office records how a parent consented to a minor volunteering (audited); the note is required."""
    note = (note or "").strip()
    if not note:
        raise VettingRefused(_("Write down how the consent was given (e.g. a signed form, the parent's name)."))
    profile.parent_consent_at, profile.parent_consent_by_id = utcnow(), actor.id
    profile.parent_consent_note = note[:500]
    audit.record("volunteer.parent_consent", profile, actor=actor, object_type="volunteer",
                 reason=profile.parent_consent_note, office_id=profile.vetting_office_id)
    return profile
