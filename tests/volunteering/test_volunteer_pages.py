"""The volunteer's pages: profile, tasks near me, taking a task, a task's page, my tasks, certificate."""
from __future__ import annotations

import io
import re
from datetime import date

from PIL import Image
from sqlalchemy import select

from marketplace.core.roles import Role
from marketplace.core.audit.models import AuditEntry
from marketplace.volunteering import services
from marketplace.volunteering.models import Claim, ClaimStatus, Skill, VettingStatus, VolunteerProfile
from tests.factories import NeedFactory, UserFactory, VolunteerProfileFactory

ALMATY = (43.25249, 76.9115)  # where the offline gazetteer puts "Алматы"


def make_volunteer(db_session, user=None, *, age=30, vetted=False, skills=(), radius=10.0, point=ALMATY):
    user = user or UserFactory(role=Role.VOLUNTEER)
    VolunteerProfileFactory(
        user=user, birth_year=date.today().year - age, settlement="Алматы", latitude=point[0],
        longitude=point[1], radius_km=radius, availability=0,
        vetting_status=VettingStatus.VETTED if vetted else VettingStatus.NOT_REQUESTED, skills=skills)
    return user


def task(title, *, at=(43.24, 76.89), **kwargs):
    kwargs.setdefault("volunteer_slots", 2)
    return NeedFactory(open=True, money_goal=None, volunteer_hours=2, title=title, public_latitude=at[0],
                       public_longitude=at[1], **kwargs)


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 200, 200)).save(out, "PNG")
    return out.getvalue()


# --- profile -------------------------------------------------------------------------------------


def test_profile_is_saved_geocoded_with_skills_and_availability(client, db_session, login_as, volunteer_user):
    login_as(volunteer_user)
    assert client.get("/volunteer/profile").status_code == 200
    response = client.post("/volunteer/profile", data={
        "birth_year": "1995", "skills": ["driving", "repairs"], "place": "Талгар", "radius_km": "25",
        "availability": ["0", "20"]})
    assert response.status_code == 302
    profile = db_session.scalar(select(VolunteerProfile).where(VolunteerProfile.user_id == volunteer_user.id))
    assert profile.birth_year == 1995 and profile.radius_km == 25
    assert abs(profile.latitude - 43.30) < 0.05 and abs(profile.longitude - 77.24) < 0.05
    assert profile.skill_set == {Skill.DRIVING, Skill.REPAIRS}
    assert profile.availability == (1 << 0) | (1 << 20)
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "volunteer.profile_save",
                                                      AuditEntry.actor_id == volunteer_user.id)) is not None
    # Saved again with one skill fewer: the change sticks.
    client.post("/volunteer/profile", data={"birth_year": "1995", "skills": ["repairs"], "place": "Талгар",
                                            "radius_km": "25", "availability": ["1"]})
    db_session.refresh(profile)
    assert profile.skill_set == {Skill.REPAIRS} and profile.availability == 2
    page = client.get("/volunteer/profile").get_data(as_text=True)
    assert "Талгар" in page and 'value="1" id="availability-1" checked' in page


def test_the_week_is_one_row_per_day_of_three_labelled_toggles(client, db_session, login_as, volunteer_user):
    """Monday … Sunday, each a group named by its day with morning, afternoon and evening, each checkbox inside its
    visible label; ticked ones are the profile's bits (day * 3 + part)."""
    login_as(volunteer_user)
    client.post("/volunteer/profile", data={"birth_year": "1995", "place": "Талгар", "radius_km": "10",
                                            "availability": ["0", "5", "20"]})  # Mon morning, Tue evening, Sun evening
    page = client.get("/volunteer/profile").get_data(as_text=True)
    week = re.search(r'<fieldset class="field week">.*?</fieldset>\s*<div class="actions">', page, re.S).group(0)
    days = re.findall(r'<fieldset class="week-day">\s*<legend>([^<]+)</legend>(.*?)</fieldset>', week, re.S)
    assert [day for day, _ in days] == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    slot = 0
    for _, row in days:
        toggles = re.findall(r'<label class="toggle" for="availability-(\d+)"><input type="checkbox" '
                             r'name="availability" value="(\d+)" id="availability-\d+"( checked)?>'
                             r'<span class="toggle-face">(\w+)</span></label>', row)
        assert [(int(f), int(v), part) for f, v, _, part in toggles] == [
            (slot, slot, "Morning"), (slot + 1, slot + 1, "Afternoon"), (slot + 2, slot + 2, "Evening")]
        slot += 3
    ticked = re.findall(r'value="(\d+)" id="availability-\d+" checked', week)
    assert ticked == ["0", "5", "20"]
    assert "visually-hidden" not in week  # every toggle's words are on the screen


