"""A family's requests for help as the family sees them: posting, following, answering, cancelling, confirming."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from marketplace.core.audit.models import AuditEntry
from marketplace.core.extensions import db
from marketplace.files.models import StoredFile
from marketplace.needs.models import Category, MessageKind, Need, NeedStatus, Urgency
from marketplace.needs.services import NeedData, change_status, create_need
from tests.factories import HouseholdFactory, NeedFactory, NeedItemFactory, UserFactory


def text_of(response) -> str:
    return response.get_data(as_text=True)


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 200, 20)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def uploads(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))


@pytest.fixture
def household(db_session, office):
    return HouseholdFactory(office=office, verified=True)


@pytest.fixture
def family(client, login_as, household):
    login_as(household.user)
    return client


def need_form(action: str = "send", **overrides) -> dict:
    data = {
        "category": "furniture", "title": "Стиральная машина", "urgency": "high",
        "description": "Старая машина сломалась, стирать на шестерых детей вручную тяжело.",
        "deadline": "", "money_goal": "", "volunteer_slots": "", "volunteer_hours": "", "action": action,
    }
    data.update(overrides)
    return data


def only_need() -> Need:
    return db.session.scalars(select(Need)).one()


def need_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Need))


def audit_actions(need: Need) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "need", AuditEntry.object_id == need.id).order_by(AuditEntry.id)))


# --- posting a request ---------------------------------------------------------------------------------------


def test_a_money_request_is_sent_to_the_office(family, household):
    response = family.post("/family/needs/new", data=need_form(money_goal="85 000"))
    assert response.status_code == 302, text_of(response)[:3000]
    need = only_need()
    assert response.headers["Location"] == f"/family/needs/{need.id}"
    assert need.money_goal == 8_500_000  # whole tenge typed, minor units stored
    assert (need.category, need.urgency, need.status) == (Category.FURNITURE, Urgency.HIGH, NeedStatus.SUBMITTED)
    assert need.office_id == household.office_id and need.household_id == household.id
    assert audit_actions(need) == ["need.create", "need.submit"]
    page = text_of(family.get(response.headers["Location"]))
    assert "Sent. The office will check your request" in page
    assert "Waiting for the office" in page
    assert "0\u00a0₸ of 85,000\u00a0₸ raised" in page  # English digit grouping


def test_a_goods_request_keeps_the_filled_rows_and_ignores_empty_ones(family):
    response = family.post("/family/needs/new", data=need_form(**{
        "goods-0-name": "Рюкзак", "goods-0-quantity": "3", "goods-0-unit": "шт.",
        "goods-2-name": "Тетради", "goods-2-quantity": "40",
        "goods-1-name": "", "goods-1-quantity": "", "goods-3-name": " ", "goods-4-unit": "",
    }))
    assert response.status_code == 302, text_of(response)[:3000]
    need = only_need()
    assert [(i.name, i.quantity, i.unit) for i in need.items] == [("Рюкзак", 3, "шт."), ("Тетради", 40, None)]
    assert need.money_goal is None and need.volunteer_slots == 0
    assert need.kinds == ["goods"]
    assert "Goods: 0 of 2 items pledged in full" in text_of(family.get(f"/family/needs/{need.id}"))


def test_a_volunteer_request(family):
    response = family.post("/family/needs/new", data=need_form(volunteer_slots="2", volunteer_hours="3.5"))
    assert response.status_code == 302, text_of(response)[:3000]
    need = only_need()
    assert (need.volunteer_slots, need.volunteer_hours, need.slots_filled) == (2, 3.5, 0)
    assert "Volunteers: 0 of 2 found" in text_of(family.get(f"/family/needs/{need.id}"))


def test_a_mixed_request_with_a_photo(family, household):
    deadline = date.today() + timedelta(days=20)
    response = family.post("/family/needs/new", content_type="multipart/form-data", data=need_form(
        money_goal="120000", volunteer_slots="1", volunteer_hours="2", deadline=deadline.isoformat(),
        **{"goods-0-name": "Стиральная машина", "goods-0-quantity": "1",
           "evidence": [(io.BytesIO(png_bytes()), "broken-machine.png")]},
    ))
    assert response.status_code == 302, text_of(response)[:3000]
    need = only_need()
    assert need.kinds == ["money", "goods", "volunteer"]
    assert need.deadline == deadline
    [photo] = db.session.scalars(select(StoredFile).where(StoredFile.need_id == need.id)).all()
    assert photo.household_id == household.id and photo.content_type == "image/png"
    page = text_of(family.get(f"/family/needs/{need.id}"))
    assert f"/files/{photo.id}" in page and "broken-machine.png" in page


@pytest.mark.parametrize("amount, message", [
    ("0", "The amount must be more than zero."),
    ("-5000", "The amount must be more than zero."),
    ("много", "Write the amount in whole tenge, digits only"),
    ("25000.50", "Write the amount in whole tenge, digits only"),
    ("99999999999", "At most 20 000 000 tenge"),
])
def test_bad_amounts_get_a_message_and_nothing_is_saved(family, amount, message):
    response = family.post("/family/needs/new", data=need_form(money_goal=amount))
    assert response.status_code == 200
    page = text_of(response)
    assert message in page and "Please correct the following:" in page
    assert need_count() == 0


@pytest.mark.parametrize("overrides, message", [
    ({}, "Say what it takes: an amount of money, goods, volunteers, or a mix."),
    ({"goods-0-name": "Куртка"}, "Say how many."),
    ({"money_goal": "1", "goods-2-name": "Куртка"}, "Goods, row 3 — How many: Say how many."),
    ({"goods-0-quantity": "2"}, "Say what is needed."),
    ({"volunteer_slots": "2"}, "Estimate how many hours each volunteer is needed for."),
    ({"money_goal": "1000", "deadline": (date.today() - timedelta(days=1)).isoformat()},
     "The deadline cannot be in the past."),
    ({"money_goal": "1000", "title": ""}, "Please give your request a title."),
    ({"money_goal": "1000", "category": ""}, "Choose a category."),
])
def test_an_incomplete_request_is_explained_and_not_saved(family, overrides, message):
    response = family.post("/family/needs/new", data=need_form(**overrides))
    assert response.status_code == 200
    assert message in text_of(response)
    assert need_count() == 0


def test_a_request_with_a_refused_file_keeps_nothing(family):
    response = family.post("/family/needs/new", content_type="multipart/form-data", data=need_form(
        money_goal="5000", evidence=[(io.BytesIO(b"MZ\x90\x00not a photo" * 10), "photo.jpg")]))
    assert response.status_code == 200
    assert "“photo.jpg” was not accepted" in text_of(response)
    assert need_count() == 0
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0


def test_a_draft_is_saved_then_sent(family):
    response = family.post("/family/needs/new", data=need_form(action="draft", money_goal="30000"))
    need = only_need()
    assert need.status is NeedStatus.DRAFT
    page = text_of(family.get(response.headers["Location"]))
    assert "Saved as a draft" in page and "Draft — not sent yet" in page and "Send to the office" in page

    edit = text_of(family.get(f"/family/needs/{need.id}/edit"))
    assert 'value="30000"' in edit
    assert family.post(f"/family/needs/{need.id}/edit",
                       data=need_form(action="draft", money_goal="35000", title="Машинка")).status_code == 302
    db.session.expire_all()
    assert (need.money_goal, need.title, need.status) == (3_500_000, "Машинка", NeedStatus.DRAFT)

    assert family.post(f"/family/needs/{need.id}/submit").status_code == 302
    db.session.expire_all()
    assert need.status is NeedStatus.SUBMITTED
    assert audit_actions(need) == ["need.create", "need.update", "need.submit"]


def test_an_unverified_household_can_send_and_is_told_what_happens(client, login_as, office):
    household = HouseholdFactory(office=office, submitted=True)
    login_as(household.user)
    assert "Your household is not verified yet" in text_of(client.get("/family/needs/new"))
    response = client.post("/family/needs/new", data=need_form(money_goal="10000"), follow_redirects=True)
    page = text_of(response)
    assert only_need().status is NeedStatus.SUBMITTED
    assert "The office will verify it after it has verified your household." in page


# --- following requests ---------------------------------------------------------------------------------------


def test_my_requests_say_where_each_stands(family, household):
    NeedFactory(household=household, title="Черновик", status=NeedStatus.DRAFT)
    NeedFactory(household=household, title="На проверке", submitted=True)
    NeedFactory(household=household, title="Вопрос", needs_info=True, status_reason="?")
    NeedFactory(household=household, title="Волонтёры", status=NeedStatus.VERIFIED, money_goal=None,
                volunteer_slots=3, volunteer_hours=2, slots_filled=2)
    NeedFactory(household=household, title="Доставлено", fulfilled=True)
    NeedFactory(household=HouseholdFactory(), title="Чужая просьба")
    page = text_of(family.get("/family/needs"))
    for words in ("Draft — not sent yet", "Waiting for the office", "The office has a question",
                  "Open", "2 of 3 volunteers found", "Fulfilled — please confirm", "Confirm that it arrived.",
                  "Answer the office's question."):
        assert words in page
    assert "Чужая просьба" not in page


def test_a_question_from_the_office_is_answered_and_the_request_goes_back(family, household, staff_user, outbox):
    need = NeedFactory(household=household, submitted=True)
    change_status(need, "ask_info", actor=staff_user, reason="Пришлите фото сломанной машины.")
    db.session.commit()
    assert [m.recipients for m in outbox] == [[household.user.email]]  # the family is told, after commit

    page = text_of(family.get(f"/family/needs/{need.id}"))
    assert "The office asks" in page and "Пришлите фото сломанной машины." in page

    empty = family.post(f"/family/needs/{need.id}/answer", data={"body": "  "})
    assert empty.status_code == 400 and "Please write your answer." in text_of(empty)

    response = family.post(f"/family/needs/{need.id}/answer", data={"body": "Фото приложили, машина 2009 года."})
    assert response.status_code == 302
    db.session.expire_all()
    assert need.status is NeedStatus.SUBMITTED
    assert [(m.kind, m.body) for m in need.messages] == [
        (MessageKind.QUESTION, "Пришлите фото сломанной машины."),
        (MessageKind.ANSWER, "Фото приложили, машина 2009 года."),
    ]
    assert "need.resubmit" in audit_actions(need)
    page = text_of(family.get(f"/family/needs/{need.id}"))
    assert "You answered" in page and "Фото приложили, машина 2009 года." in page


def test_cancelling_needs_a_reason(family, household):
    need = NeedFactory(household=household, submitted=True)
    response = family.post(f"/family/needs/{need.id}/cancel", data={"reason": ""})
    assert response.status_code == 400
    assert "Please give a reason." in text_of(response)
    db.session.expire_all()
    assert need.status is NeedStatus.SUBMITTED

    response = family.post(f"/family/needs/{need.id}/cancel", data={"reason": "Купили сами."}, follow_redirects=True)
    assert "Your request has been cancelled." in text_of(response)
    db.session.expire_all()
    assert (need.status, need.status_reason) == (NeedStatus.CANCELLED, "Купили сами.")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "need.cancel")).one()
    assert (entry.reason, entry.from_state, entry.to_state) == ("Купили сами.", "submitted", "cancelled")


def test_confirming_arrival_closes_a_fulfilled_request(family, household):
    need = NeedFactory(household=household, fulfilled=True, outcome_note="Машину привезли 3 марта.")
    page = text_of(family.get(f"/family/needs/{need.id}"))
    assert "Did the help arrive?" in page and "Машину привезли 3 марта." in page
    response = family.post(f"/family/needs/{need.id}/close")
    assert response.status_code == 302
    db.session.expire_all()
    assert need.status is NeedStatus.CLOSED and need.closed_at is not None
    assert audit_actions(need) == ["need.close"]


def test_an_action_the_state_no_longer_allows_is_a_409_with_a_message(family, household):
    need = NeedFactory(household=household, submitted=True)
    response = family.post(f"/family/needs/{need.id}/close")
    assert response.status_code == 409
    page = text_of(response)
    assert "This cannot be done now" in page and need.title in page
    db.session.expire_all()
    assert need.status is NeedStatus.SUBMITTED

    verified = NeedFactory(household=household, open=True)
    assert family.get(f"/family/needs/{verified.id}/edit").status_code == 409
    assert family.post(f"/family/needs/{verified.id}/edit", data=need_form(money_goal="1")).status_code == 409
    assert family.post(f"/family/needs/{verified.id}/submit").status_code == 409
    db.session.expire_all()
    assert verified.status is NeedStatus.VERIFIED


def test_help_under_way_cannot_be_cancelled_by_the_family(family, household):
    need = NeedFactory(household=household, in_progress=True)
    assert "Cancel the request" not in text_of(family.get(f"/family/needs/{need.id}"))
    response = family.post(f"/family/needs/{need.id}/cancel", data={"reason": "Передумали"})
    assert response.status_code == 409
    assert "You are not allowed to do this." in text_of(response)


# --- nobody else -----------------------------------------------------------------------------------------------


def test_another_family_cannot_see_or_touch_my_request(client, login_as, household):
    need = NeedFactory(household=household, needs_info=True, status_reason="Секретный вопрос")
    NeedItemFactory(need=need)
    stranger = HouseholdFactory(office=household.office)
    login_as(stranger.user)
    for method, path, data in [
        ("get", f"/family/needs/{need.id}", None), ("get", f"/family/needs/{need.id}/edit", None),
        ("post", f"/family/needs/{need.id}/edit", need_form(money_goal="1")),
        ("post", f"/family/needs/{need.id}/answer", {"body": "hi"}),
        ("post", f"/family/needs/{need.id}/cancel", {"reason": "spite"}),
        ("post", f"/family/needs/{need.id}/submit", {}), ("post", f"/family/needs/{need.id}/close", {}),
        ("post", f"/family/needs/{need.id}/evidence", {}),
    ]:
        response = getattr(client, method)(path, data=data)
        assert response.status_code in (403, 404), (path, response.status_code)
        assert "Секретный вопрос" not in text_of(response)
    db.session.expire_all()
    assert need.status is NeedStatus.NEEDS_INFO and need.messages == []


def test_staff_use_their_own_pages_not_the_familys(client, login_as, household, staff_user):
    need = NeedFactory(household=household, submitted=True)
    login_as(staff_user)
    assert client.get(f"/family/needs/{need.id}").status_code == 403
    assert client.get("/family/needs").status_code == 403
    assert client.get("/family/needs/new").status_code == 403


def test_a_request_that_does_not_exist_is_404(family):
    assert family.get("/family/needs/424242").status_code == 404
    assert family.post("/family/needs/424242/cancel", data={"reason": "x"}).status_code == 404


def test_photos_can_be_added_until_the_office_verifies(family, household):
    need = NeedFactory(household=household, needs_info=True)
    response = family.post(f"/family/needs/{need.id}/evidence", content_type="multipart/form-data",
                           data={"files": [(io.BytesIO(png_bytes()), "receipt.png")]})
    assert response.status_code == 302
    assert [f.original_name for f in db.session.scalars(select(StoredFile).where(StoredFile.need_id == need.id))] == [
        "receipt.png"]
    verified = NeedFactory(household=household, open=True)
    late = family.post(f"/family/needs/{verified.id}/evidence", content_type="multipart/form-data",
                       data={"files": [(io.BytesIO(png_bytes()), "late.png")]})
    assert late.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(StoredFile).where(StoredFile.need_id == verified.id)) == 0


def test_other_roles_cannot_post_requests(client, login_as):
    login_as(UserFactory(volunteer=True))
    assert client.post("/family/needs/new", data=need_form(money_goal="100")).status_code == 403
    assert need_count() == 0


# --- the same form sent twice ----------------------------------------------------------------------------

def token_of(page: str) -> str:
    tokens = re.findall(r'name="token"[^>]*value="([0-9a-f]{32})"', page)
    assert len(tokens) == 1, "the new-request form carries one token"
    return tokens[0]


def test_the_new_request_form_sent_twice_makes_one_request(family):
    # A double tap on "Send" on a slow phone, or the page sent again after a lost answer.
    token = token_of(text_of(family.get("/family/needs/new")))
    first = family.post("/family/needs/new", data=need_form(token=token, money_goal="50000"))
    second = family.post("/family/needs/new", data=need_form(token=token, money_goal="50000"))
    assert first.status_code == 302
    assert second.status_code == 303 and second.location == first.location
    need = only_need()
    assert audit_actions(need) == ["need.create", "need.submit"]
    assert "This form was already sent" in text_of(family.get(second.location))


def test_two_forms_make_two_requests(family):
    for _ in range(2):
        family.post("/family/needs/new", data=need_form(money_goal="50000", token=token_of(text_of(family.get("/family/needs/new")))))
    assert need_count() == 2


def test_a_form_shown_again_after_a_mistake_keeps_its_token(family):
    token = token_of(text_of(family.get("/family/needs/new")))
    refused = family.post("/family/needs/new", data=need_form(token=token, title="", money_goal="50000"))
    assert token_of(text_of(refused)) == token  # the form comes back with what was typed, token included
    assert need_count() == 0
    family.post("/family/needs/new", data=need_form(token=token, money_goal="50000"))
    family.post("/family/needs/new", data=need_form(token=token, money_goal="50000"))
    assert need_count() == 1


def test_another_familys_form_token_is_no_shortcut_to_their_request(family, db_session, office):
    other = HouseholdFactory(office=office, verified=True)
    create_need(other, NeedData(category=Category.FOOD, title="Чужая просьба", description="Продукты на месяц",
                                urgency=Urgency.NORMAL, deadline=None, money_goal=10_000_00),
                actor=other.user, form_token="a" * 32)
    db_session.commit()
    response = family.post("/family/needs/new", data=need_form(token="a" * 32, money_goal="50000"))
    # The token is taken: nothing is made, and nothing of the other family's request is shown.
    assert response.status_code == 409
    assert "Чужая просьба" not in text_of(response)
    assert need_count() == 1


def test_a_draft_form_sent_again_with_send_leads_to_the_draft(family):
    token = token_of(text_of(family.get("/family/needs/new")))
    family.post("/family/needs/new", data=need_form(action="draft", token=token, money_goal="50000"))
    # Back in the browser, a change, then "Send": the same form; the family is shown the draft to send.
    response = family.post("/family/needs/new", data=need_form(token=token, money_goal="60000"))
    need = only_need()
    assert response.status_code == 303 and response.location == f"/family/needs/{need.id}/edit"
    assert need.status is NeedStatus.DRAFT and need.money_goal == 50_000_00
    assert "already saved your request as a draft" in text_of(family.get(response.location))
