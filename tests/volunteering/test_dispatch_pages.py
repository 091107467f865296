"""Staff dispatch page and vetting: plans, invitations with one click, vetting and parents' consent."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from marketplace.core.roles import Role
from marketplace.core.audit.models import AuditEntry
from marketplace.volunteering.models import Claim, ClaimStatus, VettingStatus
from tests.conftest import login
from tests.factories import NeedFactory, OfficeFactory, UserFactory, VolunteerProfileFactory


def profile(db_session, office, lat, lon, *, age=30, status=VettingStatus.NOT_REQUESTED):
    user = UserFactory(role=Role.VOLUNTEER)
    return VolunteerProfileFactory(user=user, birth_year=date.today().year - age, settlement=None, latitude=lat,
                                   longitude=lon, radius_km=20, availability=0, vetting_status=status,
                                   vetting_office=office)


def test_dispatch_plan_and_send(client, db_session):
    office = OfficeFactory()
    needs = [NeedFactory(open=True, money_goal=None, volunteer_slots=1, volunteer_hours=1,
                         household__office=office, office=office) for _ in range(2)]
    profiles = [profile(db_session, office, 43.25, 76.90), profile(db_session, office, 43.26, 76.91)]
    staff = UserFactory(role=Role.STAFF, office=office)
    login(client, staff)
    page = client.get("/staff/dispatch").get_data(as_text=True)
    pairs = [p for p in page.split('name="pair" value="')[1:]]
    assert len(pairs) == 2
    sent = client.post("/staff/dispatch/send", data={
        "office_id": office.id, "pair": [p.split('"')[0] for p in pairs]}, follow_redirects=True)
    assert "Invitations sent: 2" in sent.get_data(as_text=True)
    invited = db_session.scalars(select(Claim).where(Claim.status == ClaimStatus.INVITED)).all()
    assert {c.need_id for c in invited} == {n.id for n in needs}
    assert {c.volunteer_id for c in invited} == {p.user_id for p in profiles}
    # Invited places are no longer planned again.
    assert 'name="pair"' not in client.get("/staff/dispatch").get_data(as_text=True)


def test_dispatch_is_only_for_the_office(client, db_session):
    office, other = OfficeFactory(), OfficeFactory()
    login(client, UserFactory(role=Role.STAFF, office=other))
    assert client.post("/staff/dispatch/send", data={"office_id": office.id}).status_code == 403


def test_vetting_and_parent_consent(client, db_session):
    office = OfficeFactory()
    adult = profile(db_session, office, 43.25, 76.9, status=VettingStatus.REQUESTED)
    teen = profile(db_session, office, 43.25, 76.9, age=16)
    login(client, UserFactory(role=Role.STAFF, office=office))
    page = client.get("/staff/volunteers").get_data(as_text=True)
    assert adult.user.full_name in page and teen.user.full_name in page
    client.post(f"/staff/volunteers/{adult.id}/vet")
    refused = client.post(f"/staff/volunteers/{teen.id}/parent_consent", data={"reason": ""}, follow_redirects=True)
    assert "Write down how the consent was given" in refused.get_data(as_text=True)
    client.post(f"/staff/volunteers/{teen.id}/parent_consent", data={"reason": "Заявление матери №12"})
    db_session.expire_all()
    assert adult.vetting_status is VettingStatus.VETTED and teen.parent_consent_at is not None
    actions = set(db_session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "volunteer")))
    assert {"volunteer.vet", "volunteer.parent_consent"} <= actions


def test_vetting_lifecycle_table(app, db_session):
    from marketplace.volunteering.lifecycle import VETTING_LIFECYCLE

    office, other = OfficeFactory(), OfficeFactory()
    adult = profile(db_session, office, 43.25, 76.9, status=VettingStatus.REQUESTED)
    teen = profile(db_session, office, 43.25, 76.9, age=16, status=VettingStatus.REQUESTED)
    staff, elsewhere = UserFactory(role=Role.STAFF, office=office), UserFactory(role=Role.STAFF, office=other)
    with app.test_request_context():
        assert VETTING_LIFECYCLE.can(staff, adult, "vet") and VETTING_LIFECYCLE.can(staff, adult, "refuse")
        assert not VETTING_LIFECYCLE.can(elsewhere, adult, "vet")
        assert not VETTING_LIFECYCLE.can(staff, teen, "vet")  # a minor never goes into a home
        assert VETTING_LIFECYCLE.can(staff, teen, "refuse")
        assert not VETTING_LIFECYCLE.can(adult.user, adult, "vet")
        assert not VETTING_LIFECYCLE.can(adult.user, adult, "request")  # already requested
        assert VETTING_LIFECYCLE.can(adult.user, adult, "reset")
