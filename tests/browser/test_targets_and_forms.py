"""Issue 13, items 5 and 10 on a 360 px phone: the volunteer's week as three large toggles a day that work without
JavaScript, and the forms that relied on the browser's "required" pop-up (staff asking the family, the admin's CSV
import) answered by the server in the user's language, with the error summary taking the focus."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.demo.seed import DEMO_PASSWORD
from tests.browser.conftest import STRIPE, choose_language, log_in

DEMO = "@demo.social-window.kz"
SUMMARY = {"ru-RU": "Пожалуйста, исправьте:", "kk-KZ": "Мына жерлерді түзетіңіз:"}
NO_QUESTION = {"ru-RU": "Напишите вопрос семье.", "kk-KZ": "Отбасыға қоятын сұрағыңызды жазыңыз."}
NO_FILE = {"ru-RU": "Выберите CSV-файл.", "kk-KZ": "CSV файлын таңдаңыз."}


def demo_volunteer_profile():
    from marketplace.accounts.models import User
    from marketplace.volunteering.models import VolunteerProfile

    return select(VolunteerProfile).join(User, VolunteerProfile.user_id == User.id).where(
        User.email == "volunteer" + DEMO)


def demo_availability(value: int | None = None) -> int:
    """The demo volunteer's stored week (set to `value` first when given)."""
    from marketplace.core.extensions import db

    with STRIPE["app"].app_context():
        profile = db.session.scalar(demo_volunteer_profile())
        if value is not None:
            profile.availability = value
            db.session.commit()
        return profile.availability


def waiting_household() -> int:
    from marketplace.core.extensions import db
    from marketplace.families.models import Household, HouseholdStatus
    from marketplace.offices.models import Office

    with STRIPE["app"].app_context():
        return db.session.scalar(select(Household.id).join(Office, Household.office_id == Office.id).where(
            Office.code == "ALA-01", Household.status == HouseholdStatus.SUBMITTED).order_by(Household.id))


def test_the_week_is_three_large_toggles_a_day_that_work_without_javascript(no_script_phone):
    page = no_script_phone
    before = demo_availability()
    log_in(page, "volunteer" + DEMO, DEMO_PASSWORD)
    page.goto("/volunteer/profile")
    try:
        days = page.locator("fieldset.week-day")
        expect(days).to_have_count(7)
        expect(days.locator("legend")).to_have_text(
            ["Понедельник", "Вторник", "Среда", "Четверг", "Пятница", "Суббота", "Воскресенье"])
        tuesday_evening = days.nth(1).get_by_label("Вечер")
        sunday_morning = days.nth(6).get_by_label("Утро")
        for toggle in (tuesday_evening, sunday_morning):
            label = page.locator(f"label[for='{toggle.get_attribute('id')}']")
            box = label.bounding_box()
            assert box["width"] >= 44 and box["height"] >= 44, box
        wanted = before ^ (1 << 5) ^ (1 << 18)  # Tuesday evening (1 * 3 + 2), Sunday morning (6 * 3 + 0)

        face = page.locator("label[for='availability-5'] .toggle-face")
        mark = "(el) => getComputedStyle(el, '::before').content"
        ticked = tuesday_evening.is_checked()
        page.locator("label[for='availability-5']").tap()          # the label's words, not a hidden box
        page.locator("label[for='availability-18']").tap()
        assert tuesday_evening.is_checked() is not ticked
        # The state shows as a mark, not by colour alone: ✓ when ticked, none when not.
        assert ("✓" in face.evaluate(mark)) is not ticked
        page.locator("form.form button[type=submit]").first.click()

        assert demo_availability() == wanted
        page.goto("/volunteer/profile")
        expect(page.locator("#availability-5")).to_be_checked(checked=not ticked)
        expect(page.locator("#availability-18")).to_be_checked(checked=not (before & (1 << 18)))
    finally:
        demo_availability(before)  # the demo volunteer's week again, for the dispatch tests


@pytest.mark.parametrize("locale", ["ru-RU", "kk-KZ"])
def test_asking_the_family_without_a_question_is_answered_in_the_staff_language(phones, locale):
    summary, message = SUMMARY[locale], NO_QUESTION[locale]
    page = phones(locale=locale)
    log_in(page, "staff" + DEMO, DEMO_PASSWORD)
    if locale != "ru-RU":
        choose_language(page, "kk")
    try:
        household = waiting_household()
        page.goto(f"/staff/households/{household}")
        form = page.locator("form[action$='/transitions/ask_info']")
        form.locator("button[type=submit]").click()  # the question left empty: no pop-up stops the form

        error_summary = page.locator(".error-summary")
        expect(error_summary).to_be_focused()
        expect(error_summary.locator("h2")).to_have_text(summary)
        expect(error_summary.locator("a[href='#ask_info-reason']")).to_contain_text(message)
        expect(page.locator("#ask_info-reason-error")).to_have_text(message)
        expect(page.locator("#ask_info-reason")).to_have_attribute("aria-invalid", "true")
        error_summary.locator("a").click()
        expect(page.locator("#ask_info-reason")).to_be_focused()
    finally:
        if locale != "ru-RU":
            page.goto("/")
            choose_language(page, "ru")  # the demo account's own language again, for the other tests


@pytest.mark.parametrize("locale", ["ru-RU", "kk-KZ"])
def test_importing_offices_without_a_file_is_answered_in_the_admin_language(phones, locale):
    summary, message = SUMMARY[locale], NO_FILE[locale]
    page = phones(locale=locale)
    log_in(page, "admin" + DEMO, DEMO_PASSWORD)
    if locale != "ru-RU":
        choose_language(page, "kk")
    try:
        page.goto("/admin/offices")
        page.locator("form[action$='/admin/offices/import'] button[type=submit]").click()

        error_summary = page.locator("form[action$='/admin/offices/import'] .error-summary")
        expect(error_summary).to_be_focused()
        expect(error_summary.locator("h2")).to_have_text(summary)
        expect(page.locator("#file-error")).to_have_text(message)
    finally:
        if locale != "ru-RU":
            page.goto("/")
            choose_language(page, "ru")
