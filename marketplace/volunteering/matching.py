"""Which volunteers suit a need: near enough, with the skills, vetted where it matters, free, reliable."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from marketplace import geo
from marketplace.accounts.models import AccountStatus, User
from marketplace.core.extensions import db
from marketplace.needs.models import Need
from marketplace.volunteering.models import Claim, ClaimStatus, Skill, VolunteerProfile

# The widest travel radius a volunteer can choose: the indexed prefilter around the need.
MAX_RADIUS_KM = 50.0
LIVE = (ClaimStatus.CLAIMED, ClaimStatus.IN_PROGRESS, ClaimStatus.DONE)
FAILED = (ClaimStatus.EXPIRED, ClaimStatus.REVOKED)


def required_skills(need: Need) -> frozenset[Skill]:
    known = {s.value for s in Skill}
    return frozenset(Skill(s.strip()) for s in (need.required_skills or "").split(",") if s.strip() in known)


def eligible(need: Need, profile: VolunteerProfile, distance_km: float) -> bool:
    """The hard rules: within the volunteer's radius, every skill, and a vetted adult inside a home;
    a minor only with a parent's consent."""
    age = profile.age(date.today().year)
    minor = age is None or age < 18
    if distance_km > profile.radius_km or not required_skills(need) <= profile.skill_set:
        return False
    if minor and (profile.parent_consent_at is None or need.in_home):
        return False
    return not (need.in_home and not profile.is_vetted)


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
    stmt = (select(VolunteerProfile).join(User, User.id == VolunteerProfile.user_id)
            .where(User.status == AccountStatus.ACTIVE).options(joinedload(VolunteerProfile.user)))
    near = geo.nearby(db.session, stmt, VolunteerProfile.latitude, VolunteerProfile.longitude,
                      need.public_latitude, need.public_longitude, radius_km=MAX_RADIUS_KM, limit=None)
    candidates = [(p, km) for p, km in near if eligible(need, p, km)]
    taken = set(db.session.scalars(select(Claim.volunteer_id).where(
        Claim.need_id == need.id, Claim.status.in_((ClaimStatus.INVITED, *LIVE)))))
    candidates = [(p, km) for p, km in candidates if p.user_id not in taken]
    if not candidates:
        return []
    ids = [p.user_id for p, _km in candidates]
    stats = {row.volunteer_id: row for row in db.session.execute(
        select(Claim.volunteer_id,
               func.sum(case((Claim.status.in_(LIVE), 1), else_=0)).label("live"),
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
