"""A family that changes its office takes its unfinished requests and open flags along."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.core.roles import Role
from marketplace.core.audit.models import AuditEntry
from marketplace.families.services import HouseholdData, save_household
from marketplace.moderation.models import FlagTarget
from marketplace.moderation.services import create_flag
from marketplace.needs.models import NeedStatus
from tests.conftest import login
from tests.factories import HouseholdFactory, NeedFactory, OfficeFactory, UserFactory


def test_office_change_moves_open_requests_and_flags(app, client, db_session):
    old, new = OfficeFactory(), OfficeFactory(code="NEW-1", settlement="Алматы")
    household = HouseholdFactory(office=old, verified=True)
    open_need = NeedFactory(household=household, office=old, submitted=True)
    done_need = NeedFactory(household=household, office=old, closed=True)
    reporter = UserFactory(role=Role.VOLUNTEER)
    with app.test_request_context():
        flag = create_flag(reporter, FlagTarget.NEED, open_need, "Похоже на повтор другой просьбы")
        save_household(household, HouseholdData(
            adults=2, children_birth_years=[c.birth_year for c in household.children], single_parent=False,
            disability=False, other_circumstances=None, phone=household.phone, address=household.address,
            office_id=new.id), actor=household.user)
    db_session.commit()
    assert open_need.office_id == new.id and done_need.office_id == old.id and flag.office_id == new.id
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "need.transfer")).object_id == open_need.id

    old_staff = UserFactory(role=Role.STAFF, office=old, email="old-staff@example.kz")
    login(client, old_staff)
    assert client.get(f"/staff/needs/{open_need.id}").status_code == 403
    new_staff = UserFactory(role=Role.STAFF, office=new, email="new-staff@example.kz")
    login(client, new_staff)
    assert client.get(f"/staff/needs/{open_need.id}").status_code == 200


def test_pledges_follow_their_need_to_the_new_office(app, db_session):
    from marketplace.pledges.services import pledge_money

    old, new = OfficeFactory(), OfficeFactory(code="NEW-2", settlement="Алматы")
    household = HouseholdFactory(office=old, verified=True)
    need = NeedFactory(household=household, office=old, status=NeedStatus.VERIFIED, money_goal=50_000_00)
    patron = UserFactory(role=Role.PATRON)
    pledge = pledge_money(need, patron, amount=10_000_00)
    with app.test_request_context():
        save_household(household, HouseholdData(
            adults=2, children_birth_years=[c.birth_year for c in household.children], single_parent=False,
            disability=False, other_circumstances=None, phone=household.phone, address=household.address,
            office_id=new.id), actor=household.user)
    db_session.commit()
    db_session.refresh(pledge)
    assert need.office_id == new.id and pledge.office_id == new.id
