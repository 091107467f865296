"""On phones: a patron pledges 3,000 ₸ by bank transfer (on a site without card payments, or choosing it
where cards are taken) and sees the office's bank details with the payment reference; the office's staff
find that reference in their list, confirm the money arrived, and the patron's pledge is paid with a
receipt that carries the same number."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.demo.seed import DEMO_BANK_DETAILS, DEMO_PASSWORD
from tests.browser.conftest import STRIPE, log_in

PATRON = "patron@demo.social-window.kz"
STAFF = "staff@demo.social-window.kz"  # works at ALA-01, the demo office that takes transfers


def transfer_need_id(app) -> int:
    """An open request of the demo office that takes transfers, still missing at least 3,000 ₸."""
    from marketplace.core.extensions import db
    from marketplace.needs.models import Need, NeedStatus
    from marketplace.offices.models import Office

    code, _bank = DEMO_BANK_DETAILS
    with app.app_context():
        return next(n.id for n in db.session.scalars(
            select(Need).join(Office, Need.office_id == Office.id)
            .where(Office.code == code, Need.status == NeedStatus.VERIFIED, Need.money_goal.is_not(None))
            .order_by(Need.id)) if n.money_open >= 3_000_00)


def pledge_by_transfer(patron, need_id: int, *, choose: bool) -> str:
    """Pledge 3,000 ₸ by transfer (choosing it first when cards are offered); the reference the page gives."""
    log_in(patron, PATRON, DEMO_PASSWORD)
    patron.goto(f"/needs/{need_id}/pledge")
    patron.fill("#amount", "3000")
    if choose:
        card, transfer = patron.locator("label.pay-option").all()
        expect(card.locator("input")).to_be_checked()  # card is preselected where cards are taken
        for option in (card, transfer):
            assert option.bounding_box()["height"] >= 44  # one thumb's target
        transfer.click()
        expect(transfer.locator("input")).to_be_checked()
    else:
        expect(patron.locator("input[name=payment]")).to_have_count(0)
    patron.locator("form:has(input[name=kind][value=money]) button[type=submit]").click()
    expect(patron).to_have_url(re.compile(r"/pledges/\d+$"))
    how_to_pay = patron.locator("section:has(#pay-heading)")
    reference = how_to_pay.locator("p.lead strong").inner_text()
    assert re.fullmatch(r"SW-\d{4}-\d{7}", reference), reference
    _code, bank = DEMO_BANK_DETAILS
    expect(how_to_pay).to_contain_text("KZ86 125K ZT50 0410 0100")  # the office's account, in groups of four
    expect(how_to_pay).to_contain_text(bank["bank_bic"])
    expect(how_to_pay.locator(".bank-details")).to_contain_text(reference)  # the payment purpose
    expect(how_to_pay).to_contain_text("3 000")
    return reference


def staff_confirm(staff, reference: str, *, search: bool) -> None:
    log_in(staff, STAFF, DEMO_PASSWORD)
    staff.goto("/staff/pledges")
    if search:  # as from the bank statement's payment purpose
        staff.fill("input[name=reference]", f"Благотворительная помощь, {reference}")
        staff.locator("form[role=search] button[type=submit]").click()
        expect(staff.locator("tbody tr")).to_have_count(1)
    row = staff.locator("tr", has_text=reference)
    expect(row).to_contain_text("3 000")
    row.locator("button", has_text=re.compile("Подтвердить|Confirm")).first.click()
    expect(staff.locator(".flash").first).to_be_visible()


def receipt_has(patron, reference: str) -> None:
    patron.reload()
    expect(patron.locator("a[href$='/receipt']")).to_be_visible()
    expect(patron.locator("body")).not_to_contain_text("KZ86 125K ZT50 0410 0100")  # paid: nothing more to do
    patron.locator("a[href$='/receipt']").click()
    expect(patron.locator(".receipt-number")).to_have_text(reference)


def test_patron_pledges_by_transfer_and_staff_confirm_it(phones, monkeypatch):
    app = STRIPE["app"]
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "")  # this site takes no cards: transfers only
    patron = phones("patron")
    reference = pledge_by_transfer(patron, transfer_need_id(app), choose=False)
    staff_confirm(phones("staff"), reference, search=False)
    receipt_has(patron, reference)


def test_where_cards_are_taken_the_patron_may_choose_a_transfer(phones):
    sessions_before = len(STRIPE["server"].sessions)
    patron = phones("patron")
    reference = pledge_by_transfer(patron, transfer_need_id(STRIPE["app"]), choose=True)
    assert len(STRIPE["server"].sessions) == sessions_before  # no card checkout was opened
    staff_confirm(phones("staff"), reference, search=True)
    receipt_has(patron, reference)
