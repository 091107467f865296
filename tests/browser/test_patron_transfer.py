"""On phones: a patron of a site without card payments pledges 3,000 ₸ by bank transfer and sees the
office's bank details with the payment reference; the office's staff find that reference in their list,
confirm the money arrived, and the patron's pledge is paid with a numbered receipt."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.demo.seed import DEMO_BANK_DETAILS, DEMO_PASSWORD
from tests.browser.conftest import STRIPE, log_in

PATRON = "patron@demo.social-window.kz"
STAFF = "staff@demo.social-window.kz"  # works at ALA-01, the demo office that takes transfers


def test_patron_pledges_by_transfer_and_staff_confirm_it(phones, monkeypatch):
    from marketplace.core.extensions import db
    from marketplace.needs.models import Need, NeedStatus
    from marketplace.offices.models import Office

    app = STRIPE["app"]
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "")  # this site takes no cards: transfers only
    code, bank = DEMO_BANK_DETAILS
    with app.app_context():
        need = next(n for n in db.session.scalars(
            select(Need).join(Office, Need.office_id == Office.id)
            .where(Office.code == code, Need.status == NeedStatus.VERIFIED, Need.money_goal.is_not(None))
            .order_by(Need.id)) if n.money_open >= 3_000_00)
        need_id = need.id

    patron = phones("patron")
    log_in(patron, PATRON, DEMO_PASSWORD)
    patron.goto(f"/needs/{need_id}/pledge")
    patron.fill("#amount", "3000")
    patron.locator("form:has(input[name=kind][value=money]) button[type=submit]").click()
    expect(patron).to_have_url(re.compile(r"/pledges/\d+$"))
    pledge_id = int(re.search(r"/pledges/(\d+)", patron.url).group(1))
    reference = f"SW pledge #{pledge_id}"
    how_to_pay = patron.locator("section:has(#pay-heading)")
    expect(how_to_pay).to_contain_text(reference)
    expect(how_to_pay).to_contain_text("KZ86 125K ZT50 0410 0100")  # the office's account, in groups of four
    expect(how_to_pay).to_contain_text(bank["bank_bic"])
    expect(how_to_pay).to_contain_text("3 000")

    staff = phones("staff")
    log_in(staff, STAFF, DEMO_PASSWORD)
    staff.goto("/staff/pledges")
    row = staff.locator("tr", has_text=reference)
    expect(row).to_contain_text("3 000")
    row.locator("button", has_text=re.compile("Подтвердить|Confirm")).first.click()
    expect(staff.locator(".flash").first).to_be_visible()

    patron.reload()
    expect(patron.locator("a[href$='/receipt']")).to_be_visible()
    expect(patron.locator("body")).not_to_contain_text("KZ86 125K ZT50 0410 0100")  # paid: nothing more to do
