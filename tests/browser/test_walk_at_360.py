"""The new-user walk at 360 × 740, again, on what it found: forms that the server checks answer with the error summary
taking the focus in the page's language; the decision screen's history folds (and opens without JavaScript);
headings keep their distance from the card above; the family's form notes sit by their field; a receipt's number
stays on one line; a volunteer's task puts its next step first and its phone is a 44 px target."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.demo.seed import DEMO_PASSWORD
from tests.browser.conftest import STRIPE, choose_language, log_in

DEMO = "@demo.social-window.kz"


def demo(query):
    """Run `query(db.session)` on the live server's database."""
    from marketplace.core.extensions import db

    with STRIPE["app"].app_context():
        return query(db.session)


def public_need_id() -> int:
    from marketplace.needs.models import Need, NeedStatus

    return demo(lambda session: session.scalar(select(Need.id).where(
        Need.status == NeedStatus.VERIFIED, Need.hidden_at.is_(None)).order_by(Need.id)))


def household_of(email: str) -> int:
    from marketplace.accounts.models import User
    from marketplace.families.models import Household

    return demo(lambda session: session.scalar(
        select(Household.id).join(User, Household.user_id == User.id).where(User.email == email)))


def gap_above(page, selector: str) -> float:
    """The space between an element's top and the bottom of what comes before it on the page."""
    return page.locator(selector).first.evaluate("""el => {
        let before = el.previousElementSibling, node = el;
        while (!before && node.parentElement) { node = node.parentElement; before = node.previousElementSibling; }
        return el.getBoundingClientRect().top - before.getBoundingClientRect().bottom; }""")


def test_an_empty_report_of_a_problem_is_answered_in_kazakh_with_the_focus_on_the_summary(phones):
    page = phones(locale="kk-KZ")
    log_in(page, "patron" + DEMO, DEMO_PASSWORD)
    choose_language(page, "kk")
    try:
        page.goto(f"/needs/{public_need_id()}")
        page.locator("#report details > summary").click()
        page.locator("form[action$='/flag'] button[type=submit]").click()  # no browser bubble: novalidate
        summary = page.locator("form[action$='/flag'] .error-summary")
        expect(summary).to_be_focused()
        expect(summary).to_contain_text("Мына жерлерді түзетіңіз:")
        expect(page.locator("#need-reason-error")).to_have_text("Не дұрыс емес екенін жазыңыз.")
        # The toggle and the two forms' headings: 44 px, and apart from what is above them.
        assert page.locator("#report details > summary").bounding_box()["height"] >= 44
        assert gap_above(page, "form[action$='/flag-family'] h3") >= 16
    finally:
        choose_language(page, "ru")


def test_an_empty_cancel_reason_comes_back_in_the_open_form_with_the_focus_on_the_summary(phone):
    log_in(phone, "staff" + DEMO, DEMO_PASSWORD)
    phone.goto("/staff/pledges?tab=transfers")
    cancel = phone.locator("td details").filter(has=phone.locator("form[action*='/cancel']")).first
    cancel.locator("summary").click()
    cancel.locator("form button[type=submit]").click()
    summary = phone.locator("form[action*='/cancel'] .error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Укажите причину: её сообщат меценату.")
    confirm = phone.locator("form[action*='/confirm_transfer'] button").first
    box = confirm.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360  # reached without a sideways swipe
    expect(phone.locator("main")).to_contain_text("Ожидается перевод")  # nothing changed


def test_the_decision_screens_history_folds_and_opens_without_javascript(no_script_phone):
    page = no_script_phone
    log_in(page, "staff" + DEMO, DEMO_PASSWORD)
    page.goto(f"/staff/households/{household_of('family' + DEMO)}")
    more = page.locator("details.timeline-more")
    expect(more).to_have_count(1)
    shown = page.locator("section:has(#history-heading) > ol.timeline > li")
    expect(shown).to_have_count(3)
    expect(more.locator("li").first).to_be_hidden()
    more.locator("summary").click()
    expect(more.locator("li").first).to_be_visible()
    # The reads of the family's data are one line, not entries; the history keeps its distance from the card above.
    expect(page.locator("section:has(#history-heading)")).not_to_contain_text("Открыты личные данные семьи")
    assert gap_above(page, "#history-heading") >= 16
    assert page.locator("#history-heading").bounding_box()["y"] < page.locator("#decision").bounding_box()["y"]


