"""The patron's pages: pledging money or goods, a pledge's page, the receipt, the dashboard and its CSV,
the home point, and the pledge button on a need's page."""
from __future__ import annotations

import csv
import io
import socket
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from marketplace.core.roles import Role

from marketplace.accounts.models import PatronKind
from marketplace.core.audit.models import AuditEntry
from marketplace.core.dbtypes import utcnow
from marketplace.core.money import format_money as money
from marketplace.needs.models import NeedStatus
from marketplace.pledges import services
from marketplace.pledges.models import (
    GoodsDelivery, PatronProfile, PaymentProvider, Pledge, PledgeKind, PledgeStatus,
)
from tests.core.test_csv_cells import FORMULA_PAYLOADS, csv_rows, is_inert
from tests.factories import NeedFactory, NeedItemFactory, StoredFileFactory, UserFactory
from tests.stripe_fake import fake_stripe  # noqa: F401  (the fixture)

TALGAR = (43.30, 77.24)  # where the offline gazetteer puts "Талгар"


def tenge(app, minor_units: int) -> str:
    """The amount as the English pages show it."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        return money(minor_units)


def pledges_of(db_session, need) -> list[Pledge]:
    return list(db_session.scalars(select(Pledge).where(Pledge.need_id == need.id).order_by(Pledge.id)))


def staff_of(need):
    return UserFactory(role=Role.STAFF, office=need.office)


def goods_need(**kwargs):
    need = NeedFactory(open=True, money_goal=None, **kwargs)
    item = NeedItemFactory(need=need, name="Рюкзак", quantity=3)
    return need, item


def money_form(amount: str, **extra) -> dict:
    return {"kind": "money", "amount": amount, **extra}


def goods_form(item_id, quantity: str, delivery: str = "office", **extra) -> dict:
    return {"kind": "goods", "goods-item": str(item_id), "goods-quantity": quantity, "goods-delivery": delivery,
            **extra}


def pledge_page(client, pledge, **args):
    return client.get(f"/pledges/{pledge.id}", query_string=args)


# --- pledging money without a card (bank transfer or cash) -------------------------------------


def test_offline_money_pledge_reserves_and_shows_how_to_pay(app, client, db_session, login_as, patron_user):
    need = NeedFactory(open=True)  # 50 000 ₸
    login_as(patron_user)
    form_page = client.get(f"/needs/{need.id}/pledge")
    assert form_page.status_code == 200
    text = form_page.get_data(as_text=True)
    assert need.title in text and tenge(app, 5_000_000) in text
    assert "bank transfer or in cash" in text and need.office.name in text
    assert need.household.address not in text and need.household.phone not in text

    response = client.post(f"/needs/{need.id}/pledge", data=money_form("5 000", anonymous="y"))
    [pledge] = pledges_of(db_session, need)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/pledges/{pledge.id}")
    assert pledge.status is PledgeStatus.AWAITING_TRANSFER and pledge.provider is PaymentProvider.OFFLINE
    assert pledge.kind is PledgeKind.MONEY and pledge.amount == 500_000 and pledge.patron_id == patron_user.id
    assert pledge.anonymous is True and pledge.allow_redirect is False
    db_session.refresh(need)
    assert need.money_reserved == 500_000 and need.money_raised == 0

    page = pledge_page(client, pledge).get_data(as_text=True)
    assert pledge.number in page
    assert need.office.name in page and need.office.address in page and need.office.phone in page
    assert tenge(app, 500_000) in page and "Waiting for your transfer" in page
    assert 'http-equiv="refresh"' not in page
    assert need.household.address not in page and need.household.phone not in page


def test_the_offices_bank_details_are_on_a_transfer_pledge(app, client, db_session, login_as, patron_user):
    need = NeedFactory(open=True)
    office = need.office
    office.bank_recipient, office.bank_bin = "КГУ «Социальное окно»", "180440012349"
    office.bank_iban, office.bank_name, office.bank_bic, office.bank_kbe = (
        "KZ86125KZT5004100100", "АО «Народный банк Казахстана»", "HSBKKZKX", "12")
    db_session.commit()
    login_as(patron_user)
    client.post(f"/needs/{need.id}/pledge", data=money_form("5000"))
    [pledge] = pledges_of(db_session, need)
    page = pledge_page(client, pledge).get_data(as_text=True)
    for shown in ("КГУ «Социальное окно»", "180440012349", "KZ86 125K ZT50 0410 0100", "HSBKKZKX",
                  "АО «Народный банк Казахстана»", pledge.number, tenge(app, 500_000)):
        assert shown in page
    assert "Ask the office for its bank details" not in page


def test_without_bank_details_the_patron_is_asked_to_contact_the_office(client, db_session, login_as, patron_user):
    need = NeedFactory(open=True)
    assert not need.office.takes_transfers
    login_as(patron_user)
    client.post(f"/needs/{need.id}/pledge", data=money_form("5000"))
    [pledge] = pledges_of(db_session, need)
    page = pledge_page(client, pledge).get_data(as_text=True)
    assert "Ask the office for its bank details" in page and "IBAN" not in page


def test_allow_redirect_is_stored(client, db_session, login_as, patron_user):
    need = NeedFactory(open=True)
    login_as(patron_user)
    client.post(f"/needs/{need.id}/pledge", data=money_form("1000", allow_redirect="y"))
    [pledge] = pledges_of(db_session, need)
    assert pledge.allow_redirect is True and pledge.anonymous is False


def test_over_the_goal_is_refused_and_changes_nothing(app, client, db_session, login_as, patron_user):
    need = NeedFactory(open=True, money_goal=1_000_000, money_raised=600_000)  # 4 000 ₸ still missing
    login_as(patron_user)
    response = client.post(f"/needs/{need.id}/pledge", data=money_form("5000"))
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert f"Only {tenge(app, 400_000)} is still missing" in text
    # The largest amount the form takes is far beyond any database integer once in tiyn: still a refusal.
    biggest = client.post(f"/needs/{need.id}/pledge", data=money_form("1000000000"))
    assert biggest.status_code == 409 and "is still missing" in biggest.get_data(as_text=True)
    assert pledges_of(db_session, need) == []
    db_session.refresh(need)
    assert need.money_reserved == 0 and need.money_raised == 600_000


def test_a_fully_covered_need_says_so(client, db_session, login_as, patron_user):
    need = NeedFactory(open=True, money_goal=1_000_000, money_raised=400_000, money_reserved=600_000)
    login_as(patron_user)
    assert "already fully covered" in client.get(f"/needs/{need.id}/pledge").get_data(as_text=True)
    response = client.post(f"/needs/{need.id}/pledge", data=money_form("100"))
    assert response.status_code == 409 and "already fully covered" in response.get_data(as_text=True)
    assert pledges_of(db_session, need) == []


@pytest.mark.parametrize("typed, message", [
    ("abc", "Enter a whole number"),
    ("", "Enter a whole number"),
    ("-5", "Enter a whole number"),
    ("12.5", "Enter a whole number"),
    ("0", "above zero"),
    ("1000000001", "more than any request asks for"),
    ("99999999999999999999999", "Enter a whole number"),
    ("50", "The smallest pledge is"),
])
def test_bad_amounts_are_form_errors(client, db_session, login_as, patron_user, typed, message):
    need = NeedFactory(open=True)
    login_as(patron_user)
    response = client.post(f"/needs/{need.id}/pledge", data=money_form(typed))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert pledges_of(db_session, need) == []
    db_session.refresh(need)
    assert need.money_reserved == 0


def test_an_unknown_form_kind_is_a_bad_request(client, db_session, login_as, patron_user):
    need = NeedFactory(open=True)
    login_as(patron_user)
    assert client.post(f"/needs/{need.id}/pledge", data={"kind": "other"}).status_code == 400
    assert pledges_of(db_session, need) == []


def test_a_patron_cancels_a_transfer_pledge_and_the_money_is_free_again(client, db_session, login_as, patron_user):
    need = NeedFactory(open=True)
    login_as(patron_user)
    client.post(f"/needs/{need.id}/pledge", data=money_form("2000"))
    [pledge] = pledges_of(db_session, need)
    assert "Cancel the pledge" in pledge_page(client, pledge).get_data(as_text=True)
    response = client.post(f"/pledges/{pledge.id}/cancel")
    assert response.status_code == 303
    db_session.refresh(pledge)
    db_session.refresh(need)
    assert pledge.status is PledgeStatus.CANCELLED and need.money_reserved == 0
    page = pledge_page(client, pledge).get_data(as_text=True)
    assert "Cancelled" in page and "Cancel the pledge" not in page
    assert client.post(f"/pledges/{pledge.id}/cancel").status_code == 409  # nothing left to cancel


# --- goods -----------------------------------------------------------------------------------


def test_goods_pledge_within_and_above_what_is_missing(client, db_session, login_as, patron_user):
    need, item = goods_need()
    login_as(patron_user)
    page = client.get(f"/needs/{need.id}/pledge").get_data(as_text=True)
    assert "Рюкзак — 3 still missing" in page

    response = client.post(f"/needs/{need.id}/pledge", data=goods_form(item.id, "2", **{"goods-anonymous": "y"}))
    [pledge] = pledges_of(db_session, need)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/pledges/{pledge.id}")
    assert (pledge.kind, pledge.status, pledge.item_id, pledge.quantity) == (
        PledgeKind.GOODS, PledgeStatus.PENDING, item.id, 2)
    assert pledge.delivery is GoodsDelivery.OFFICE and pledge.anonymous is True
    db_session.refresh(item)
    assert item.quantity_pledged == 2
    detail = pledge_page(client, pledge).get_data(as_text=True)
    assert "Please bring the goods to the office" in detail and pledge.number in detail

    above = client.post(f"/needs/{need.id}/pledge", data=goods_form(item.id, "2"))
    assert above.status_code == 409
    assert "Only 1 of “Рюкзак” are still missing" in above.get_data(as_text=True)
    db_session.refresh(item)
    assert item.quantity_pledged == 2 and len(pledges_of(db_session, need)) == 1


def test_goods_brought_by_a_volunteer_open_a_volunteer_place(client, db_session, login_as, patron_user):
    need, item = goods_need()
    login_as(patron_user)
    client.post(f"/needs/{need.id}/pledge", data=goods_form(item.id, "3", delivery="volunteer"))
    [pledge] = pledges_of(db_session, need)
    assert pledge.delivery is GoodsDelivery.VOLUNTEER
    db_session.refresh(need)
    assert need.volunteer_slots == 1
    page = client.get(f"/needs/{need.id}/pledge").get_data(as_text=True)
    assert "All the goods are already pledged" in page


@pytest.mark.parametrize("field, value, message", [
    ("goods-quantity", "0", "above zero"),
    ("goods-quantity", "two", "Enter a whole number"),
    ("goods-item", "abc", "Choose one of the goods"),
    ("goods-item", "99999999999", "Choose one of the goods"),
    ("goods-delivery", "drone", "Choose how the goods arrive"),
])
def test_bad_goods_input_is_a_form_error(client, db_session, login_as, patron_user, field, value, message):
    need, item = goods_need()
    login_as(patron_user)
    data = goods_form(item.id, "1")
    data[field] = value
    response = client.post(f"/needs/{need.id}/pledge", data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert pledges_of(db_session, need) == []


def test_a_line_of_another_need_cannot_be_pledged(client, db_session, login_as, patron_user):
    need, _item = goods_need()
    _other, foreign = goods_need()
    login_as(patron_user)
    response = client.post(f"/needs/{need.id}/pledge", data=goods_form(foreign.id, "1"))
    assert response.status_code == 400 and "Choose one of the goods" in response.get_data(as_text=True)
    db_session.refresh(foreign)
    assert foreign.quantity_pledged == 0


# --- who may pledge, and to what -------------------------------------------------------------


@pytest.mark.parametrize("role", ["volunteer", "family", "staff"])
def test_only_patrons_pledge(client, db_session, login_as, users, role):
    need = NeedFactory(open=True)
    login_as(users[role])
    page = client.get(f"/needs/{need.id}/pledge")
    assert page.status_code == 403 and "Pledges are made by patrons" in page.get_data(as_text=True)
    assert client.post(f"/needs/{need.id}/pledge", data=money_form("5000")).status_code == 403
    assert pledges_of(db_session, need) == []


def test_visitors_are_sent_to_log_in_first(client, db_session):
    need = NeedFactory(open=True)
    response = client.get(f"/needs/{need.id}/pledge")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query)["next"] == [f"/needs/{need.id}/pledge"]
    assert client.post(f"/needs/{need.id}/pledge", data=money_form("5000")).status_code == 302
    assert pledges_of(db_session, need) == []


def test_needs_that_are_not_open_take_no_pledges(client, db_session, login_as, patron_user):
    submitted = NeedFactory(submitted=True)
    hidden = NeedFactory(open=True, hidden_at=utcnow())
    fulfilled = NeedFactory(open=True, status=NeedStatus.FULFILLED)
    login_as(patron_user)
    assert client.get(f"/needs/{submitted.id}/pledge").status_code == 404
    assert client.post(f"/needs/{hidden.id}/pledge", data=money_form("5000")).status_code == 404
    response = client.post(f"/needs/{fulfilled.id}/pledge", data=money_form("5000"))
    assert response.status_code == 409 and "no longer takes pledges" in response.get_data(as_text=True)
    assert client.get("/needs/99999999999/pledge").status_code == 404
    assert db_session.scalar(select(func.count()).select_from(Pledge)) == 0


def test_someone_elses_pledge_is_not_found(client, db_session, login_as, patron_user):
    need = NeedFactory(open=True)
    pledge = services.pledge_money(need, patron_user, amount=500_000)
    db_session.commit()
    login_as(UserFactory(patron=True))
    for url in (f"/pledges/{pledge.id}", f"/pledges/{pledge.id}/receipt"):
        assert client.get(url).status_code == 404
    assert client.post(f"/pledges/{pledge.id}/cancel").status_code == 404
    db_session.refresh(pledge)
    assert pledge.status is PledgeStatus.AWAITING_TRANSFER


def test_the_office_staff_see_the_pledge(client, db_session, login_as, patron_user):
    need = NeedFactory(open=True)
    pledge = services.pledge_money(need, patron_user, amount=500_000)
    db_session.commit()
    login_as(staff_of(need))
    assert client.get(f"/pledges/{pledge.id}").status_code == 200


# --- receipts ------------------------------------------------------------------------------------


def test_receipt_only_once_the_money_arrived(app, client, db_session, login_as, patron_user):
    need = NeedFactory(open=True)
    login_as(patron_user)
    client.post(f"/needs/{need.id}/pledge", data=money_form("5000"))
    [pledge] = pledges_of(db_session, need)
    early = client.get(f"/pledges/{pledge.id}/receipt")  # a link followed too early: the pledge's page says why
    assert early.status_code == 303 and early.headers["Location"].endswith(f"/pledges/{pledge.id}")
    page = pledge_page(client, pledge).get_data(as_text=True)
    assert "/receipt" not in page and "The receipt is issued once the money arrives." in page

    services.change_pledge(pledge, "confirm_transfer", actor=staff_of(need))
    db_session.commit()
    assert pledge.receipt_number
    page = pledge_page(client, pledge).get_data(as_text=True)
    assert f"/pledges/{pledge.id}/receipt" in page and "Paid — thank you" in page
    receipt = client.get(f"/pledges/{pledge.id}/receipt")
    assert receipt.status_code == 200
    text = receipt.get_data(as_text=True)
    assert pledge.receipt_number in text and tenge(app, 500_000) in text
    assert patron_user.full_name in text and f"Social Window — {need.office.name}" in text and need.title in text
    assert "identity is protected" in text and "@media print" not in text and "/static/css/receipt." in text
    assert need.household.address not in text and need.household.phone not in text
    assert need.household.user.full_name not in text


def test_a_company_receipt_names_the_company_and_its_bin(client, db_session, login_as):
    company = UserFactory(patron=True, patron_kind=PatronKind.COMPANY, organisation_name="ТОО «Добро»",
                          bin="123456789012")
    need = NeedFactory(open=True)
    pledge = services.pledge_money(need, company, amount=1_000_000)
    services.change_pledge(pledge, "confirm_transfer", actor=staff_of(need))
    db_session.commit()
    login_as(company)
    text = client.get(f"/pledges/{pledge.id}/receipt").get_data(as_text=True)
    assert "ТОО «Добро»" in text and "123456789012" in text


def test_goods_have_no_receipt(client, db_session, login_as, patron_user):
    need, item = goods_need()
    pledge = services.pledge_goods(need, patron_user, item_id=item.id, quantity=1, delivery=GoodsDelivery.OFFICE)
    db_session.commit()
    login_as(patron_user)
    response = client.get(f"/pledges/{pledge.id}/receipt", follow_redirects=True)
    assert response.request.path == f"/pledges/{pledge.id}"
    assert "Receipts are issued for money; goods pledged have none." in response.get_data(as_text=True)


# --- the dashboard and the CSV -------------------------------------------------------------------


def test_dashboard_lists_pledges_newest_first_with_totals(app, client, db_session, login_as, patron_user):
    first = NeedFactory(open=True, title="Первая просьба")
    second = NeedFactory(open=True, title="Вторая просьба")
    goods, item = goods_need(title="Рюкзаки для школы")
    paid = services.pledge_money(first, patron_user, amount=700_000)
    services.change_pledge(paid, "confirm_transfer", actor=staff_of(first))
    services.pledge_money(second, patron_user, amount=300_000)  # not paid yet: not in the totals
    delivered = services.pledge_goods(goods, patron_user, item_id=item.id, quantity=2, delivery=GoodsDelivery.OFFICE)
    services.change_pledge(delivered, "deliver", actor=staff_of(goods))
    services.pledge_money(NeedFactory(open=True, title="Чужая просьба"), UserFactory(patron=True), amount=100_000)
    db_session.commit()

    login_as(patron_user)
    response = client.get("/patron/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for title in ("Первая просьба", "Вторая просьба", "Рюкзаки для школы"):
        assert title in page
    assert "Чужая просьба" not in page
    assert page.index("Рюкзаки для школы") < page.index("Вторая просьба") < page.index("Первая просьба")
    totals = page[page.index("What you have given"):page.index('id="pledges-heading"')]
    assert tenge(app, 700_000) in totals and "<dd>2</dd>" in totals  # two requests, two backpacks
    assert "/patron/pledges.csv" in page
    assert "Set your home point" in page  # no home point yet
    assert 'href="/patron/"' in page  # "My pledges" in the navigation


def test_dashboard_and_csv_are_for_patrons(client, db_session, login_as, volunteer_user):
    login_as(volunteer_user)
    assert client.get("/patron/").status_code == 403
    assert client.get("/patron/pledges.csv").status_code == 403
    assert 'href="/patron/"' not in client.get("/").get_data(as_text=True)


def test_csv_has_bom_header_rows_and_no_formulas(client, db_session, login_as, patron_user):
    need = NeedFactory(open=True, title="=cmd|' /C calc'!A0")
    goods, item = goods_need(title="@SUM(1+1)")
    pledge = services.pledge_money(need, patron_user, amount=512_345)
    services.change_pledge(pledge, "confirm_transfer", actor=staff_of(need))
    services.pledge_goods(goods, patron_user, item_id=item.id, quantity=2, delivery=GoodsDelivery.OFFICE)
    db_session.commit()
    login_as(patron_user)
    response = client.get("/patron/pledges.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["Pledge number", "Date", "Request", "Kind", "Amount (tenge)", "Goods", "Quantity", "Status",
                       "Receipt number"]
    assert len(rows) == 3
    goods_row, money_row = rows[1], rows[2]  # newest first
    assert goods_row[2:7] == ["'@SUM(1+1)", "Goods", "", "Рюкзак", "2"]
    assert money_row[0] == pledge.number == pledge.receipt_number and money_row[2] == "'=cmd|' /C calc'!A0"
    assert money_row[3:5] == ["Money", "5123.45"] and money_row[8] == pledge.receipt_number
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_csv_writes_each_formula_payload_behind_an_apostrophe(client, db_session, login_as, patron_user):
    for payload in FORMULA_PAYLOADS:
        services.pledge_money(NeedFactory(open=True, title=payload), patron_user, amount=100_000)
    db_session.commit()
    login_as(patron_user)

    response = client.get("/patron/pledges.csv")

    assert response.status_code == 200
    rows = csv_rows(response.get_data(as_text=True))
    assert all(is_inert(cell) for row in rows for cell in row)
    assert sorted(row[2] for row in rows[1:]) == sorted("'" + payload for payload in FORMULA_PAYLOADS)


def test_proof_of_delivery_shows_the_outcome_of_supported_needs(client, db_session, login_as, patron_user):
    need = NeedFactory(open=True, title="Стиральная машина")
    pledge = services.pledge_money(need, patron_user, amount=5_000_000)
    services.change_pledge(pledge, "confirm_transfer", actor=staff_of(need))
    unpaid_need = NeedFactory(open=True, title="Не оплачено")
    services.pledge_money(unpaid_need, patron_user, amount=100_000)
    db_session.commit()
    for met in (need, unpaid_need):
        met.status = NeedStatus.FULFILLED
        met.outcome_note = f"Отчёт: {met.title} доставлена."
        met.outcome_photo_id = None
        met.closed_at = utcnow()
    db_session.commit()
    login_as(patron_user)
    page = client.get("/patron/").get_data(as_text=True)
    proof = page[page.index('id="proof-heading"'):]
    assert "Отчёт: Стиральная машина доставлена." in proof
    assert "Не оплачено доставлена" not in proof
    assert "/files/" not in proof  # no photo recorded
    assert need.household.address not in page and need.household.phone not in page


def test_proof_of_delivery_shows_the_outcome_photo(client, db_session, login_as, patron_user):
    need = NeedFactory(open=True)
    pledge = services.pledge_money(need, patron_user, amount=5_000_000)
    services.change_pledge(pledge, "confirm_transfer", actor=staff_of(need))
    photo = StoredFileFactory(need_photo=True, need=need, original_name="outcome.jpg", stored_name="outcome-test.jpg",
                              content_type="image/jpeg", size=10, sha256="0" * 64)
    need.status, need.outcome_photo_id, need.closed_at = NeedStatus.FULFILLED, photo.id, utcnow()
    db_session.commit()
    login_as(patron_user)
    page = client.get("/patron/").get_data(as_text=True)
    assert f'src="/files/{photo.id}"' in page


# --- the home point ------------------------------------------------------------------------------


def test_home_point_is_geocoded_and_gives_requests_near_me(client, db_session, login_as, patron_user):
    login_as(patron_user)
    assert client.get("/patron/profile").status_code == 200
    response = client.post("/patron/profile", data={"place": "Талгар", "radius_km": "50"})
    assert response.status_code == 303
    home = db_session.scalar(select(PatronProfile).where(PatronProfile.user_id == patron_user.id))
    assert home.place == "Талгар" and home.radius_km == 50
    assert abs(home.latitude - TALGAR[0]) < 0.05 and abs(home.longitude - TALGAR[1]) < 0.05
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "patron.profile_save",
                                                      AuditEntry.actor_id == patron_user.id)) is not None
    assert "Талгар" in client.get("/patron/profile").get_data(as_text=True)
    page = client.get("/patron/").get_data(as_text=True)
    assert "Requests near me" in page and "Set your home point" not in page
    link = page[page.index("/needs/?"):].split('"')[0].replace("&amp;", "&")
    args = parse_qs(urlsplit(link).query)
    assert args["radius"] == ["50"] and abs(float(args["lat"][0]) - TALGAR[0]) < 0.05
    assert client.get(link).status_code == 200


def test_an_unknown_home_place_is_a_form_error(client, db_session, login_as, patron_user):
    login_as(patron_user)
    response = client.post("/patron/profile", data={"place": "Qwertyzzz", "radius_km": "25"})
    assert response.status_code == 400 and "We could not find" in response.get_data(as_text=True)
    assert db_session.scalar(select(PatronProfile).where(PatronProfile.user_id == patron_user.id)) is None


def test_the_home_point_is_for_patrons(client, db_session, login_as, family_user):
    login_as(family_user)
    assert client.get("/patron/profile").status_code == 403
    assert client.post("/patron/profile", data={"place": "Талгар", "radius_km": "25"}).status_code == 403


# --- the need's page -----------------------------------------------------------------------------


def test_need_page_offers_pledging_to_patrons_only(client, db_session, login_as, users):
    need = NeedFactory(open=True)
    pledge_url = f"/needs/{need.id}/pledge"
    anonymous = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "Log in as a patron to pledge" in anonymous and f"/login?next={pledge_url}" in anonymous
    login_as(users["volunteer"])
    volunteer_page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert f'href="{pledge_url}"' not in volunteer_page and "Log in as a patron" not in volunteer_page
    client.post("/logout")
    login_as(users["patron"])
    assert f'href="{pledge_url}"' in client.get(f"/needs/{need.id}").get_data(as_text=True)
    client.post(pledge_url, data=money_form("1000"))
    assert "1 patron has pledged so far." in client.get(f"/needs/{need.id}").get_data(as_text=True)


def test_need_page_says_when_everything_is_pledged(client, db_session, login_as, patron_user):
    need = NeedFactory(open=True, money_goal=1_000_000, money_raised=1_000_000, status=NeedStatus.IN_PROGRESS)
    login_as(patron_user)
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "already pledged" in page and f'href="/needs/{need.id}/pledge"' not in page


# --- by card (the fake Stripe) -------------------------------------------------------------------


@pytest.fixture
def cards(app, monkeypatch, fake_stripe):  # noqa: F811  (the imported fixture)
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", fake_stripe.api_key)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", fake_stripe.url)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", fake_stripe.webhook_secret)
    return fake_stripe


def test_card_pledge_goes_to_checkout_and_only_the_webhook_makes_it_paid(client, db_session, login_as,
                                                                         patron_user, cards):
    need = NeedFactory(open=True)
    login_as(patron_user)
    assert "By card" in client.get(f"/needs/{need.id}/pledge").get_data(as_text=True)
    response = client.post(f"/needs/{need.id}/pledge", data=money_form("5000"))
    [pledge] = pledges_of(db_session, need)
    assert response.status_code == 303 and response.headers["Location"].startswith(cards.url)
    assert pledge.status is PledgeStatus.PENDING and pledge.provider is PaymentProvider.STRIPE
    assert pledge.checkout_session_id and response.headers["Location"] == pledge.checkout_url
    session = cards.sessions[pledge.checkout_session_id]
    # Stripe sends the patron back to PUBLIC_URL, whatever Host the request came with.
    public = client.application.config["PUBLIC_URL"]
    assert session["success_url"] == f"{public}/pledges/{pledge.id}?checkout=done"
    assert session["cancel_url"] == f"{public}/pledges/{pledge.id}?checkout=cancelled"
    assert session["amount_total"] == 500_000

    # Back from the checkout page: thanks, but not paid until Stripe says so.
    back = pledge_page(client, pledge, checkout="done").get_data(as_text=True)
    assert "waiting for the card payment to be confirmed" in back
    assert '<meta http-equiv="refresh" content="3">' in back
    db_session.refresh(pledge)
    assert pledge.status is PledgeStatus.PENDING and pledge.receipt_number is None
    assert client.get(f"/pledges/{pledge.id}/receipt").status_code == 303  # to the pledge: "once the money arrives"
    left = pledge_page(client, pledge, checkout="cancelled").get_data(as_text=True)
    assert "Continue to payment" in left and pledge.checkout_url in left and 'http-equiv="refresh"' not in left

    completed = next(e for e in cards.pay(pledge.checkout_session_id) if e["type"] == "checkout.session.completed")
    body, headers = cards.signed(completed)
    assert client.post("/payments/stripe/webhook", data=body, headers=headers).status_code == 200
    db_session.refresh(pledge)
    assert pledge.status is PledgeStatus.PAID and pledge.receipt_number
    paid = pledge_page(client, pledge, checkout="done").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in paid and f"/pledges/{pledge.id}/receipt" in paid
    assert "Continue to payment" not in paid and "Cancel the pledge" not in paid
    assert client.get(f"/pledges/{pledge.id}/receipt").status_code == 200


def test_cancelling_a_card_pledge_closes_its_checkout(client, db_session, login_as, patron_user, cards):
    need = NeedFactory(open=True)
    login_as(patron_user)
    client.post(f"/needs/{need.id}/pledge", data=money_form("5000"))
    [pledge] = pledges_of(db_session, need)
    assert client.post(f"/pledges/{pledge.id}/cancel").status_code == 303
    db_session.refresh(pledge)
    db_session.refresh(need)
    assert pledge.status is PledgeStatus.CANCELLED and need.money_reserved == 0
    assert cards.sessions[pledge.checkout_session_id]["status"] == "expired"


def test_a_paid_checkout_is_not_cancelled(client, db_session, login_as, patron_user, cards):
    need = NeedFactory(open=True)
    login_as(patron_user)
    client.post(f"/needs/{need.id}/pledge", data=money_form("5000"))
    [pledge] = pledges_of(db_session, need)
    cards.pay(pledge.checkout_session_id)  # paid, but the webhook has not arrived yet
    response = client.post(f"/pledges/{pledge.id}/cancel")
    assert response.status_code == 303
    db_session.refresh(pledge)
    assert pledge.status is PledgeStatus.PENDING
    assert "can no longer be cancelled" in pledge_page(client, pledge).get_data(as_text=True)


def test_unreachable_card_service_releases_the_reservation(app, client, db_session, login_as, patron_user,
                                                          monkeypatch):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_fake")
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", f"http://127.0.0.1:{port}")
    need = NeedFactory(open=True)
    login_as(patron_user)
    response = client.post(f"/needs/{need.id}/pledge", data=money_form("5000"))
    assert response.status_code == 503
    assert "Card payments are unavailable" in response.get_data(as_text=True)
    [pledge] = pledges_of(db_session, need)
    db_session.refresh(need)
    assert pledge.status is PledgeStatus.CANCELLED and need.money_reserved == 0


# --- the same form sent twice ---------------------------------------------------------------------


def form_token(client, need, prefix: str = "") -> str:
    import re

    page = client.get(f"/needs/{need.id}/pledge").get_data(as_text=True)
    tokens = re.findall(r'name="%stoken"[^>]*value="([0-9a-f]{32})"' % prefix, page)
    assert len(tokens) == 1, "each form carries its own token"
    return tokens[0]


def test_a_double_tap_makes_one_money_pledge(client, db_session, login_as, patron_user):
    need = NeedFactory(open=True, money_goal=50_000_00)
    login_as(patron_user)
    token = form_token(client, need)
    first = client.post(f"/needs/{need.id}/pledge", data=money_form("5000", token=token))
    second = client.post(f"/needs/{need.id}/pledge", data=money_form("5000", token=token))
    [pledge] = pledges_of(db_session, need)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"] == f"/pledges/{pledge.id}"
    db_session.refresh(need)
    assert need.money_reserved == 5_000_00  # reserved once
    # A new visit to the form is a new pledge.
    client.post(f"/needs/{need.id}/pledge", data=money_form("1000", token=form_token(client, need)))
    assert len(pledges_of(db_session, need)) == 2


def test_a_double_tap_makes_one_goods_pledge(client, db_session, login_as, patron_user):
    need, item = goods_need()
    login_as(patron_user)
    token = form_token(client, need, prefix="goods-")
    for _ in range(2):
        response = client.post(f"/needs/{need.id}/pledge", data=goods_form(item.id, "1", **{"goods-token": token}))
        assert response.status_code == 303
    assert len(pledges_of(db_session, need)) == 1
    db_session.refresh(item)
    assert item.quantity_pledged == 1


def test_someone_elses_form_token_is_no_shortcut_to_their_pledge(client, db_session, login_as, patron_user):
    need = NeedFactory(open=True, money_goal=50_000_00)
    other = UserFactory(role=Role.PATRON, email="other.patron@example.kz")
    services.pledge_money(need, other, amount=2_000_00, form_token="a" * 32)
    db_session.commit()
    login_as(patron_user)
    response = client.post(f"/needs/{need.id}/pledge", data=money_form("1000", token="a" * 32))
    # The token is taken: nothing is made and nothing of the other patron's pledge is shown.
    assert response.status_code == 409
    assert [p.patron_id for p in pledges_of(db_session, need)] == [other.id]
