"""The lists of volunteering's pages and API: each select in one place, narrowed to what the viewer may see."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

from marketplace.accounts.models import AccountStatus, User
from marketplace.core.extensions import db
from marketplace.core.scopes import office_scope
from marketplace.families.models import Household
from marketplace.needs.models import Need
from marketplace.offices.models import Office
from marketplace.volunteering.eligibility import minor_birth_year
from marketplace.volunteering.models import HOLDING_SLOT, Claim, ClaimStatus, VettingStatus, VolunteerProfile


def claims_of(volunteer, *statuses: ClaimStatus, limit: int | None = None) -> list[Claim]:
    """A volunteer's own claims (of these statuses, when given), newest first."""
    stmt = select(Claim).where(Claim.volunteer_id == volunteer.id)
    if statuses:
        stmt = stmt.where(Claim.status.in_(statuses))
    return list(db.session.scalars(stmt.order_by(Claim.created_at.desc(), Claim.id.desc()).limit(limit)))


def claims_on(need: Need) -> list[Claim]:
    """Every claim on a need with its volunteer, newest first (the office's page of the need's volunteers)."""
    return list(db.session.scalars(
        select(Claim).where(Claim.need_id == need.id).options(joinedload(Claim.volunteer))
        .order_by(Claim.created_at.desc())))


def family_claims(user) -> list[Claim]:
    """The claims holding a slot of the family's own needs, newest first."""
    return list(db.session.scalars(
        select(Claim).join(Need, Need.id == Claim.need_id).join(Household, Household.id == Need.household_id)
        .where(Household.user_id == user.id, Claim.status.in_(HOLDING_SLOT))
        .options(joinedload(Claim.need), joinedload(Claim.volunteer)).order_by(Claim.created_at.desc())))


def profiles_to_vet(viewer, office: Office, today: date) -> list[VolunteerProfile]:
    """The office's volunteers waiting for it: those who asked to be vetted, and minors (a parent's consent)."""
    stmt = (select(VolunteerProfile).options(joinedload(VolunteerProfile.user))
            .where(VolunteerProfile.vetting_office_id == office.id,
                   or_(VolunteerProfile.vetting_status == VettingStatus.REQUESTED,
                       minor_birth_year(VolunteerProfile.birth_year, today)))
            .order_by(VolunteerProfile.updated_at))
    return list(db.session.scalars(office_scope(viewer, stmt, VolunteerProfile.vetting_office_id)))


def active_volunteers() -> Select:
    """Profiles of volunteers whose account is active, with the user loaded (for geo.nearby)."""
    return (select(VolunteerProfile).join(User, User.id == VolunteerProfile.user_id)
            .where(User.status == AccountStatus.ACTIVE).options(joinedload(VolunteerProfile.user)))