def test_headings_and_notes_keep_their_distance_and_the_office_picker_fits(phones):
    page = phones()
    log_in(page, "patron" + DEMO, DEMO_PASSWORD)
    page.goto("/patron/")
    assert gap_above(page, "#pledges-heading") >= 16

    family = phones("family")
    log_in(family, "family" + DEMO, DEMO_PASSWORD)
    family.goto("/family/household")
    note = family.locator("form.form > p.muted", has_text="Найдено:")
    office_label = family.locator("label[for='office_id']")
    assert office_label.bounding_box()["y"] - (note.bounding_box()["y"] + note.bounding_box()["height"]) >= 16
    fits = family.locator("#office_id").evaluate("""select => {
        const style = getComputedStyle(select), probe = document.createElement('span');
        probe.style.font = style.font; probe.style.position = 'absolute'; probe.style.whiteSpace = 'nowrap';
        probe.textContent = select.options[select.selectedIndex].text;
        document.body.appendChild(probe);
        const text = probe.getBoundingClientRect().width; probe.remove();
        const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
        return [text, room]; }""")
    assert fits[0] <= fits[1], fits  # the chosen words, less the arrow's room


def test_a_receipts_number_stays_on_one_line(phone):
    from marketplace.pledges.models import Pledge, PledgeKind, PledgeStatus

    pledge_id = demo(lambda session: session.scalar(select(Pledge.id).where(
        Pledge.kind == PledgeKind.MONEY, Pledge.status == PledgeStatus.PAID, Pledge.receipt_number.is_not(None))))
    log_in(phone, "company" + DEMO, DEMO_PASSWORD)
    phone.goto(f"/pledges/{pledge_id}/receipt")
    number = phone.locator("#receipt-title .nowrap")
    expect(number).to_have_text("SW-2026-" + f"{pledge_id:07d}")
    assert number.evaluate("el => el.getClientRects().length") == 1


def test_a_volunteers_task_puts_the_next_step_first_and_its_phone_is_a_large_target(phone):
    from marketplace.accounts.models import User
    from marketplace.core.extensions import db
    from marketplace.needs.models import Need, NeedStatus
    from marketplace.volunteering import services
    from marketplace.volunteering.models import Claim, ClaimStatus

    def take_a_task():
        """A task the demo volunteer has taken and not started (through the service that holds its place)."""
        with STRIPE["app"].test_request_context():
            user = db.session.scalar(select(User).where(User.email == "volunteer" + DEMO))
            claim = db.session.scalar(select(Claim).where(Claim.volunteer_id == user.id,
                                                          Claim.status == ClaimStatus.CLAIMED))
            if claim is not None:
                return claim.id
            for need in db.session.scalars(select(Need).where(
                    Need.status == NeedStatus.VERIFIED, Need.volunteer_slots > Need.slots_filled).order_by(Need.id)):
                try:
                    claim = services.claim_slot(need, user)
                except services.ClaimRefused:
                    db.session.rollback()
                    continue
                db.session.commit()
                return claim.id
        raise AssertionError("the demo has a task the volunteer may take")

    claim_id = take_a_task()
    log_in(phone, "volunteer" + DEMO, DEMO_PASSWORD)
    phone.goto(f"/volunteer/claims/{claim_id}")
    start = phone.locator(f"form[action$='/{claim_id}/start'] button").bounding_box()
    report = phone.locator(f"form[action$='/{claim_id}/report_done'] button").bounding_box()
    give_back = phone.locator(f"form[action$='/{claim_id}/release'] button")
    assert start["y"] < report["y"] < give_back.bounding_box()["y"]
    expect(give_back).to_have_class("btn btn-secondary")
    tel = phone.locator("#contact-heading ~ dl.details a[href^='tel:']")
    box = tel.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
