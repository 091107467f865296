"""Claim rules: eligibility, the address only while the claim is live, the need driven by its claims."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from marketplace.core.audit.models import AuditEntry
from marketplace.needs.models import NeedStatus
from marketplace.volunteering import services
from marketplace.volunteering.models import ClaimStatus, VettingStatus
from tests.factories import NeedFactory, UserFactory, VolunteerProfileFactory
from marketplace.core.roles import Role


def volunteer(db_session, *, age=30, vetted=False, consent=False):
    user = UserFactory(role=Role.VOLUNTEER)
    from marketplace.core.dbtypes import utcnow

    VolunteerProfileFactory(
        user=user, birth_year=date.today().year - age, settlement=None, latitude=43.25, longitude=76.9, radius_km=20,
        availability=0, vetting_status=VettingStatus.VETTED if vetted else VettingStatus.NOT_REQUESTED,
        parent_consent_at=utcnow() if consent else None)
    return user


@pytest.fixture
def task(db_session):
    return NeedFactory(open=True, money_goal=None, volunteer_slots=1, volunteer_hours=2)


def test_claim_reveals_the_address_until_confirmed_and_drives_the_need(app, db_session, task):
    helper = volunteer(db_session)
    with app.test_request_context():
        assert services.family_contact_for(type("C", (), {"volunteer_id": helper.id, "status": ClaimStatus.INVITED,
                                                          "need": task})(), helper) is None
        claim = services.claim_slot(task, helper)
        assert task.status is NeedStatus.IN_PROGRESS and task.slots_filled == 1
        contact = services.family_contact_for(claim, helper)
        assert contact["address"] == task.household.address and contact["phone"] == task.household.phone
        assert services.family_contact_for(claim, UserFactory(role=Role.VOLUNTEER)) is None
        services.change_claim(claim, "report_done", actor=helper)
        services.change_claim(claim, "confirm", actor=task.household.user)
        assert services.family_contact_for(claim, helper) is None  # confirmed: no longer revealed
        assert task.status is NeedStatus.FULFILLED
    reveals = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "household.read_personal",
                                                          AuditEntry.actor_id == helper.id)).all()
    assert len(reveals) == 1 and reveals[0].details == {"purpose": "volunteer_task", "claim_id": claim.id}


def test_release_frees_the_slot_and_reopens_the_need(app, db_session, task):
    helper = volunteer(db_session)
    with app.test_request_context():
        claim = services.claim_slot(task, helper)
        services.change_claim(claim, "release", actor=helper)
    assert task.slots_filled == 0 and task.status is NeedStatus.VERIFIED


@pytest.mark.parametrize("age, vetted, consent, in_home, refusal", [
    (30, False, False, True, "vetting_required"),
    (30, True, False, True, None),
    (16, False, False, False, "parent_consent_missing"),
    (16, False, True, False, None),
    (16, True, True, True, "vetting_required"),  # a minor never goes into a home
])
def test_eligibility(app, db_session, age, vetted, consent, in_home, refusal):
    need = NeedFactory(open=True, money_goal=None, volunteer_slots=1, volunteer_hours=1, in_home=in_home)
    helper = volunteer(db_session, age=age, vetted=vetted, consent=consent)
    with app.test_request_context():
        if refusal is None:
            assert services.claim_slot(need, helper).status is ClaimStatus.CLAIMED
        else:
            with pytest.raises(services.ClaimRefused) as refused:
                services.claim_slot(need, helper)
            assert refused.value.code == refusal and need.slots_filled == 0


def test_cancelling_the_need_revokes_its_claims(app, db_session, task):
    helper = volunteer(db_session)
    staff = UserFactory(role=Role.STAFF, office=task.office)
    with app.test_request_context():
        claim = services.claim_slot(task, helper)
        from marketplace.needs.services import change_status

        change_status(task, "cancel", actor=staff, reason="Семья переехала")
    assert claim.status is ClaimStatus.REVOKED and task.slots_filled == 0


def test_api_claim_needs_a_volunteer(client, db_session, task, family_user):
    assert client.post(f"/api/v1/needs/{task.id}/claims").status_code == 401
    from tests.conftest import login

    login(client, family_user)
    assert client.post(f"/api/v1/needs/{task.id}/claims").status_code == 403


def test_expire_claims_command_releases_stale_tasks_and_tells_the_volunteer(app, db_session, task, outbox):
    from datetime import timedelta

    from marketplace.core.dbtypes import utcnow
    from marketplace.notifications.models import Notification

    helper = volunteer(db_session)
    fresh_helper = volunteer(db_session)
    other = NeedFactory(open=True, money_goal=None, volunteer_slots=1, volunteer_hours=1)
    with app.test_request_context():
        stale = services.claim_slot(task, helper)
        fresh = services.claim_slot(other, fresh_helper)
    stale.last_activity_at = utcnow() - timedelta(days=8)
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["expire-claims"])
    assert result.exit_code == 0 and result.output.startswith("1 ")
    db_session.expire_all()
    assert stale.status is ClaimStatus.EXPIRED and fresh.status is ClaimStatus.CLAIMED
    assert task.slots_filled == 0 and task.status is NeedStatus.VERIFIED
    notice = db_session.scalar(select(Notification).where(Notification.user_id == helper.id))
    assert notice.kind == "claim.expire" and notice.params["days"] == "7"
    assert [m.recipients for m in outbox] == [[helper.email]]
