"""Who may take a task: one rule for a claim, an invitation, a suggestion, the dispatch plan and vetting.

A volunteer under ADULT_AGE, or whose age is unknown (one answer everywhere: it counts as a minor), takes
tasks only with a parent's consent recorded by an office, and never inside a family's home: a task inside a
home needs a vetted adult. A suggestion also needs every skill the task asks for, within the volunteer's radius.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import or_

from marketplace.accounts.models import ADULT_AGE
from marketplace.core.roles import Role
from marketplace.needs.models import OPEN_STATES, Need
from marketplace.needs.services import is_public
from marketplace.volunteering.models import Skill, VolunteerProfile



class ClaimRefused(ValueError):
    """A claim that cannot be made, with the reason in the volunteer's language."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


def required_skills(need: Need) -> list[Skill]:
    """The skills a need asks for, in its order, ignoring any value that is no longer a skill."""
    values = [v.strip() for v in (need.required_skills or "").split(",")]
    return [Skill(v) for v in values if v in Skill._value2member_map_]


def is_minor(profile_or_birth_year: VolunteerProfile | int | None, today: date) -> bool:
    """Under ADULT_AGE this year, or of unknown age."""
    birth_year = (profile_or_birth_year if profile_or_birth_year is None or isinstance(profile_or_birth_year, int)
                  else profile_or_birth_year.birth_year)
    return birth_year is None or today.year - birth_year < ADULT_AGE


def minor_birth_year(column, today: date):
    """SQL: `column` (a birth year) makes a minor this year, as is_minor says: unknown, or too recent."""
    return or_(column.is_(None), column > today.year - ADULT_AGE)


def why_not_for(profile: VolunteerProfile, *, in_home: bool, today: date) -> ClaimRefused | None:
    """The age, consent and vetting rule: why this volunteer may not take such a task, or None."""
    minor = is_minor(profile, today)
    if minor and profile.parent_consent_at is None:
        return ClaimRefused(_("A volunteer under 18 needs a parent's consent, recorded by an office."),
                            code="parent_consent_missing")
    if in_home and (minor or not profile.is_vetted):
        return ClaimRefused(_("This task is inside a family's home: only vetted adult volunteers can take it."),
                            code="vetting_required")
    return None


def may_take_tasks(profile: VolunteerProfile, today: date) -> bool:
    """Whether the volunteer may take any task at all (one outside a home)."""
    return why_not_for(profile, in_home=False, today=today) is None


def why_not_eligible(need: Need, volunteer, profile: VolunteerProfile | None, *,
                     today: date | None = None) -> ClaimRefused | None:
    """The reason this volunteer may not take a slot of this need, or None."""
    if volunteer.role is not Role.VOLUNTEER:
        return ClaimRefused(_("Only volunteers can take tasks."), code="not_a_volunteer")
    if not is_public(need) or need.status not in OPEN_STATES or not need.volunteer_slots:
        return ClaimRefused(_("This request is not open for volunteers."), code="not_open")
    if profile is None:
        return ClaimRefused(_("Fill in your volunteer profile first."), code="no_profile")
    return why_not_for(profile, in_home=need.in_home, today=today or date.today())


def eligible(need: Need, profile: VolunteerProfile, distance_km: float, *, today: date | None = None) -> bool:
    """The hard rules of a suggestion: within the volunteer's radius, every skill, and the age, consent and
    vetting rule."""
    return (distance_km <= profile.radius_km and frozenset(required_skills(need)) <= profile.skill_set
            and why_not_for(profile, in_home=need.in_home, today=today or date.today()) is None)
