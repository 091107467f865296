"""Card or transfer (issue 13): with cards configured the patron chooses; a transfer pledge then waits for
staff to confirm it. One number per pledge (SW-2026-0000005) is its transfer reference, its receipt's
number and its line in the CSV, in every language; staff find a pledge by it."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from marketplace.core.roles import Role
from marketplace.pledges import services
from marketplace.pledges.models import PaymentProvider, Pledge, PledgeStatus, read_pledge_number
from tests.conftest import login
from tests.factories import NeedFactory, OfficeFactory, UserFactory
from tests.pledges.test_pledge_support import card, fake_stripe  # noqa: F401  (fixtures)

NUMBER = re.compile(r"SW-\d{4}-\d{7}")
BANK = {"bank_recipient": "КГУ «Социальное окно»", "bank_iban": "KZ86125KZT5004100100",
        "bank_name": "АО «Народный банк Казахстана»", "bank_bic": "HSBKKZKX"}


def text_of(response) -> str:
    return response.get_data(as_text=True)


def pledges_of(db_session, need) -> list[Pledge]:
    return list(db_session.scalars(select(Pledge).where(Pledge.need_id == need.id).order_by(Pledge.id)))


def money_form(amount: str, **extra) -> dict:
    return {"kind": "money", "amount": amount, **extra}


def payment_inputs(html: str) -> dict[str, bool]:
    """The payment radio buttons of the pledge form: value → checked."""
    return {m[2]: "checked" in m[0] for m in re.finditer(r'(<input[^>]*name="payment"[^>]*value="(\w+)"[^>]*>)',
                                                           html)}


@pytest.fixture
def need(db_session):
    need = NeedFactory(open=True, money_goal=5_000_000)
    for name, value in BANK.items():
        setattr(need.office, name, value)
    db_session.commit()
    return need


@pytest.fixture
def staff(db_session, need):
    return UserFactory(role=Role.STAFF, office=need.office, email="reference-staff@example.kz")


# --- card or transfer ----------------------------------------------------------------------------------


def test_with_cards_the_form_offers_card_preselected_or_transfer(app, client, db_session, login_as, patron_user,
                                                                 need, card):
    login_as(patron_user)
    page = text_of(client.get(f"/needs/{need.id}/pledge"))

    assert payment_inputs(page) == {"card": True, "transfer": False}
    assert "How you pay" in page and 'class="pay-option"' in page
    days = app.config["PLEDGE_TRANSFER_DAYS"]
    assert "Stripe's secure page" in page and f"within {days} days" in page  # what each choice means
    assert need.office.name in page  # where a transfer or cash goes


def test_without_cards_there_is_no_choice_only_the_transfer(client, db_session, login_as, patron_user, need):
    login_as(patron_user)
    page = text_of(client.get(f"/needs/{need.id}/pledge"))

    assert payment_inputs(page) == {}
    assert "bank transfer or in cash" in page and "Stripe" not in page


def test_choosing_transfer_with_cards_waits_for_staff_and_opens_no_checkout(app, client, db_session, login_as,
                                                                            patron_user, need, staff, card):
    login_as(patron_user)
    response = client.post(f"/needs/{need.id}/pledge", data=money_form("5000", payment="transfer"))

    [pledge] = pledges_of(db_session, need)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/pledges/{pledge.id}")
    assert pledge.status is PledgeStatus.AWAITING_TRANSFER and pledge.provider is PaymentProvider.OFFLINE
    assert pledge.checkout_session_id is None and card.sessions == {}
    db_session.refresh(need)
    assert (need.money_reserved, need.money_raised) == (500_000, 0)
    page = text_of(client.get(f"/pledges/{pledge.id}"))
    assert "How to pay" in page and "KZ86 125K ZT50 0410 0100" in page and pledge.number in page
    assert "Continue to payment" not in page

    login(client, staff)
    assert client.post(f"/staff/pledges/{pledge.id}/confirm_transfer").status_code == 303
    db_session.expire_all()
    assert pledge.status is PledgeStatus.PAID and pledge.receipt_number == pledge.number
    assert (need.money_reserved, need.money_raised) == (0, 500_000)


def test_choosing_card_goes_to_the_checkout(client, db_session, login_as, patron_user, need, card):
    login_as(patron_user)
    response = client.post(f"/needs/{need.id}/pledge", data=money_form("5000", payment="card"))

    [pledge] = pledges_of(db_session, need)
    assert response.status_code == 303 and response.headers["Location"] == pledge.checkout_url
    assert pledge.status is PledgeStatus.PENDING and pledge.provider is PaymentProvider.STRIPE


def test_an_unknown_payment_choice_is_a_form_error_and_changes_nothing(client, db_session, login_as, patron_user,
                                                                       need, card):
    login_as(patron_user)
    response = client.post(f"/needs/{need.id}/pledge", data=money_form("5000", payment="bitcoin"))

    assert response.status_code == 400 and "Choose how you pay." in text_of(response)
    assert pledges_of(db_session, need) == []


def test_without_cards_a_card_choice_is_still_a_transfer(client, db_session, login_as, patron_user, need):
    login_as(patron_user)
    client.post(f"/needs/{need.id}/pledge", data=money_form("5000", payment="card"))

    [pledge] = pledges_of(db_session, need)
    assert pledge.status is PledgeStatus.AWAITING_TRANSFER and pledge.provider is PaymentProvider.OFFLINE


# --- one number everywhere ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_the_reference_is_the_receipt_number_everywhere_in_every_language(app, client, db_session, login_as,
                                                                          patron_user, need, staff, language):
    pledge = services.pledge_money(need, patron_user, amount=500_000)
    db_session.commit()
    number = pledge.number
    assert number == f"SW-{pledge.created_at:%Y}-{pledge.id:07d}" and "#" not in number
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language

    login_as(patron_user)
    page = text_of(client.get(f"/pledges/{pledge.id}"))
    assert set(NUMBER.findall(page)) == {number}
    assert "#" not in page[page.index("bank-details"):page.index("</dl>", page.index("bank-details"))]
    login(client, staff)
    assert listed_numbers(text_of(client.get("/staff/pledges?tab=transfers"))) == {number}

    client.post(f"/staff/pledges/{pledge.id}/confirm_transfer")
    login_as(patron_user)
    receipt = text_of(client.get(f"/pledges/{pledge.id}/receipt"))
    assert set(NUMBER.findall(receipt)) == {number}
    rows = list(csv.reader(io.StringIO(client.get("/patron/pledges.csv").get_data().decode("utf-8-sig"))))
    assert rows[1][0] == rows[1][-1] == number  # the pledge's number and its receipt's
    assert number in text_of(client.get("/patron/"))


def test_a_goods_pledge_is_brought_with_the_same_kind_of_number(client, db_session, login_as, patron_user):
    need = NeedFactory(open=True, money_goal=None)
    from tests.factories import NeedItemFactory

    item = NeedItemFactory(need=need, quantity=3)
    login_as(patron_user)
    client.post(f"/needs/{need.id}/pledge", data={"kind": "goods", "goods-item": str(item.id), "goods-quantity": "1",
                                                  "goods-delivery": "office"})
    [pledge] = pledges_of(db_session, need)
    page = text_of(client.get(f"/pledges/{pledge.id}"))
    assert "mention this reference" in page and set(NUMBER.findall(page)) == {pledge.number}


@pytest.mark.parametrize(("text", "expected"), [
    ("SW-2026-0000005", (2026, 5)), ("sw 2026 5", (2026, 5)), ("SW–2026–0000005", (2026, 5)),
    ("Благотворительная помощь, SW-2026-0000012", (2026, 12)), ("SW pledge #5", (None, 5)),
    ("№ 5", (None, 5)), ("0000007", (None, 7)), ("SW-2026", None), ("помощь", None), ("", None),
])
def test_pledge_numbers_are_read_as_staff_type_or_paste_them(text, expected):
    assert read_pledge_number(text) == expected


# --- staff find a pledge by its number ----------------------------------------------------------------


def search(client, text: str, **args) -> str:
    return text_of(client.get("/staff/pledges", query_string={"reference": text, **args}))


def listed_numbers(html: str) -> set[str]:
    table = html[html.index("<tbody>"):html.index("</tbody>")]
    return set(NUMBER.findall(table))


def test_staff_find_a_pledge_by_its_reference_in_any_tab(app, client, db_session, need, staff, patron_user):
    waiting = services.pledge_money(need, patron_user, amount=100_000)
    paid = services.pledge_money(need, patron_user, amount=200_000)
    services.change_pledge(paid, "confirm_transfer", actor=staff)
    other = services.pledge_money(need, patron_user, amount=300_000)
    db_session.commit()
    login(client, staff)

    assert listed_numbers(search(client, waiting.number)) == {waiting.number}
    assert listed_numbers(search(client, paid.number.lower())) == {paid.number}  # in "Recent", not the first tab
    purpose = f"Благотворительная помощь, {other.number}"
    assert listed_numbers(search(client, purpose)) == {other.number}
    assert listed_numbers(search(client, f"SW pledge #{waiting.id}")) == {waiting.number}  # the old reference
    assert listed_numbers(search(client, str(paid.id))) == {paid.number}
    page = search(client, waiting.number)
    assert f"/staff/pledges/{waiting.id}/confirm_transfer" in page and "reference=SW-" in page


def test_a_number_of_another_year_or_nobodys_finds_nothing(client, db_session, need, staff, patron_user):
    pledge = services.pledge_money(need, patron_user, amount=100_000)
    db_session.commit()
    login(client, staff)
    wrong_year = f"SW-{pledge.created_at.year - 1}-{pledge.id:07d}"

    for text in (wrong_year, "SW-2026-9999999", "nothing like a number", "<b>SW</b>"):
        page = search(client, text)
        assert listed_numbers(page) == set() and "No pledge has this reference" in page
    assert "<b>SW</b>" not in page and "&lt;b&gt;SW&lt;/b&gt;" in page  # what was typed, shown as text


def test_a_receipt_numbered_by_the_year_it_was_paid_is_found_too(client, db_session, need, staff, patron_user):
    pledge = services.pledge_money(need, patron_user, amount=100_000)
    services.change_pledge(pledge, "confirm_transfer", actor=staff)
    pledge.receipt_number = f"SW-{pledge.created_at.year + 1}-{pledge.id:07d}"  # issued before issue 13
    db_session.commit()
    login(client, staff)

    page = search(client, pledge.receipt_number)
    assert pledge.number in listed_numbers(page) and f"Receipt {pledge.receipt_number}" in page


def test_staff_of_another_office_find_nothing(client, db_session, need, patron_user):
    pledge = services.pledge_money(need, patron_user, amount=100_000)
    db_session.commit()
    login(client, UserFactory(role=Role.STAFF, office=OfficeFactory(), email="elsewhere@example.kz"))

    assert listed_numbers(search(client, pledge.number)) == set()
    assert listed_numbers(search(client, str(pledge.id))) == set()


def test_an_action_from_the_search_comes_back_to_it(client, db_session, need, staff, patron_user):
    pledge = services.pledge_money(need, patron_user, amount=100_000)
    db_session.commit()
    login(client, staff)

    response = client.post(f"/staff/pledges/{pledge.id}/confirm_transfer?reference={pledge.number}")
    assert response.status_code == 303 and f"reference={pledge.number}" in response.headers["Location"]
    back = text_of(client.get(response.headers["Location"]))
    assert listed_numbers(back) == {pledge.number} and "The payment is confirmed" in back