def test_unknown_place_is_a_form_error(client, db_session, login_as, volunteer_user):
    login_as(volunteer_user)
    response = client.post("/volunteer/profile", data={"birth_year": "1995", "place": "Qwertyzzz",
                                                       "radius_km": "10"})
    assert response.status_code == 400
    assert "We could not find" in response.get_data(as_text=True)
    assert db_session.scalar(select(VolunteerProfile).where(VolunteerProfile.user_id == volunteer_user.id)) is None


def test_asking_to_be_vetted_goes_to_the_nearest_office(client, db_session, login_as, volunteer_user, office):
    make_volunteer(db_session, volunteer_user)
    login_as(volunteer_user)
    assert client.post("/volunteer/profile/vetting", data={"office_id": ""}).status_code == 302
    profile = services.profile_of(volunteer_user)
    db_session.refresh(profile)
    assert profile.vetting_status is VettingStatus.REQUESTED and profile.vetting_office_id is not None
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "volunteer.request")) is not None


def test_a_minor_sees_that_parent_consent_is_missing(client, db_session, login_as, volunteer_user):
    make_volunteer(db_session, volunteer_user, age=15)
    login_as(volunteer_user)
    assert "Ask your office to record it" in client.get("/volunteer/profile").get_data(as_text=True)


# --- tasks near me -------------------------------------------------------------------------------


def test_tasks_near_me_shows_fitting_free_tasks_in_radius_nearest_first(client, db_session, login_as, volunteer_user):
    make_volunteer(db_session, volunteer_user, skills=[Skill.DRIVING], radius=10)
    near = task("Близкая задача", at=(43.25, 76.91))
    farther = task("Подальше с машиной", at=(43.29, 76.96), required_skills="driving")
    task("За городом", at=(43.30, 77.24))  # Talgar, about 27 km away
    task("Нужен ремонт", at=(43.25, 76.91), required_skills="driving,repairs")
    task("Все места заняты", at=(43.25, 76.91), volunteer_slots=1, slots_filled=1)
    task("Без волонтёров", at=(43.25, 76.91), volunteer_slots=0)
    NeedFactory(submitted=True, money_goal=None, volunteer_slots=2, title="Ещё не проверена",
                public_latitude=43.25, public_longitude=76.91)
    login_as(volunteer_user)
    page = client.get("/volunteer/tasks").get_data(as_text=True)
    assert near.title in page and farther.title in page
    assert page.index(near.title) < page.index(farther.title)
    for hidden in ("За городом", "Нужен ремонт", "Все места заняты", "Без волонтёров", "Ещё не проверена"):
        assert hidden not in page
    assert "Car and driving" in page and "task-points" in page
    assert near.household.address not in page  # no address before a claim


def test_in_home_task_is_shown_but_not_claimable_by_unvetted(client, db_session, login_as, volunteer_user):
    make_volunteer(db_session, volunteer_user)
    need = task("Помочь дома", in_home=True)
    login_as(volunteer_user)
    page = client.get("/volunteer/tasks").get_data(as_text=True)
    assert need.title in page and "only vetted adult volunteers can take it" in page
    assert f"/volunteer/tasks/{need.id}/claim" not in page
    response = client.post(f"/volunteer/tasks/{need.id}/claim")
    assert response.status_code == 409
    assert "only vetted adult volunteers can take it" in response.get_data(as_text=True)
    db_session.refresh(need)
    assert need.slots_filled == 0
    assert db_session.scalar(select(Claim).where(Claim.need_id == need.id)) is None


def test_claiming_takes_a_slot(client, db_session, login_as, volunteer_user):
    make_volunteer(db_session, volunteer_user)
    need = task("Отвезти детей")
    login_as(volunteer_user)
    response = client.post(f"/volunteer/tasks/{need.id}/claim")
    claim = db_session.scalar(select(Claim).where(Claim.need_id == need.id))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/volunteer/claims/{claim.id}")
    assert claim.volunteer_id == volunteer_user.id and claim.status is ClaimStatus.CLAIMED
    db_session.refresh(need)
    assert need.slots_filled == 1


