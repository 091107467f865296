"""Notifications: staff decisions reach the family in the app and by e-mail, after commit, in its language."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.needs.models import NeedStatus
from marketplace.needs.services import change_status
from marketplace.notifications import notify
from marketplace.notifications.models import Notification
from marketplace.notifications.views import local_target, unread_count
from tests.factories import HouseholdFactory, NeedFactory, UserFactory

GREETINGS = {"en": "Hello, ", "ru": "Здравствуйте, ", "kk": "Сәлеметсіз бе, "}


@pytest.fixture
def submitted_need(db_session, office, family_user):
    """A need sent to `office` by a family whose household that office has verified."""
    household = HouseholdFactory(user=family_user, office=office, verified=True)
    return NeedFactory(household=household, submitted=True, title="Зимние куртки для четверых детей")


def notifications_of(user) -> list[Notification]:
    from marketplace.core.extensions import db

    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)))


# --- a staff decision notifies the family, once, after commit -----------------------------------

def test_verification_notifies_the_family_in_the_app_and_by_email_after_commit(
    db_session, outbox, submitted_need, staff_user, family_user
):
    family_user.locale = "en"
    db_session.commit()

    change_status(submitted_need, "verify", actor=staff_user)
    assert submitted_need.status is NeedStatus.VERIFIED
    [notification] = notifications_of(family_user)
    assert notification.kind == "need.verify"
    assert notification.params["title"] == "Зимние куртки для четверых детей"
    assert outbox == [], "no e-mail may leave before the change is committed"

    db_session.commit()
    [email] = outbox
    assert email.recipients == ["family@example.kz"]
    assert email.subject == "Your request has been verified"
    assert "Зимние куртки для четверых детей" in email.body
    assert len(notifications_of(family_user)) == 1
    assert notifications_of(staff_user) == [], "the staff member who acted is not told about their own act"


def test_a_rolled_back_decision_leaves_no_notification_and_sends_no_email(
    db_session, outbox, submitted_need, staff_user, family_user
):
    change_status(submitted_need, "ask_info", actor=staff_user, reason="Приложите справку о составе семьи")
    assert len(notifications_of(family_user)) == 1
    db_session.rollback()

    assert notifications_of(family_user) == []
    db_session.commit()  # a later, unrelated commit must not deliver the dropped e-mail
    assert outbox == []


def test_a_decision_rolled_back_to_a_savepoint_sends_no_email(db_session, outbox, submitted_need, staff_user,
                                                              family_user):
    with pytest.raises(RuntimeError):
        with db_session.begin_nested():
            change_status(submitted_need, "reject", actor=staff_user, reason="Дубликат заявки")
            raise RuntimeError("something later in the same request failed")
    db_session.commit()

    assert notifications_of(family_user) == []
    assert outbox == []


def test_a_released_savepoint_sends_nothing_until_the_outer_commit(db_session, outbox, submitted_need, staff_user,
                                                                   family_user):
    # The dispatch page sends each invitation inside its own savepoint; the request commits at the end.
    with db_session.begin_nested():
        change_status(submitted_need, "reject", actor=staff_user, reason="Дубликат заявки")
    assert outbox == []  # the savepoint is released, but the request may still fail and roll back
    db_session.rollback()
    db_session.commit()
    assert notifications_of(family_user) == [] and outbox == []


def test_a_released_savepoint_sends_once_when_the_request_commits(db_session, outbox, submitted_need, staff_user,
                                                                  family_user):
    with db_session.begin_nested():
        change_status(submitted_need, "reject", actor=staff_user, reason="Дубликат заявки")
    db_session.commit()
    db_session.commit()
    assert len(outbox) == 1 and outbox[0].recipients == [family_user.email]


def test_an_exception_before_commit_sends_nothing(app, db_session, outbox, submitted_need, staff_user, family_user):
    """The request pattern: the change is made, something fails, the session is rolled back."""
    try:
        change_status(submitted_need, "verify", actor=staff_user)
        raise RuntimeError("the view failed after the transition")
    except RuntimeError:
        db_session.rollback()
    db_session.commit()
    assert outbox == []
    assert notifications_of(family_user) == []


def test_the_family_acting_itself_is_not_notified(db_session, outbox, office, family_user):
    household = HouseholdFactory(user=family_user, office=office, verified=True)
    need = NeedFactory(household=household, submitted=True)
    change_status(need, "cancel", actor=family_user, reason="Уже не нужно")
    db_session.commit()
    assert notifications_of(family_user) == []
    assert outbox == []


# --- the e-mail speaks the family's language ----------------------------------------------------

@pytest.mark.parametrize("locale", ["en", "ru", "kk"])
def test_the_email_greets_the_family_in_its_language(db_session, outbox, submitted_need, staff_user, family_user,
                                                     locale):
    family_user.locale = locale
    db_session.commit()
    change_status(submitted_need, "verify", actor=staff_user)
    db_session.commit()
    [email] = outbox
    assert email.body.startswith(GREETINGS[locale])


def test_a_family_that_never_chose_a_language_gets_russian(db_session, outbox, submitted_need, staff_user,
                                                           family_user):
    assert family_user.locale is None
    change_status(submitted_need, "verify", actor=staff_user)
    db_session.commit()
    [email] = outbox
    assert email.body.startswith(GREETINGS["ru"])


@pytest.mark.parametrize("locale", ["ru", "kk"])
def test_the_email_subject_and_text_are_translated(db_session, outbox, submitted_need, staff_user, family_user,
                                                   locale):
    family_user.locale = locale
    db_session.commit()
    change_status(submitted_need, "verify", actor=staff_user)
    db_session.commit()
    [email] = outbox
    assert email.subject != "Your request has been verified"
    assert "has been verified and is now visible" not in email.body


# --- the pages ------------------------------------------------------------------------------------

def _tell(user, title: str, link: str | None = None) -> Notification:
    return notify(user, "need.verify", params={"title": title, "reason": ""}, link=link, email=False)


def test_my_notifications_are_listed_newest_first_and_only_mine(db_session, client, login_as, family_user):
    stranger = UserFactory(family=True)
    _tell(family_user, "Первая заявка")
    _tell(family_user, "Вторая заявка")
    _tell(stranger, "Чужая заявка")
    db_session.commit()

    login_as(family_user)
    page = client.get("/notifications/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Your request “Вторая заявка” has been verified" in html  # rendered in the page's language
    assert html.index("Вторая заявка") < html.index("Первая заявка")
    assert "Чужая заявка" not in html
    assert html.count(">New<") == 2, "unread is said in words, not by colour alone"
    assert "Mark all as read" in html


def test_the_list_is_paginated(db_session, client, login_as, family_user):
    from marketplace.notifications.views import PER_PAGE

    for n in range(PER_PAGE + 3):
        _tell(family_user, f"Заявка номер {n:02d}")
    db_session.commit()
    login_as(family_user)
    first = client.get("/notifications/").get_data(as_text=True)
    second = client.get("/notifications/?page=2").get_data(as_text=True)
    assert "Заявка номер 00" not in first and "Заявка номер 00" in second
    assert f"Заявка номер {PER_PAGE + 2:02d}" in first
    assert 'rel="next"' in first


def test_visitors_are_sent_to_log_in(client, db_session):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(db_session, client, login_as, family_user):
    notification = _tell(family_user, "Куртки", link="http://localhost/families/needs/7?tab=history")
    db_session.commit()
    login_as(family_user)
    assert unread_count(family_user) == 1

    response = client.get(f"/notifications/{notification.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/families/needs/7?tab=history"
    db_session.refresh(notification)
    assert notification.read_at is not None
    assert unread_count(family_user) == 0
    assert ">New<" not in client.get("/notifications/").get_data(as_text=True)


@pytest.mark.parametrize("link", [
    "https://evil.example/phish", "//evil.example/phish", "http://localhost.evil.example/x",
    "http://evil.example@localhost:80/x", "javascript:alert(1)", "/\\evil.example", None,
])
def test_opening_never_leaves_the_site(db_session, client, login_as, family_user, link):
    notification = _tell(family_user, "Ссылка", link=link)
    db_session.commit()
    login_as(family_user)
    response = client.get(f"/notifications/{notification.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/notifications/"


def test_local_target_rule(app):
    with app.test_request_context(base_url="https://social-window.kz"):
        assert local_target("https://social-window.kz/needs/3#help") == "/needs/3#help"
        assert local_target("/needs/3") == "/needs/3"
        assert local_target("https://social-window.kz//evil.example") is None
        assert local_target("ftp://social-window.kz/needs/3") is None
        assert local_target("https://social-window.kz.evil.example/needs/3") is None
        assert local_target("needs/3") is None


def test_nobody_else_can_open_my_notification(db_session, client, login_as, family_user, staff_user):
    notification = _tell(family_user, "Моё", link="/families/needs/1")
    db_session.commit()
    login_as(staff_user)
    assert client.get(f"/notifications/{notification.id}").status_code == 403
    db_session.refresh(notification)
    assert notification.read_at is None
    assert client.get("/notifications/999999").status_code == 404


def test_mark_all_as_read_touches_only_mine(db_session, client, login_as, family_user):
    stranger = UserFactory(family=True)
    _tell(family_user, "Раз")
    _tell(family_user, "Два")
    _tell(stranger, "Чужое")
    db_session.commit()
    login_as(family_user)

    response = client.post("/notifications/read-all")
    assert response.status_code == 302 and response.headers["Location"] == "/notifications/"
    assert unread_count(family_user) == 0
    assert unread_count(stranger) == 1
    from marketplace.core.extensions import db

    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.read_at.is_not(None))) == 2
    assert "You have read everything." in client.get("/notifications/").get_data(as_text=True)


def test_unread_count_is_zero_for_visitors(app, db_session):
    class Anonymous:
        is_authenticated = False

    assert unread_count(Anonymous()) == 0
    assert unread_count(None) == 0


def test_every_template_can_ask_for_the_unread_count(app, db_session, family_user):
    from flask import render_template_string

    _tell(family_user, "Раз")
    db_session.commit()
    with app.test_request_context():
        assert render_template_string("{{ unread_notifications(user) }}", user=family_user) == "1"
