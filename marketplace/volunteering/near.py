"""Tasks near me: open needs with a free volunteer place within the volunteer's radius that fit their skills.

The database narrows (public and open, a free place, the skills, a bounding box on the indexed public
point); only the rows left are ranked by exact distance, so the query never scans every need.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, func, literal, not_, or_, select, true
from sqlalchemy.orm import selectinload

from marketplace import geo
from marketplace.core.extensions import db
from marketplace.families.models import Household
from marketplace.needs.models import Need
from marketplace.needs.services import open_needs
from marketplace.volunteering.eligibility import ClaimRefused, required_skills, why_not_eligible
from marketplace.volunteering.models import LIVE, Claim, Skill, VolunteerProfile

TASKS_LIMIT = 50


@dataclass
class Task:
    need: Need
    km: float
    skills: list[Skill]
    refusal: ClaimRefused | None  # why this volunteer may not take it; None: one tap takes it
    my_claim_id: int | None = None  # the volunteer already holds this task

    @property
    def slots_left(self) -> int:
        return max(0, self.need.volunteer_slots - self.need.slots_filled)


def fits_skills(skills: frozenset[Skill]):
    """SQL: the need asks for no skill outside `skills` (required ⊆ the volunteer's)."""
    listed = literal(",", String) + func.replace(func.coalesce(Need.required_skills, ""), " ", "", type_=String) + ","
    missing = [listed.contains(f",{skill.value},", autoescape=True) for skill in Skill if skill not in skills]
    return not_(or_(*missing)) if missing else true()


def tasks_stmt(profile: VolunteerProfile):
    """Open public needs with a free volunteer place that fit the profile's skills."""
    return open_needs(select(Need)).where(
        Need.volunteer_slots > 0, Need.slots_filled < Need.volunteer_slots, fits_skills(profile.skill_set)
    )


def tasks_near(profile: VolunteerProfile, volunteer, *, limit: int = TASKS_LIMIT) -> list[Task]:
    """The nearest fitting tasks within the profile's radius, by distance then urgency."""
    if profile.latitude is None or profile.longitude is None:
        return []
    found = geo.nearby(db.session, tasks_stmt(profile), Need.public_latitude, Need.public_longitude,
                       profile.latitude, profile.longitude, radius_km=profile.radius_km, limit=limit)
    if not found:
        return []
    ids = [need.id for need, _km in found]
    # Into the identity map in two queries, so the eligibility check below loads nothing per need.
    db.session.scalars(select(Household).options(selectinload(Household.user))
                       .where(Household.id.in_({need.household_id for need, _km in found}))).all()
    mine = dict(db.session.execute(select(Claim.need_id, Claim.id).where(
        Claim.volunteer_id == volunteer.id, Claim.need_id.in_(ids), Claim.status.in_(LIVE))).all())
    tasks = [Task(need, km, required_skills(need), why_not_eligible(need, volunteer, profile), mine.get(need.id))
             for need, km in found]
    tasks.sort(key=lambda task: (round(task.km, 1), task.need.urgency_rank))
    return tasks