def test_claiming_a_full_need_is_409_with_the_reason(app, client, db_session, login_as, volunteer_user):
    make_volunteer(db_session, volunteer_user)
    need = task("Одно место", volunteer_slots=1)
    first = make_volunteer(db_session)
    with app.test_request_context():
        services.claim_slot(need, first)
    db_session.commit()
    login_as(volunteer_user)
    response = client.post(f"/volunteer/tasks/{need.id}/claim")
    assert response.status_code == 409
    assert "already taken" in response.get_data(as_text=True)
    db_session.refresh(need)
    assert need.slots_filled == 1
    assert db_session.scalar(select(Claim).where(Claim.volunteer_id == volunteer_user.id)) is None


def test_only_volunteers_see_the_pages(client, db_session, login_as, users):
    need = task("Задача")
    assert client.get("/volunteer/tasks").status_code == 302  # anonymous: to the log-in page
    login_as(users["family"])
    for path in ("/volunteer/tasks", "/volunteer/profile", "/volunteer/my-tasks", "/volunteer/certificate"):
        assert client.get(path).status_code == 403
    assert client.post(f"/volunteer/tasks/{need.id}/claim").status_code == 403


# --- a task's page, its buttons, my tasks and the certificate ------------------------------------


def claimed(app, db_session, need, user):
    with app.test_request_context():
        claim = services.claim_slot(need, user)
    db_session.commit()
    return claim


def test_claim_page_shows_the_address_only_to_its_volunteer_until_confirmed(app, client, db_session, login_as,
                                                                           volunteer_user):
    make_volunteer(db_session, volunteer_user)
    need = task("Адрес после принятия")
    claim = claimed(app, db_session, need, volunteer_user)
    address, phone = need.household.address, need.household.phone
    login_as(volunteer_user)
    page = client.get(f"/volunteer/claims/{claim.id}").get_data(as_text=True)
    assert address in page and phone in page
    reveals = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "household.read_personal",
                                                          AuditEntry.actor_id == volunteer_user.id)).all()
    assert len(reveals) == 1  # committed by the page, so it outlived the request

    other = make_volunteer(db_session)
    login_as(other)
    assert client.get(f"/volunteer/claims/{claim.id}").status_code == 404
    assert client.post(f"/volunteer/claims/{claim.id}/release").status_code == 404

    with app.test_request_context():
        services.change_claim(claim, "report_done", actor=volunteer_user)
        services.change_claim(claim, "confirm", actor=need.household.user)
    db_session.commit()
    login_as(volunteer_user)
    page = client.get(f"/volunteer/claims/{claim.id}").get_data(as_text=True)
    assert need.title in page and address not in page and phone not in page


