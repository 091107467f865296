"""Staff: suggested volunteers for a task, invitations, confirming and revoking claims."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from marketplace.core.roles import Role
from marketplace.core.dbtypes import utcnow
from marketplace.needs.models import NeedStatus
from marketplace.notifications.models import Notification
from marketplace.volunteering import services
from marketplace.volunteering.matching import suggest_volunteers
from marketplace.volunteering.models import Claim, ClaimStatus, Skill, VettingStatus, VolunteerProfile
from tests.conftest import login
from tests.factories import NeedFactory, UserFactory, VolunteerProfileFactory


def volunteer(db_session, name, lat, lon, *, radius=20, skills=(), vetted=False, age=30):
    user = UserFactory(role=Role.VOLUNTEER, full_name=name)
    VolunteerProfileFactory(user=user, birth_year=date.today().year - age, settlement=None, latitude=lat,
                            longitude=lon, radius_km=radius, availability=0,
                            vetting_status=VettingStatus.VETTED if vetted else VettingStatus.NOT_REQUESTED,
                            parent_consent_at=utcnow() if age < 18 else None, skills=skills)
    return user


def test_suggestions_follow_the_rules_and_rank_nearest_first(app, db_session):
    need = NeedFactory(open=True, money_goal=None, volunteer_slots=1, volunteer_hours=2, in_home=True,
                       required_skills="repairs")  # at 43.24, 76.89
    near = volunteer(db_session, "Рядом", 43.25, 76.90, skills=[Skill.REPAIRS], vetted=True)
    far = volunteer(db_session, "Дальше", 43.35, 76.95, skills=[Skill.REPAIRS], vetted=True)
    volunteer(db_session, "Не проверен", 43.24, 76.89, skills=[Skill.REPAIRS])  # in-home needs vetting
    volunteer(db_session, "Без навыка", 43.24, 76.89, vetted=True)
    volunteer(db_session, "Радиус мал", 43.35, 76.95, radius=2, skills=[Skill.REPAIRS], vetted=True)
    volunteer(db_session, "Подросток", 43.24, 76.89, skills=[Skill.REPAIRS], vetted=True, age=16)
    with app.test_request_context():
        names = [s.profile.user.full_name for s in suggest_volunteers(need)]
    assert names == [near.full_name, far.full_name]


def test_invite_accept_and_revoke(app, client, db_session):
    need = NeedFactory(open=True, money_goal=None, volunteer_slots=1, volunteer_hours=2)
    staff = UserFactory(role=Role.STAFF, office=need.office, email="office-staff@example.kz")
    helper = volunteer(db_session, "Айдос", 43.25, 76.90)
    login(client, staff)
    page = client.get(f"/staff/needs/{need.id}/volunteers")
    assert page.status_code == 200 and "Айдос" in page.get_data(as_text=True)
    assert client.post(f"/staff/needs/{need.id}/invite/{helper.id}").status_code == 302
    claim = db_session.scalar(select(Claim).where(Claim.need_id == need.id))
    assert claim.status is ClaimStatus.INVITED and need.slots_filled == 0
    assert db_session.scalar(select(Notification.kind).where(Notification.user_id == helper.id)) == "claim.invite"

    with app.test_request_context():
        services.accept_invitation(claim, helper)
    db_session.commit()
    assert claim.status is ClaimStatus.CLAIMED and need.slots_filled == 1 and need.status is NeedStatus.IN_PROGRESS

    refused = client.post(f"/staff/claims/{claim.id}/revoke", data={"reason": ""}, follow_redirects=True)
    assert "Please give a reason." in refused.get_data(as_text=True)
    db_session.expire_all()
    assert claim.status is ClaimStatus.CLAIMED
    client.post(f"/staff/claims/{claim.id}/revoke", data={"reason": "Семья просит другого волонтёра"})
    db_session.expire_all()
    assert claim.status is ClaimStatus.REVOKED and need.slots_filled == 0 and need.status is NeedStatus.VERIFIED


def test_staff_of_another_office_cannot_see_or_act(client, db_session):
    need = NeedFactory(open=True, money_goal=None, volunteer_slots=1, volunteer_hours=2)
    other = UserFactory(role=Role.STAFF, office=NeedFactory().office, email="elsewhere@example.kz")
    login(client, other)
    assert client.get(f"/staff/needs/{need.id}/volunteers").status_code == 403
    helper = volunteer(db_session, "Айдос", 43.25, 76.90)
    assert client.post(f"/staff/needs/{need.id}/invite/{helper.id}").status_code == 403


def test_volunteer_accepts_an_invitation_on_the_task_page(app, client, db_session):
    need = NeedFactory(open=True, money_goal=None, volunteer_slots=1, volunteer_hours=2)
    staff = UserFactory(role=Role.STAFF, office=need.office)
    helper = volunteer(db_session, "Айдос", 43.25, 76.90)
    with app.test_request_context():
        claim = services.invite(need, helper, actor=staff)
    db_session.commit()
    login(client, helper)
    page = client.get(f"/volunteer/claims/{claim.id}").get_data(as_text=True)
    assert f"/volunteer/claims/{claim.id}/accept" in page and need.household.address not in page
    assert client.post(f"/volunteer/claims/{claim.id}/accept").status_code == 302
    db_session.expire_all()
    assert claim.status is ClaimStatus.CLAIMED and need.slots_filled == 1
    assert need.household.address in client.get(f"/volunteer/claims/{claim.id}").get_data(as_text=True)


def test_a_volunteer_free_more_often_ranks_first_at_the_same_distance(app, db_session):
    need = NeedFactory(open=True, money_goal=None, volunteer_slots=1, volunteer_hours=2)
    rarely = volunteer(db_session, "Редко", 43.25, 76.90)
    often = volunteer(db_session, "Часто", 43.25, 76.90)
    profile = db_session.scalar(select(VolunteerProfile).where(VolunteerProfile.user_id == often.id))
    profile.availability = 0b111111111  # Monday to Wednesday, all day
    db_session.commit()
    with app.test_request_context():
        assert [s.profile.user_id for s in suggest_volunteers(need)] == [often.id, rarely.id]


def test_in_home_task_from_the_family_form_refuses_a_minor_and_staff_set_skills(app, client, db_session):
    from marketplace.core.audit.models import AuditEntry
    from tests.factories import HouseholdFactory

    household = HouseholdFactory(verified=True)
    login(client, household.user)
    client.post("/family/needs/new", data={
        "category": "other", "title": "Посидеть с детьми", "description": "Нужно посидеть с младшими два часа",
        "urgency": "normal", "volunteer_slots": "1", "volunteer_hours": "2", "volunteer_in_home": "y",
        "action": "draft"})
    from marketplace.needs.models import Need

    need = db_session.scalar(select(Need).where(Need.title == "Посидеть с детьми"))
    assert need.in_home is True
    staff = UserFactory(role=Role.STAFF, office=need.office)
    login(client, staff)
    client.post(f"/staff/needs/{need.id}/requirements", data={"skills": ["childcare", "nonsense"], "in_home": "y"})
    db_session.expire_all()
    assert need.required_skills == "childcare" and need.in_home
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "need.task_requirements")) is not None
    need.status, need.public_latitude, need.public_longitude = NeedStatus.VERIFIED, 43.24, 76.89
    db_session.commit()
    teen = volunteer(db_session, "Подросток", 43.25, 76.90, skills=[Skill.CHILDCARE], vetted=True, age=16)
    with app.test_request_context():
        try:
            services.claim_slot(need, teen)
            raise AssertionError("a minor took an in-home task")
        except services.ClaimRefused as refused:
            assert refused.code == "vetting_required"


def test_changing_the_birth_year_resets_consent_and_vetting(client, db_session):
    helper = volunteer(db_session, "Айдос", 43.25, 76.90, vetted=True, age=16)
    login(client, helper)
    client.post("/volunteer/profile", data={"birth_year": "1990", "place": "Алматы", "radius_km": "10"})
    record = db_session.scalar(select(VolunteerProfile).where(VolunteerProfile.user_id == helper.id))
    db_session.refresh(record)
    assert record.birth_year == 1990
    assert record.parent_consent_at is None and record.vetting_status is VettingStatus.NOT_REQUESTED
