"""The factories of pledges, patrons' and volunteers' profiles, claims and flags: each status trait stores
a row in that status, and the rows pass the database's own checks (on SQLite and on PostgreSQL alike)."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.core.extensions import db
from marketplace.core.roles import Role
from marketplace.moderation.models import Flag, FlagStatus, FlagTarget
from marketplace.pledges.models import PatronProfile, Pledge, PledgeKind, PledgeStatus
from marketplace.volunteering.models import Claim, ClaimStatus, Skill, VettingStatus, VolunteerProfile
from tests.factories import (
    ClaimFactory, FlagFactory, NeedFactory, OfficeFactory, PatronProfileFactory, PledgeFactory, UserFactory,
    VolunteerProfileFactory,
)


def stored(model, row_id, column):
    """The column as the database holds it, not as the session remembers it."""
    db.session.expire_all()
    return db.session.scalar(select(column).where(model.id == row_id))


# --- pledges ------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", list(PledgeStatus), ids=lambda s: s.value)
def test_a_money_pledge_trait_per_status(db_session, status):
    pledge = PledgeFactory(**{status.value: True})
    assert stored(Pledge, pledge.id, Pledge.status) is status
    assert stored(Pledge, pledge.id, Pledge.kind) is PledgeKind.MONEY
    assert pledge.patron.role is Role.PATRON
    assert pledge.office_id == pledge.need.office_id


GOODS_STATUSES = (PledgeStatus.PENDING, PledgeStatus.DELIVERED, PledgeStatus.CANCELLED)  # the goods lifecycle


@pytest.mark.parametrize("status", GOODS_STATUSES, ids=lambda s: s.value)
def test_a_goods_pledge_trait_per_status(db_session, status):
    pledge = PledgeFactory(goods=True, **{status.value: True})
    assert stored(Pledge, pledge.id, Pledge.status) is status
    assert stored(Pledge, pledge.id, Pledge.kind) is PledgeKind.GOODS
    assert pledge.amount is None and pledge.quantity == 1
    assert pledge.item.need_id == pledge.need_id


def test_a_refunded_pledge_gave_back_all_of_it(db_session):
    pledge = PledgeFactory(refunded=True)
    assert stored(Pledge, pledge.id, Pledge.amount_refunded) == pledge.amount


def test_the_database_really_checks_pledges_here(db_session):
    """So that the rows above passing means something on this engine: money of nothing is refused."""
    with pytest.raises(IntegrityError):
        PledgeFactory(amount=0)
    db_session.rollback()


def test_a_patron_profile(db_session):
    home = PatronProfileFactory()
    assert db_session.get(User, home.user_id).role is Role.PATRON
    patron = UserFactory(patron=True)
    assert stored(PatronProfile, PatronProfileFactory(user=patron).id, PatronProfile.user_id) == patron.id


def test_one_patron_profile_per_patron(db_session):
    home = PatronProfileFactory()
    with pytest.raises(IntegrityError):
        PatronProfileFactory(user_id=home.user_id)
    db_session.rollback()


# --- volunteering ---------------------------------------------------------------------------------

@pytest.mark.parametrize("status", list(VettingStatus), ids=lambda s: s.value)
def test_a_volunteer_profile_trait_per_vetting_status(db_session, status):
    profile = VolunteerProfileFactory(**{status.value: True})
    assert stored(VolunteerProfile, profile.id, VolunteerProfile.vetting_status) is status
    assert profile.user.role is Role.VOLUNTEER
    asked = stored(VolunteerProfile, profile.id, VolunteerProfile.vetting_office_id)
    assert (asked is None) is (status is VettingStatus.NOT_REQUESTED)


def test_a_volunteer_profile_asks_the_office_given_and_keeps_its_skills(db_session):
    office = OfficeFactory()
    profile = VolunteerProfileFactory(requested=True, vetting_office=office, skills=[Skill.DRIVING, Skill.REPAIRS])
    assert stored(VolunteerProfile, profile.id, VolunteerProfile.vetting_office_id) == office.id
    db_session.expire_all()
    assert db_session.get(VolunteerProfile, profile.id).skill_set == {Skill.DRIVING, Skill.REPAIRS}


@pytest.mark.parametrize("status", list(ClaimStatus), ids=lambda s: s.value)
def test_a_claim_trait_per_status(db_session, status):
    claim = ClaimFactory(**{status.value: True})
    assert stored(Claim, claim.id, Claim.status) is status
    assert claim.volunteer.role is Role.VOLUNTEER
    assert claim.office_id == claim.need.office_id


def test_the_database_really_checks_claims_here(db_session):
    """One live claim per volunteer and need: a second is refused by the partial unique index."""
    claim = ClaimFactory()
    with pytest.raises(IntegrityError):
        ClaimFactory(need=claim.need, volunteer=claim.volunteer, in_progress=True)
    db_session.rollback()


# --- moderation -----------------------------------------------------------------------------------

@pytest.mark.parametrize("status", list(FlagStatus), ids=lambda s: s.value)
def test_a_flag_trait_per_status(db_session, status):
    flag = FlagFactory(**{status.value: True})
    assert stored(Flag, flag.id, Flag.status) is status
    assert (flag.resolved_at is None) is (status is FlagStatus.OPEN)


def test_a_flag_is_about_the_need_given_and_goes_to_its_office(db_session):
    need = NeedFactory(open=True)
    reporter = UserFactory(patron=True)
    flag = FlagFactory(target=need, reporter=reporter)
    assert (flag.target_type, flag.target_id, flag.office_id) == (FlagTarget.NEED, need.id, need.office_id)
    assert stored(Flag, flag.id, Flag.reporter_id) == reporter.id