def test_start_report_done_with_photo(app, client, db_session, login_as, volunteer_user):
    make_volunteer(db_session, volunteer_user)
    need = task("Починить кран")
    claim = claimed(app, db_session, need, volunteer_user)
    login_as(volunteer_user)
    assert client.post(f"/volunteer/claims/{claim.id}/start").status_code == 302
    db_session.refresh(claim)
    assert claim.status is ClaimStatus.IN_PROGRESS
    # Hours are required: nothing changes without them.
    assert client.post(f"/volunteer/claims/{claim.id}/report_done", data={"note": "x"}).status_code == 400
    response = client.post(f"/volunteer/claims/{claim.id}/report_done", data={
        "note": "Поменял прокладку", "hours": "3", "photo": (io.BytesIO(png_bytes()), "kran.png")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    db_session.refresh(claim)
    assert claim.status is ClaimStatus.DONE and claim.hours == 3 and claim.report_note == "Поменял прокладку"
    assert claim.report_file_id is not None
    # Starting a task already reported done is refused with a 409.
    response = client.post(f"/volunteer/claims/{claim.id}/start")
    assert response.status_code == 409
    db_session.refresh(claim)
    assert claim.status is ClaimStatus.DONE
    assert client.post(f"/volunteer/claims/{claim.id}/confirm").status_code == 404  # not the volunteer's to make


def test_release_gives_the_slot_back(app, client, db_session, login_as, volunteer_user):
    make_volunteer(db_session, volunteer_user)
    need = task("Отдать обратно")
    claim = claimed(app, db_session, need, volunteer_user)
    login_as(volunteer_user)
    assert client.post(f"/volunteer/claims/{claim.id}/release").status_code == 302
    db_session.refresh(claim)
    db_session.refresh(need)
    assert claim.status is ClaimStatus.RELEASED and need.slots_filled == 0
    page = client.get("/volunteer/my-tasks").get_data(as_text=True)
    assert "Given back" in page and need.title in page


def test_my_tasks_and_certificate_sum_confirmed_hours(app, client, db_session, login_as, volunteer_user):
    make_volunteer(db_session, volunteer_user)
    hours = {"Первая": 3.0, "Вторая": 1.5, "Ещё не подтверждена": 7.0}
    claims = {}
    for title, spent in hours.items():
        need = task(title)
        claims[title] = claim = claimed(app, db_session, need, volunteer_user)
        with app.test_request_context():
            services.change_claim(claim, "report_done", actor=volunteer_user)
            claim.hours = spent
            if title != "Ещё не подтверждена":
                services.change_claim(claim, "confirm", actor=need.household.user)
        db_session.commit()
    login_as(volunteer_user)
    page = client.get("/volunteer/my-tasks").get_data(as_text=True)
    assert "Confirmed hours in total: 4.5" in page
    certificate = client.get("/volunteer/certificate").get_data(as_text=True)
    assert volunteer_user.full_name in certificate and "4.5" in certificate
    assert "Первая" in certificate and "Вторая" in certificate and "Ещё не подтверждена" not in certificate
    assert "Issued on" in certificate


def test_at_the_same_distance_the_most_urgent_comes_first(client, db_session, login_as, volunteer_user):
    from marketplace.needs.models import Urgency

    make_volunteer(db_session, volunteer_user)
    task("Обычная задача")
    task("Срочная задача", urgency=Urgency.CRITICAL, urgency_rank=0)
    login_as(volunteer_user)
    page = client.get("/volunteer/tasks").get_data(as_text=True)
    assert page.index("Срочная задача") < page.index("Обычная задача")


def test_without_a_profile_the_tasks_page_asks_for_one(client, db_session, login_as, volunteer_user):
    task("Задача")
    login_as(volunteer_user)
    page = client.get("/volunteer/tasks").get_data(as_text=True)
    assert "Fill in your volunteer profile first" in page and "Задача" not in page


def _buttons_in_order(page: str) -> list[tuple[str, str]]:
    """The task page's action buttons, as (transition, button class) in page order."""
    found = re.findall(r'action="/volunteer/claims/\d+/(\w+)"[^>]*>.*?<button type="submit" class="btn ([\w-]+)"',
                       page, re.S)
    return found


def test_the_task_page_puts_the_next_step_first_and_giving_back_last(app, client, db_session, login_as,
                                                                     volunteer_user):
    """Not started: Start (the main button), then the report form; in progress: the report form; the task given
    back last of all, as a secondary button. The family's address and phone are the shared key-value panel, the
    phone a tel: link that is a 44 px target (a value that is one link)."""
    make_volunteer(db_session, volunteer_user)
    need = task("Собрать шкаф")
    claim = claimed(app, db_session, need, volunteer_user)
    login_as(volunteer_user)
    page = client.get(f"/volunteer/claims/{claim.id}").get_data(as_text=True)
    assert _buttons_in_order(page) == [("start", "btn-primary"), ("report_done", "btn-secondary"),
                                       ("release", "btn-secondary")]
    panel = re.search(r'<dl class="details">(.*?)</dl>', page[page.index('id="contact-heading"'):], re.S).group(1)
    phone = need.household.phone
    assert need.household.address in panel
    assert f'<dd><a href="tel:{phone.replace(" ", "")}">{phone}</a></dd>' in panel

    assert client.post(f"/volunteer/claims/{claim.id}/start").status_code == 302
    page = client.get(f"/volunteer/claims/{claim.id}").get_data(as_text=True)
    assert _buttons_in_order(page) == [("report_done", "btn-primary"), ("release", "btn-secondary")]
