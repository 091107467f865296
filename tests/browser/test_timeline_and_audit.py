"""On a phone: a history reads as a timeline (no table, no sideways scrolling, in words), and the audit log
filters by what happened, chosen by its name."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from marketplace.demo.seed import DEMO_PASSWORD
from tests.browser.conftest import axe_violations, log_in

ADMIN = "admin@demo.social-window.kz"
CODE = re.compile(r"\b[a-z_]+\.[a-z_]+\b|\b[a-z_]+ → [a-z_]+\b|tiyn|#\d+:|\bsystem\b")
EMAIL = re.compile(r"[\w.+-]+@[\w.-]+")


def codes_on(page) -> list[str]:
    return CODE.findall(EMAIL.sub(" ", page.locator("main").inner_text()))


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_audit_log_and_a_history_read_as_timelines_on_a_phone(phone):
    log_in(phone, ADMIN, DEMO_PASSWORD)
    phone.goto("/admin/audit")
    timeline = phone.locator("main ol.timeline")
    expect(timeline).to_be_visible()
    assert phone.locator("main table").count() == 0 and fits_the_screen(phone)
    assert codes_on(phone) == []
    assert axe_violations(phone) == []

    phone.locator("details.catalogue-filters > summary").click()  # the filters fold into one line on a phone
    phone.select_option("#action", label="Учётная запись создана")
    phone.locator("form.audit-filters button[type=submit]").click()
    expect(phone).to_have_url(re.compile(r"action=account\.create"))
    items = phone.locator("main li.timeline-item")
    assert items.count() > 0
    assert all("Учётная запись создана" in text for text in items.all_inner_texts())

    # One account's history: the page links to the account, and its timeline is in words too.
    items.first.locator("a").first.click()
    expect(phone.locator("main h2", has_text="История")).to_be_visible()
    expect(phone.locator("main ol.timeline li").first).to_be_visible()
    assert fits_the_screen(phone) and codes_on(phone) == []
    assert axe_violations(phone) == []
