"""Which volunteers suit a need, and an office's dispatch plan: near enough, with the skills, vetted where it
matters, free, reliable. The rule of who may take a task is volunteering.eligibility's; the plan's optimiser
is the pure solver of volunteering.dispatch."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select

from marketplace import geo
from marketplace.core.extensions import db
from marketplace.needs.models import Need
from marketplace.needs.services import open_needs
from marketplace.offices.models import Office
from marketplace.volunteering.dispatch import Plan, Slot, Volunteer, plan_dispatch
from marketplace.volunteering.eligibility import eligible, is_minor, may_take_tasks, required_skills
from marketplace.volunteering.models import LIVE, ON_TASK, Claim, ClaimStatus, VolunteerProfile
from marketplace.volunteering.queries import active_volunteers

# The widest travel radius a volunteer can choose: the indexed prefilter around the need.
MAX_RADIUS_KM = 50.0
# Volunteers are looked for this far around the office (their own radius decides the rest).
DISPATCH_AREA_KM = 150.0
FAILED = (ClaimStatus.EXPIRED, ClaimStatus.REVOKED)


@dataclass(frozen=True)
class Suggestion:
    profile: VolunteerProfile
    distance_km: float
    live_claims: int
    reliability: float | None  # confirmed / (confirmed + expired + revoked); None with no history
    score: float


def suggest_volunteers(need: Need, *, limit: int = 10) -> list[Suggestion]:
    """Eligible volunteers for a need, best first: near, not busy, reliable."""
    if need.public_latitude is None:
        return []
    near = geo.nearby(db.session, active_volunteers(), VolunteerProfile.latitude, VolunteerProfile.longitude,
                      need.public_latitude, need.public_longitude, radius_km=MAX_RADIUS_KM, limit=None)
    today = date.today()
    candidates = [(p, km) for p, km in near if eligible(need, p, km, today=today)]
    taken = set(db.session.scalars(select(Claim.volunteer_id).where(
        Claim.need_id == need.id, Claim.status.in_(LIVE))))
    candidates = [(p, km) for p, km in candidates if p.user_id not in taken]
    if not candidates:
        return []
    ids = [p.user_id for p, _km in candidates]
    stats = {row.volunteer_id: row for row in db.session.execute(
        select(Claim.volunteer_id,
               func.sum(case((Claim.status.in_(ON_TASK), 1), else_=0)).label("live"),
               func.sum(case((Claim.status == ClaimStatus.CONFIRMED, 1), else_=0)).label("confirmed"),
               func.sum(case((Claim.status.in_(FAILED), 1), else_=0)).label("failed"))
        .where(Claim.volunteer_id.in_(ids)).group_by(Claim.volunteer_id))}
    suggestions = []
    for profile, km in candidates:
        row = stats.get(profile.user_id)
        live = int(row.live or 0) if row else 0
        done = (int(row.confirmed or 0), int(row.failed or 0)) if row else (0, 0)
        reliability = done[0] / sum(done) if sum(done) else None
        # Kilometres first; each live task counts as 5 km more, an unreliable history up to 10 km more,
        # and few free times in the week up to 6 km more (a task's own time is agreed with the family).
        free_times = bin(profile.availability or 0).count("1")
        score = (km + 5 * live + 10 * (1 - (reliability if reliability is not None else 0.8))
                 + 6 * (1 - min(free_times, 6) / 6))
        suggestions.append(Suggestion(profile, km, live, reliability, score))
    return sorted(suggestions, key=lambda s: (s.score, s.distance_km))[:limit]


def _open_slots(office: Office) -> tuple[list[Need], list[Slot]]:
    """The office's open needs with a free volunteer place, and one Slot per place nobody is invited to."""
    needs = db.session.scalars(
        open_needs(select(Need)).where(Need.office_id == office.id, Need.volunteer_slots > Need.slots_filled)
        .order_by(Need.urgency_rank, Need.created_at)
    ).all()
    invited = dict(db.session.execute(
        select(Claim.need_id, func.count()).where(Claim.status == ClaimStatus.INVITED,
                                                  Claim.need_id.in_([n.id for n in needs] or [-1]))
        .group_by(Claim.need_id)).all())
    slots = [
        Slot(key=(need.id, i), lat=need.public_latitude, lon=need.public_longitude,
             skills=frozenset(s.value for s in required_skills(need)), in_home=need.in_home)
        for need in needs if need.public_latitude is not None
        for i in range(need.volunteer_slots - need.slots_filled - invited.get(need.id, 0))
    ]
    return needs, slots


def build_plan(office: Office) -> tuple[Plan, dict[int, Need], dict[int, VolunteerProfile]]:
    """The office's free volunteer places and the volunteers free to take them, planned optimally."""
    needs, slots = _open_slots(office)
    busy = set(db.session.scalars(select(Claim.volunteer_id).where(Claim.status.in_(LIVE))))
    today = date.today()
    volunteers, profiles = [], {}
    for profile, _km in geo.nearby(db.session, active_volunteers(), VolunteerProfile.latitude,
                                   VolunteerProfile.longitude, office.latitude, office.longitude,
                                   radius_km=DISPATCH_AREA_KM, limit=None):
        if profile.user_id in busy or not may_take_tasks(profile, today):
            continue
        profiles[profile.user_id] = profile
        volunteers.append(Volunteer(key=profile.user_id, lat=profile.latitude, lon=profile.longitude,
                                    radius_km=profile.radius_km, skills=frozenset(s.value for s in profile.skill_set),
                                    vetted=profile.is_vetted, adult=not is_minor(profile, today)))
    plan = plan_dispatch(slots, volunteers)
    return plan, {n.id: n for n in needs}, profiles
