"""Office staff: the verification queue, the decision screens, hiding, flags."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.core.roles import Role

from marketplace.accounts.models import AccountStatus
from marketplace.core.audit.models import AuditEntry
from marketplace.core.dbtypes import utcnow
from marketplace.families.models import Household, HouseholdStatus
from marketplace.moderation.models import Flag, FlagStatus, FlagTarget
from marketplace.moderation.services import FlagError, create_flag
from marketplace.needs.models import MessageKind, Need, NeedStatus, Urgency
from marketplace.needs.services import public_needs
from marketplace.notifications.models import Notification
from tests.conftest import login
from tests.factories import FlagFactory, HouseholdFactory, NeedFactory, OfficeFactory, StoredFileFactory, UserFactory
from tests.families.test_duplicates import captured_sql, full_scans, selects_from


def ago(**delta):
    return utcnow() - timedelta(**delta)


def staff_of(office):
    return UserFactory(role=Role.STAFF, office=office)


def need_in(office, *, urgency=Urgency.NORMAL, waited=None, household_verified=True, **kwargs):
    rank = {Urgency.CRITICAL: 0, Urgency.HIGH: 1, Urgency.NORMAL: 2}[urgency]
    household = HouseholdFactory(office=office, status=HouseholdStatus.VERIFIED if household_verified
                                 else HouseholdStatus.SUBMITTED, children=[2015])
    kwargs.setdefault("status", NeedStatus.SUBMITTED)
    return NeedFactory(household=household, urgency=urgency, urgency_rank=rank, submitted_at=waited, **kwargs)


def open_need(office, **kwargs):
    """A verified need of a verified household, both of `office`."""
    return NeedFactory(open=True, household=HouseholdFactory(verified=True, office=office, children=[2014]), **kwargs)


def public_ids(db_session) -> set[int]:
    return set(db_session.scalars(public_needs(select(Need.id))))


def audit(db_session, action, object_id=None) -> list[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.action == action)
    if object_id is not None:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    return list(db_session.scalars(stmt.order_by(AuditEntry.id)))


def text_of(response) -> str:
    return response.get_data(as_text=True)


# --- the queue ---------------------------------------------------------------------------------------

def test_queue_shows_my_office_most_urgent_then_oldest_with_ages(client, db_session, office, staff_user):
    old_household = HouseholdFactory(office=office, submitted=True, submitted_at=ago(days=2, minutes=5),
                                     children=[2010])
    critical = need_in(office, urgency=Urgency.CRITICAL, waited=ago(days=1, minutes=5), title="Лекарства срочно")
    high = need_in(office, urgency=Urgency.HIGH, waited=ago(hours=3, minutes=5), title="Зимняя обувь")
    normal_old = need_in(office, waited=ago(days=5, minutes=5), title="Учебники", household_verified=False)
    asked = need_in(office, status=NeedStatus.NEEDS_INFO, waited=ago(days=6), title="Стиральная машина")
    elsewhere = OfficeFactory()
    other_household = HouseholdFactory(office=elsewhere, submitted=True, children=[2011])
    other_need = need_in(elsewhere, urgency=Urgency.CRITICAL, title="Чужая заявка")

    login(client, staff_user)
    response = client.get("/staff/queue")
    assert response.status_code == 200
    page = text_of(response)
    decision, waiting = page.split("<h2>Waiting for the family", 1)
    positions = [decision.index(marker) for marker in (
        critical.title, high.title, normal_old.title, f"Household #{old_household.id}<")]
    assert positions == sorted(positions)
    for age in ("1 day", "3 hours", "5 days", "2 days"):
        assert f">{age}</time>" in decision
    assert "Critical" in decision and "High urgency" in decision  # urgency in words, not by colour alone
    assert decision.count("Household not verified yet") == 1
    assert asked.title in waiting and asked.title not in decision and ">6 days</time>" in waiting
    for foreign in (other_need.title, f"Household #{other_household.id}<"):
        assert foreign not in page
    assert f'/staff/needs/{critical.id}"' in page and f'/staff/households/{old_household.id}"' in page


def test_queue_is_for_staff_and_admins_only(client, db_session, users, office):
    for role in ("family", "volunteer", "patron", "partner"):
        client.post("/logout")
        login(client, users[role])
        assert client.get("/staff/queue").status_code == 403, role
        assert client.get("/staff/flags").status_code == 403, role
    client.post("/logout")
    login(client, UserFactory(role=Role.STAFF, office=None))
    assert client.get("/staff/queue").status_code == 403
    client.post("/logout")
    assert client.get("/staff/queue").status_code == 302  # to the log-in page


def test_admin_sees_every_office_and_can_filter(client, db_session, admin_user):
    first, second = OfficeFactory(), OfficeFactory()
    a = need_in(first, title="Заявка первого офиса")
    b = need_in(second, title="Заявка второго офиса")
    login(client, admin_user)
    page = text_of(client.get("/staff/queue"))
    assert a.title in page and b.title in page and first.name in page and second.name in page
    page = text_of(client.get(f"/staff/queue?office_id={first.id}"))
    assert a.title in page and b.title not in page


def test_queue_queries_do_not_grow_with_the_queue(client, db_session, office, staff_user):
    login(client, staff_user)
    connection = db_session.connection()

    def queries_for_queue() -> int:
        db_session.expire_all()
        with captured_sql(connection) as statements:
            assert client.get("/staff/queue").status_code == 200
        return len(statements)

    # One of each kind in each list, so that the longer queue adds rows, not kinds.
    need_in(office)
    need_in(office, status=NeedStatus.NEEDS_INFO)
    HouseholdFactory(office=office, submitted=True, children=[2009])
    HouseholdFactory(office=office, needs_info=True, children=[2008])
    few = queries_for_queue()
    for n in range(6):
        need_in(office, household_verified=bool(n % 2))
        HouseholdFactory(office=office, submitted=True, children=[2000 + n])
        need_in(office, status=NeedStatus.NEEDS_INFO)
        HouseholdFactory(office=office, needs_info=True, children=[1990 + n])
    assert queries_for_queue() == few


@pytest.mark.parametrize("as_admin", [False, True], ids=["staff", "admin"])
def test_queue_queries_narrow_on_indexes(app, db_session, office, as_admin):
    from marketplace.moderation.queue import open_flag_count, verification_queue, waiting_for_family

    user = UserFactory(admin=True) if as_admin else staff_of(office)
    for n in range(3):
        need_in(office)
        HouseholdFactory(office=office, submitted=True, children=[2000 + n])
    connection = db_session.connection()
    with app.test_request_context(), captured_sql(connection) as statements:
        assert verification_queue(user).total == 6
        waiting_for_family(user)
        open_flag_count(user)
    queue_queries = selects_from(statements, "households") + selects_from(statements, "needs")
    assert queue_queries
    assert full_scans(connection, queue_queries + selects_from(statements, "flags"),
                      ("households", "needs", "flags")) == []


# --- who may open what ---------------------------------------------------------------------------------

def test_staff_of_another_office_get_403_on_my_screens(client, db_session, office):
    need = need_in(office)
    household = need.household
    flag = create_flag(UserFactory(), FlagTarget.NEED, need, "Похоже на мошенничество")
    login(client, staff_of(OfficeFactory()))
    for url in (f"/staff/households/{household.id}", f"/staff/needs/{need.id}", f"/staff/flags/{flag.id}"):
        assert client.get(url).status_code == 403, url
    for url, data in ((f"/staff/households/{household.id}/transitions/verify", {}),
                      (f"/staff/needs/{need.id}/transitions/reject", {"reject-reason": "нет"}),
                      (f"/staff/needs/{need.id}/hide", {"reason": "нет"}),
                      (f"/staff/users/{household.user_id}/hide", {"reason": "нет"}),
                      (f"/staff/flags/{flag.id}/close", {"resolution": "dismissed"})):
        assert client.post(url, data=data).status_code == 403, url
    db_session.refresh(need)
    assert need.status is NeedStatus.SUBMITTED and need.hidden_at is None
    assert audit(db_session, "household.read_personal") == []


def test_missing_objects_are_404(client, db_session, staff_user):
    login(client, staff_user)
    for url in ("/staff/households/999999", "/staff/needs/999999", "/staff/flags/999999"):
        assert client.get(url).status_code == 404


# --- the household decision ---------------------------------------------------------------------------

def test_household_screen_shows_private_data_evidence_duplicates_and_history(client, db_session, office, staff_user):
    household = HouseholdFactory(office=office, submitted=True, phone="+7 701 987 65 43",
                                 children=[2010, 2012, 2015, 2019], single_parent=True, user=UserFactory(family=True, full_name="Гульнара Ержанова"))
    certificate = StoredFileFactory(evidence=True, pdf=True, household=household, stored_name="a" * 32,
                                    original_name="справка.pdf", size=2048, sha256="0" * 64)
    photo = StoredFileFactory(evidence=True, household=household, stored_name="b" * 32, original_name="фото.jpg",
                              content_type="image/jpeg", size=4096, sha256="1" * 64)
    delivered = NeedFactory(household=household, closed=True, title="Куртки на зиму", closed_at=ago(days=20))
    same_office = HouseholdFactory(office=office, phone="8 701 987 65 43", children=[2001],
                                   user=UserFactory(family=True, full_name="Гульнара Ержан"))
    elsewhere = OfficeFactory(name="Окно Талгара")
    other_office = HouseholdFactory(office=elsewhere, phone="87019876543", children=[2002],
                                    address="Талгар, ул. Секретная, 1",
                                    user=UserFactory(family=True, full_name="Секретная Фамилия"))
    db_session.commit()

    login(client, staff_user)
    page = text_of(client.get(f"/staff/households/{household.id}"))
    for private in ("Гульнара Ержанова", "+7 701 987 65 43", household.address, "Single parent"):
        assert private in page
    assert "Large family: 4 children under 18" in page
    assert "born in 2010" in page
    assert f'href="/files/{certificate.id}"' in page and f'src="/files/{photo.id}"' in page
    assert "справка.pdf" in page
    # Duplicates: my office's in full with a link, another office's by office name only.
    assert f'/staff/households/{same_office.id}"' in page and "Гульнара Ержан" in page
    assert "Окно Талгара" in page and "Секретная" not in page and f"/staff/households/{other_office.id}" not in page
    assert page.count("the same phone number") == 2
    assert delivered.title in page and "confirmed on" in page
    # Who looked: one line on the screen, each look (and why) in the audit log it links to.
    assert "personal data was opened 1 time, the last time by You" in page
    assert "action=household.read_personal" in page
    assert "household.read_personal" not in re.sub(r"<[^>]+>", "", page)  # a code only in the link's address


def test_every_staff_view_of_household_data_is_audited_once(client, db_session, office, staff_user):
    need = need_in(office, household_verified=False)
    household = need.household
    login(client, staff_user)
    assert client.get(f"/staff/households/{household.id}").status_code == 200
    entries = audit(db_session, "household.read_personal", household.id)
    assert [(e.actor_id, e.details, e.office_id) for e in entries] == [
        (staff_user.id, {"purpose": "verification"}, office.id)]
    assert client.get(f"/staff/needs/{need.id}").status_code == 200
    entries = audit(db_session, "household.read_personal", household.id)
    assert [e.details["purpose"] for e in entries] == ["verification", "need_review"]


def test_verify_household_audits_and_tells_the_family(client, db_session, office, staff_user, outbox):
    household = HouseholdFactory(office=office, submitted=True, children=[2010],
                                 user=UserFactory(family=True, locale="en"))
    login(client, staff_user)
    response = client.post(f"/staff/households/{household.id}/transitions/verify")
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/queue")
    assert "The household has been verified" in text_of(client.get("/staff/queue"))
    db_session.refresh(household)
    assert household.status is HouseholdStatus.VERIFIED and household.verified_by_id == staff_user.id
    [entry] = audit(db_session, "household.verify", household.id)
    assert (entry.actor_id, entry.from_state, entry.to_state) == (staff_user.id, "submitted", "verified")
    [notice] = db_session.scalars(select(Notification).where(Notification.user_id == household.user_id)).all()
    assert notice.kind == "household.verify"
    [mail] = outbox
    assert mail.recipients == [household.user.email]
    assert mail.subject == "Your household has been verified"


def test_the_family_is_told_in_its_own_language(app, client, db_session, office, staff_user, outbox):
    with app.test_request_context(), force_locale("ru"):
        subject = gettext("Your household has been verified")
    assert subject != "Your household has been verified", "the Russian catalogue lacks the household notices"
    household = HouseholdFactory(office=office, submitted=True, children=[2010],
                                 user=UserFactory(family=True, locale="ru"))
    login(client, staff_user)  # the staff member reads English pages
    client.post(f"/staff/households/{household.id}/transitions/verify")
    [mail] = outbox
    assert mail.subject == subject and re.search("[а-яё]", mail.subject)
    assert "Здравствуйте" in mail.body and "verified" not in mail.body


def test_asking_needs_a_question(client, db_session, office, staff_user):
    household = HouseholdFactory(office=office, submitted=True, children=[2010])
    login(client, staff_user)
    response = client.post(f"/staff/households/{household.id}/transitions/ask_info", data={"ask_info-reason": "  "})
    assert response.status_code == 422
    page = text_of(response)
    assert 'class="error-summary"' in page and 'href="#ask_info-reason"' in page  # summary on top, links to the field
    assert 'id="ask_info-reason-error">Please write your question to the family.' in page  # and next to it
    db_session.refresh(household)
    assert household.status is HouseholdStatus.SUBMITTED
    assert audit(db_session, "household.ask_info") == []
    assert db_session.scalar(select(func.count(Notification.id))) == 0

    response = client.post(f"/staff/households/{household.id}/transitions/ask_info",
                           data={"ask_info-reason": "Приложите справку о многодетности"})
    assert response.status_code == 302
    db_session.refresh(household)
    assert household.status is HouseholdStatus.NEEDS_INFO
    assert household.status_reason == "Приложите справку о многодетности"
    [notice] = db_session.scalars(select(Notification).where(Notification.user_id == household.user_id)).all()
    assert (notice.kind, notice.params["reason"]) == ("household.ask_info", "Приложите справку о многодетности")


@pytest.mark.parametrize("locale, summary, message", [
    ("ru", "Пожалуйста, исправьте:", "Напишите вопрос семье."),
    ("kk", "Мына жерлерді түзетіңіз:", "Отбасыға қоятын сұрағыңызды жазыңыз."),
])
def test_an_empty_question_is_refused_by_the_server_in_the_staff_language(client, db_session, office, locale,
                                                                            summary, message):
    """Not by the browser's pop-up (in the browser's language): the decision forms are novalidate."""
    household = HouseholdFactory(office=office, submitted=True, children=[2010])
    login(client, UserFactory(role=Role.STAFF, office=office, locale=locale))
    form = re.search(r'<form[^>]*action="[^"]*/transitions/ask_info"[^>]*>',
                     client.get(f"/staff/households/{household.id}").get_data(as_text=True)).group(0)
    assert "novalidate" in form

    response = client.post(f"/staff/households/{household.id}/transitions/ask_info", data={"ask_info-reason": ""})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f">{summary}</h2>" in page and f'href="#ask_info-reason">' in page
    assert f'id="ask_info-reason-error">{message}</p>' in page
    db_session.refresh(household)
    assert household.status is HouseholdStatus.SUBMITTED


def test_rejecting_needs_a_reason_that_the_family_is_given(client, db_session, office, staff_user, outbox):
    household = HouseholdFactory(office=office, submitted=True, children=[2010],
                                 user=UserFactory(family=True, locale="en"))
    login(client, staff_user)
    response = client.post(f"/staff/households/{household.id}/transitions/reject", data={})
    assert response.status_code == 422 and "Please give a reason." in text_of(response)
    db_session.refresh(household)
    assert household.status is HouseholdStatus.SUBMITTED and outbox == []

    reason = "Документы не подтверждают многодетность"
    client.post(f"/staff/households/{household.id}/transitions/reject", data={"reject-reason": reason})
    db_session.refresh(household)
    assert household.status is HouseholdStatus.REJECTED and household.status_reason == reason
    [entry] = audit(db_session, "household.reject", household.id)
    assert entry.reason == reason
    [notice] = db_session.scalars(select(Notification).where(Notification.user_id == household.user_id)).all()
    assert notice.kind == "household.reject" and notice.params["reason"] == reason
    [mail] = outbox
    assert reason in mail.body


def test_erasing_needs_the_familys_request_and_a_confirmation(client, db_session, office, staff_user):
    household = HouseholdFactory(office=office, verified=True, children=[2010])
    need_id = NeedFactory(household=household, fulfilled=True).id
    user = household.user
    login(client, staff_user)
    response = client.post(f"/staff/households/{household.id}/erase", data={"confirm": "y"})
    assert response.status_code == 409 and "has not asked" in text_of(response)

    household.erasure_requested_at = ago(days=1)
    db_session.commit()
    assert "Erase the family" in text_of(client.get(f"/staff/households/{household.id}"))
    response = client.post(f"/staff/households/{household.id}/erase", data={})
    assert response.status_code == 422 and "Please confirm" in text_of(response)
    assert db_session.get(Household, household.id) is not None

    assert client.post(f"/staff/households/{household.id}/erase", data={"confirm": "y"}).status_code == 302
    db_session.expire_all()
    assert db_session.get(Household, household.id) is None and db_session.get(Need, need_id) is None
    assert user.status is AccountStatus.DISABLED and user.email.endswith(".invalid")
    assert audit(db_session, "household.erase", household.id)[0].actor_id == staff_user.id


# --- the need decision --------------------------------------------------------------------------------

def test_a_need_is_verified_only_after_its_household(client, db_session, office, staff_user):
    need = need_in(office, household_verified=False)
    login(client, staff_user)
    page = text_of(client.get(f"/staff/needs/{need.id}"))
    assert "Verify the household first" in page and f"/staff/households/{need.household_id}" in page
    assert "/transitions/verify" not in page  # no button for what cannot be done

    response = client.post(f"/staff/needs/{need.id}/transitions/verify")
    assert response.status_code == 409
    assert "The family&#39;s household is not verified yet. Verify the household first." in text_of(response)
    db_session.refresh(need)
    assert need.status is NeedStatus.SUBMITTED and need.id not in public_ids(db_session)

    client.post(f"/staff/households/{need.household_id}/transitions/verify")
    assert client.post(f"/staff/needs/{need.id}/transitions/verify").status_code == 302
    db_session.refresh(need)
    assert need.status is NeedStatus.VERIFIED and need.verified_by_id == staff_user.id
    assert need.id in public_ids(db_session)
    assert [n.kind for n in db_session.scalars(select(Notification).order_by(Notification.id))] == [
        "household.verify", "need.verify"]


def test_a_question_about_a_need_joins_its_conversation(client, db_session, office, staff_user):
    need = need_in(office)
    login(client, staff_user)
    response = client.post(f"/staff/needs/{need.id}/transitions/ask_info", data={"ask_info-reason": ""})
    assert response.status_code == 422 and "Please write your question to the family." in text_of(response)
    client.post(f"/staff/needs/{need.id}/transitions/ask_info", data={"ask_info-reason": "Какие размеры нужны?"})
    db_session.refresh(need)
    assert need.status is NeedStatus.NEEDS_INFO
    assert [(m.kind, m.body, m.author_id) for m in need.messages] == [
        (MessageKind.QUESTION, "Какие размеры нужны?", staff_user.id)]
    assert "Какие размеры нужны?" in text_of(client.get(f"/staff/needs/{need.id}"))


def test_staff_record_delivery_and_cancel_with_a_reason(client, db_session, office, staff_user):
    delivered, cancelled = open_need(office), open_need(office)
    login(client, staff_user)
    page = text_of(client.get(f"/staff/needs/{delivered.id}"))
    for action in ("fulfil", "cancel", "start"):
        assert f"/transitions/{action}" in page
    assert client.post(f"/staff/needs/{delivered.id}/transitions/fulfil", data={}).status_code == 422
    client.post(f"/staff/needs/{delivered.id}/transitions/fulfil", data={"fulfil-reason": "Выдано 3 куртки"})
    client.post(f"/staff/needs/{cancelled.id}/transitions/cancel", data={"cancel-reason": "Семья переехала"})
    db_session.refresh(delivered)
    db_session.refresh(cancelled)
    assert (delivered.status, delivered.outcome_note) == (NeedStatus.FULFILLED, "Выдано 3 куртки")
    assert (cancelled.status, cancelled.status_reason) == (NeedStatus.CANCELLED, "Семья переехала")
    assert [e.reason for e in audit(db_session, "need.fulfil")] == ["Выдано 3 куртки"]


def test_hide_and_unhide_a_need_with_a_reason(client, db_session, office, staff_user):
    need = open_need(office)
    assert need.id in public_ids(db_session)
    login(client, staff_user)
    response = client.post(f"/staff/needs/{need.id}/hide", data={"reason": ""})
    assert response.status_code == 422 and "Please give a reason." in text_of(response)
    db_session.refresh(need)
    assert need.hidden_at is None

    assert client.post(f"/staff/needs/{need.id}/hide", data={"reason": "Фото из интернета"}).status_code == 302
    db_session.refresh(need)
    assert need.hidden_by_id == staff_user.id and need.hidden_reason == "Фото из интернета"
    assert need.id not in public_ids(db_session)
    [entry] = audit(db_session, "need.hide", need.id)
    assert (entry.actor_id, entry.reason, entry.to_state) == (staff_user.id, "Фото из интернета", "hidden")
    assert client.post(f"/staff/needs/{need.id}/hide", data={"reason": "ещё раз"}).status_code == 409

    client.post(f"/staff/needs/{need.id}/unhide", data={"reason": "Семья прислала свои фото"})
    db_session.refresh(need)
    assert need.hidden_at is None and need.id in public_ids(db_session)
    assert audit(db_session, "need.unhide", need.id)[0].reason == "Семья прислала свои фото"


def test_a_request_an_admin_hid_is_shown_again_only_by_an_admin(client, db_session, office, staff_user, admin_user):
    need = open_need(office)
    login(client, admin_user)
    assert client.post(f"/staff/needs/{need.id}/hide", data={"reason": "Проверка прокуратуры"}).status_code == 302
    client.post("/logout")
    login(client, staff_user)
    page = text_of(client.get(f"/staff/needs/{need.id}"))
    assert "only an administrator can show it again" in page and f"/staff/needs/{need.id}/unhide" not in page
    assert client.post(f"/staff/needs/{need.id}/unhide", data={"reason": "Семья попросила"}).status_code == 403
    db_session.refresh(need)
    assert need.is_hidden and audit(db_session, "need.unhide", need.id) == []
    client.post("/logout")
    login(client, admin_user)
    assert client.post(f"/staff/needs/{need.id}/unhide", data={"reason": "Проверка закончена"}).status_code == 302
    db_session.refresh(need)
    assert not need.is_hidden and audit(db_session, "need.unhide", need.id)[0].actor_id == admin_user.id


def test_an_admins_hide_outlives_the_admins_account(client, db_session, office, staff_user, admin_user):
    need = open_need(office)
    login(client, admin_user)
    client.post(f"/staff/needs/{need.id}/hide", data={"reason": "Проверка прокуратуры"})
    client.post("/logout")
    admin_user.status = AccountStatus.DISABLED  # the admin left; the decision stands
    db_session.commit()
    login(client, staff_user)
    assert client.post(f"/staff/needs/{need.id}/unhide", data={"reason": "Семья попросила"}).status_code == 403
    db_session.refresh(need)
    assert need.is_hidden and need.hidden_by_admin


def test_staff_show_again_what_staff_hid(client, db_session, office, staff_user):
    need = open_need(office)
    other = UserFactory(role=Role.STAFF, office=office, email="other.staff@example.kz")
    login(client, other)
    client.post(f"/staff/needs/{need.id}/hide", data={"reason": "Фото из интернета"})
    client.post("/logout")
    login(client, staff_user)
    assert client.post(f"/staff/needs/{need.id}/unhide", data={"reason": "Фото семьи"}).status_code == 302
    db_session.refresh(need)
    assert not need.is_hidden and not need.hidden_by_admin


# --- flags ------------------------------------------------------------------------------------------------

def test_flags_of_my_office_can_be_dismissed_or_resolved(client, db_session, office, staff_user):
    need = open_need(office)
    reporter = UserFactory(full_name="Бдительный Волонтёр")
    dismissed = create_flag(reporter, FlagTarget.NEED, need, "Цена завышена в два раза")
    resolved = create_flag(UserFactory(), FlagTarget.NEED, need, "Те же фото, что у другой семьи")
    foreign = create_flag(reporter, FlagTarget.NEED, NeedFactory(open=True), "Чужой офис, чужой флаг")
    db_session.commit()
    login(client, staff_user)
    page = text_of(client.get("/staff/queue"))
    assert "2 open flags" in page
    page = text_of(client.get("/staff/flags"))
    assert "Цена завышена" in page and "Бдительный Волонтёр" in page and need.title in page and "Open" in page
    assert "Чужой офис" not in page
    assert client.get(f"/staff/flags/{foreign.id}").status_code == 403

    response = client.post(f"/staff/flags/{dismissed.id}/close", data={"resolution": "dismissed"})
    assert response.status_code == 302
    response = client.post(f"/staff/flags/{resolved.id}/close", data={"resolution": "resolved"})
    assert response.status_code == 422 and "Please write what was done." in text_of(response)
    client.post(f"/staff/flags/{resolved.id}/close",
                data={"resolution": "resolved", "resolved-note": "Заявка скрыта, семье позвонили"})
    db_session.refresh(dismissed)
    db_session.refresh(resolved)
    assert dismissed.status is FlagStatus.DISMISSED and dismissed.resolved_by_id == staff_user.id
    assert (resolved.status, resolved.resolution_note) == (FlagStatus.RESOLVED, "Заявка скрыта, семье позвонили")
    assert [e.to_state for e in audit(db_session, "flag.resolved")] == ["resolved"]
    response = client.post(f"/staff/flags/{dismissed.id}/close", data={"resolution": "resolved", "resolved-note": "x"})
    assert response.status_code == 409 and "already been handled" in text_of(response)
    assert "No open flags." in text_of(client.get("/staff/flags"))


def test_hiding_a_flagged_need_from_its_flag(client, db_session, office, staff_user):
    need = open_need(office)
    flag = create_flag(UserFactory(), FlagTarget.NEED, need, "Это объявление о продаже")
    db_session.commit()
    login(client, staff_user)
    page = text_of(client.get(f"/staff/flags/{flag.id}"))
    assert f'action="/staff/needs/{need.id}/hide"' in page
    response = client.post(f"/staff/needs/{need.id}/hide", data={"reason": "Продажа", "flag_id": str(flag.id)})
    assert response.headers["Location"].endswith(f"/staff/flags/{flag.id}")
    assert need.id not in public_ids(db_session)


def test_hiding_a_user_hides_their_needs(client, db_session, office, staff_user):
    need = open_need(office)
    family = need.household.user
    flag = create_flag(UserFactory(), FlagTarget.USER, family, "Просит деньги в личных сообщениях")
    db_session.commit()
    login(client, staff_user)
    page = text_of(client.get(f"/staff/flags/{flag.id}"))
    assert f'action="/staff/users/{family.id}/hide"' in page
    response = client.post(f"/staff/users/{family.id}/hide", data={"reason": "", "flag_id": str(flag.id)})
    assert response.status_code == 422 and "Please give a reason." in text_of(response)
    response = client.post(f"/staff/users/{family.id}/hide", data={"reason": "Мошенничество", "flag_id": str(flag.id)})
    assert response.headers["Location"].endswith(f"/staff/flags/{flag.id}")
    db_session.refresh(family)
    assert family.hidden_by_id == staff_user.id and need.id not in public_ids(db_session)
    assert audit(db_session, "user.hide", family.id)[0].reason == "Мошенничество"

    client.post(f"/staff/users/{family.id}/unhide", data={"reason": "Разобрались", "flag_id": str(flag.id)})
    db_session.refresh(family)
    assert family.hidden_at is None and need.id in public_ids(db_session)


def test_staff_cannot_hide_other_staff(client, db_session, office, staff_user):
    colleague = staff_of(office)
    login(client, staff_user)
    assert client.post(f"/staff/users/{colleague.id}/hide", data={"reason": "спор"}).status_code == 403
    db_session.refresh(colleague)
    assert colleague.hidden_at is None


def test_one_open_flag_per_user_and_object(db_session):
    need = NeedFactory(open=True)
    reporter = UserFactory()
    first = create_flag(reporter, FlagTarget.NEED, need, "Подозрительная заявка")
    with pytest.raises(FlagError):
        create_flag(reporter, FlagTarget.NEED, need, "Ещё раз то же самое")
    create_flag(UserFactory(), FlagTarget.NEED, need, "Другой человек может")  # someone else may
    # The database itself refuses a second open flag (the partial unique index), not only the service.
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.add(FlagFactory.build(reporter=reporter, target_type=FlagTarget.NEED, target=need,
                                         reason="в обход сервиса", office_id=need.office_id))
    # Once the first is handled, the same person may flag it again.
    first.status = FlagStatus.DISMISSED
    db_session.flush()
    again = create_flag(reporter, FlagTarget.NEED, need, "Снова что-то не так")
    assert again.id != first.id
    assert db_session.scalar(select(func.count(Flag.id)).where(Flag.reporter_id == reporter.id)) == 2


def test_erasing_a_family_patrons_gave_to_settles_the_pledges_and_keeps_an_anonymous_record(
        client, db_session, office, staff_user):
    from marketplace.notifications.models import Notification
    from marketplace.pledges import services
    from marketplace.pledges.models import Pledge, PledgeStatus

    household = HouseholdFactory(office=office, verified=True, children=[2012], phone="+7 705 111 22 33",
                                 address="ул. Тайная, 5", other_circumstances="Тайные обстоятельства")
    need = NeedFactory(household=household, office=office, status=NeedStatus.VERIFIED, money_goal=50_000_00,
                       description="Описание с подробностями о семье")
    patron = UserFactory(role=Role.PATRON)
    paid = services.pledge_money(need, patron, amount=10_000_00, card=False)
    services.change_pledge(paid, "confirm_transfer", actor=staff_user)
    waiting = services.pledge_money(need, patron, amount=5_000_00, card=False)
    household.erasure_requested_at = ago(days=1)
    db_session.commit()

    login(client, staff_user)
    assert client.post(f"/staff/households/{household.id}/erase", data={"confirm": "y"}).status_code == 302
    db_session.expire_all()
    # The money records stay, settled as for any withdrawn request: the transfer goes back by hand.
    paid, waiting = db_session.get(Pledge, paid.id), db_session.get(Pledge, waiting.id)
    assert (paid.status, waiting.status) == (PledgeStatus.REFUND_PENDING, PledgeStatus.CANCELLED)
    assert paid.receipt_number is not None
    kinds = {n.kind for n in db_session.scalars(select(Notification).where(Notification.user_id == patron.id))}
    assert {"pledge.refunding_withdrawn", "pledge.cancelled_withdrawn"} <= kinds
    # ... and nothing about the family does.
    kept = db_session.get(Household, household.id)
    assert (kept.phone, kept.address, kept.other_circumstances, kept.children) == (None, None, None, [])
    assert db_session.get(Need, need.id).description == "—"
    assert kept.user.email.endswith(".invalid")
