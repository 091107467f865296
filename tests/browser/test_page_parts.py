"""The shared page parts of issue 13 on a 360px phone in Russian and Kazakh: a header of one row whose menu opens
without JavaScript, tables that turn into cards instead of scrolling, 44px back links, an error summary in page
order that takes the focus; and at 1280px a decision screen's family panel whose words stay whole."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.demo.seed import DEMO_PASSWORD
from tests.browser.conftest import ARTIFACTS, PHONE, STRIPE, _offline, axe_violations, choose_language, log_in

DEMO = "@demo.social-window.kz"
ROLE_LINKS = {  # who logs in, and the links their menu must offer besides the public ones
    "visitor": (None, ["/login", "/signup"]),
    "family": ("family" + DEMO, ["/family/household", "/family/needs", "/account"]),
    "volunteer": ("volunteer" + DEMO, ["/volunteer/tasks", "/volunteer/my-tasks", "/account"]),
    "patron": ("patron" + DEMO, ["/patron/", "/account"]),
    "staff": ("staff" + DEMO, ["/staff/queue", "/staff/dispatch", "/staff/pledges", "/account"]),
    "admin": ("admin" + DEMO, ["/staff/queue", "/admin/users", "/admin/offices", "/account"]),
}
MENU_WORD = {"ru-RU": "Меню", "kk-KZ": "Мәзір"}


def demo_ids() -> dict:
    """A need with goods and a household of the staff's office (ALA-01), from the live server's database."""
    from marketplace.core.extensions import db
    from marketplace.families.models import Household
    from marketplace.needs.models import Need, NeedItem
    from marketplace.offices.models import Office

    with STRIPE["app"].app_context():
        office = db.session.scalar(select(Office.id).where(Office.code == "ALA-01"))
        need = db.session.scalar(select(Need.id).join(NeedItem).where(Need.office_id == office).order_by(Need.id))
        household = db.session.scalar(select(Household.id).where(Household.office_id == office).order_by(Household.id))
        public = db.session.scalar(select(Need.id).join(NeedItem).where(Need.status == "verified").order_by(Need.id))
    return {"need": need, "household": household, "public_need": public}


def confirmed_task_for(email: str) -> None:
    """A task the volunteer did and the family confirmed (the demo has none), so their tables have a row."""
    from marketplace.accounts.models import User
    from marketplace.core.extensions import db
    from marketplace.needs.models import Need
    from marketplace.volunteering.models import Claim, ClaimStatus

    with STRIPE["app"].app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if db.session.scalar(select(Claim.id).where(Claim.volunteer_id == user.id)) is None:
            need = db.session.scalar(select(Need).where(Need.volunteer_slots > 0).order_by(Need.id))
            now = datetime.now(timezone.utc)
            db.session.add(Claim(need=need, volunteer=user, office_id=need.office_id, status=ClaimStatus.CONFIRMED,
                                 done_at=now, confirmed_at=now, hours=2.5, report_note="Готово"))
            db.session.commit()


@pytest.fixture
def pages(browser, live_server):
    """Opens pages in fresh browser profiles (a phone unless told otherwise, JavaScript on unless told not)."""
    contexts = []

    def open_page(locale="ru-RU", javascript=True, viewport=None):
        options = dict(PHONE) if viewport is None else {"viewport": viewport}
        context = browser.new_context(**options, locale=locale, base_url=live_server, java_script_enabled=javascript)
        context.route("**/*", _offline)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


@pytest.mark.parametrize("locale", ["ru-RU", "kk-KZ"])
@pytest.mark.parametrize("role", list(ROLE_LINKS))
def test_header_is_one_row_and_its_menu_opens_without_javascript(pages, role, locale):
    email, links = ROLE_LINKS[role]
    page = pages(locale=locale, javascript=False)
    page.goto("/")
    if email:
        log_in(page, email, DEMO_PASSWORD)
    if page.locator("html").get_attribute("lang") != locale[:2]:  # the demo accounts are Russian
        choose_language(page, locale[:2])
    try:
        check_header(page, links, email is not None, MENU_WORD[locale], locale[:2])
    finally:
        if email and locale != "ru-RU":
            page.goto("/")
            choose_language(page, "ru")  # the demo account's own language again, for the other tests


def check_header(page, links, logged_in: bool, menu_word: str, code: str) -> None:
    header = page.locator(".site-header")
    menu = header.locator("details.site-menu")
    for path in ["/dashboard" if logged_in else "/", "/needs/", "/offices/"]:
        page.goto(path)
        assert header.bounding_box()["height"] <= 64, path
        expect(menu.locator(".menu-button")).to_contain_text(menu_word)
        expect(header.locator(".lang-switch")).to_be_hidden()
    menu.locator(".menu-button").click()
    for href in ["/needs/", "/offices/", *links]:
        target = header.locator(f".site-menu-panel a[href='{href}']")
        expect(target).to_be_visible()
        assert target.bounding_box()["height"] >= 44, href
    expect(header.locator(".lang-switch button")).to_have_count(3)
    expect(header.locator(".lang-switch button[aria-current='true']")).to_have_attribute("lang", code)
    logout = header.locator("form[action='/logout'] button")
    if logged_in:
        expect(logout).to_be_visible()
    else:
        expect(logout).to_have_count(0)


def test_the_menu_switches_language_without_javascript_and_passes_axe(pages):
    page = pages(javascript=False)
    page.goto("/offices/")
    page.locator(".menu-button").click()
    page.locator(".lang-switch button[lang='kk']").click()
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page).to_have_url(re.compile(r"/offices/$"))
    page = pages()  # and with JavaScript: axe on the open menu, Escape closes it and gives the focus back
    log_in(page, "staff" + DEMO, DEMO_PASSWORD)
    page.locator(".menu-button").click()
    assert axe_violations(page) == []
    page.keyboard.press("Escape")
    expect(page.locator("details.site-menu")).not_to_have_attribute("open", "")
    assert page.evaluate("document.activeElement.classList.contains('menu-button')")


def test_wide_screens_show_the_links_without_a_menu_button(pages):
    page = pages(viewport={"width": 1280, "height": 800})
    log_in(page, "staff" + DEMO, DEMO_PASSWORD)
    expect(page.locator(".menu-button")).to_be_hidden()
    for href in ["/staff/queue", "/staff/dispatch", "/account"]:
        expect(page.locator(f".site-header a[href='{href}']")).to_be_visible()
    expect(page.locator(".site-header form[action='/logout'] button")).to_be_visible()
    expect(page.locator(".site-header .lang-switch")).to_be_visible()
    assert page.locator(".site-header").bounding_box()["height"] <= 110
    assert axe_violations(page) == []


CARD_SCREENS = [  # who, the screens with a converted table
    ("staff", ["/staff/queue", "/staff/flags", "/staff/needs/{need}/volunteers", "/staff/needs/{need}"]),
    ("admin", ["/admin/offices", "/admin/users"]),
    ("volunteer2", ["/volunteer/my-tasks", "/volunteer/certificate"]),
    ("visitor", ["/needs/{public_need}"]),
]


@pytest.mark.parametrize("locale", ["ru-RU", "kk-KZ"])
@pytest.mark.parametrize("who, paths", CARD_SCREENS, ids=[who for who, _ in CARD_SCREENS])
def test_tables_become_cards_on_a_phone_with_no_scroll_box(pages, who, paths, locale):
    ids = demo_ids()
    page = pages(locale=locale)
    if who == "volunteer2":
        confirmed_task_for(who + DEMO)
    if who != "visitor":
        log_in(page, ROLE_LINKS[who][0] if who in ROLE_LINKS else who + DEMO, DEMO_PASSWORD)
    tables = 0
    for path in paths:
        page.goto(path.format(**ids))
        assert no_sideways_scroll(page), path
        for table in page.locator("table.table-cards").all():
            tables += 1
            assert table.evaluate("""t => {
                for (let e = t.parentElement; e; e = e.parentElement)
                    if (["auto", "scroll"].includes(getComputedStyle(e).overflowX)) return false;
                return true; }"""), f"{path}: a table in a scroll box"
            assert table.evaluate("t => getComputedStyle(t.tBodies[0].rows[0]).display") == "block", path
            assert table.evaluate("t => t.scrollWidth <= t.clientWidth + 1"), path
        problems = [v for v in axe_violations(page) if not v.startswith("scrollable-region-focusable")
                    or "table-wrap" not in v]
        # The audit history (admin/_audit_table.html) keeps its scroll box until its own conversion.
        assert problems == [], path
    assert tables >= len(paths)  # the screens did have their tables


def test_a_failed_sign_up_lists_errors_in_page_order_and_takes_the_focus(pages):
    page = pages(locale="kk-KZ")
    page.goto("/signup/patron")
    page.locator("input[name='patron_kind'][value='company']").check()
    page.locator("form.form button[type=submit]").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    listed = summary.locator("a").evaluate_all("links => links.map(a => a.hash.slice(1))")
    on_page = page.locator(".form .has-error").evaluate_all(
        "fields => fields.map(f => (f.querySelector('input, select, textarea') || {}).id)")
    assert listed == on_page and listed[:3] == ["organisation_name", "bin", "full_name"]
    summary.locator("a[href='#password']").click()
    expect(page.locator("#password")).to_be_focused()
    assert axe_violations(page) == []


def test_without_javascript_the_error_summary_is_at_the_top_of_the_form(pages):
    page = pages(javascript=False)
    page.goto("/signup/family")
    page.locator("form.form button[type=submit]").click()
    first = page.locator("form.form > :first-child")
    expect(first).to_have_class("error-summary")
    expect(first.locator("a").first).to_have_attribute("href", "#full_name")


def test_back_links_are_44px_tall(pages):
    ids = demo_ids()
    page = pages()
    page.goto(f"/needs/{ids['public_need']}")
    assert page.locator("a.back-link").bounding_box()["height"] >= 44
    log_in(page, "staff" + DEMO, DEMO_PASSWORD)
    for path in ["/staff/flags", f"/staff/needs/{ids['need']}", f"/staff/households/{ids['household']}",
                 f"/staff/needs/{ids['need']}/volunteers"]:
        page.goto(path)
        assert page.locator("main a.back-link").bounding_box()["height"] >= 44, path
    # The screenshots of issue 13 (the "before" ones were taken on the code before the parts).
    page.goto("/staff/queue")
    page.screenshot(path=str(ARTIFACTS / "issue13-after-queue.png"), full_page=True)
    page.locator("main a[href^='/staff/households/']").first.click()  # the household waiting in the queue
    assert page.locator("main a.back-link").bounding_box()["height"] >= 44
    page.screenshot(path=str(ARTIFACTS / "issue13-after-household.png"), full_page=True)


WHOLE_WORDS = """panel => {
    // A word split over two lines has more than one rectangle; report the words that have.
    const broken = [], walker = document.createTreeWalker(panel, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode());) {
        for (const m of node.data.matchAll(/[^\\s\\-\u2010\u2013]+/g)) {  // a hyphen may end a line
            const range = document.createRange();
            range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
            const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
            if (lines.size > 1) broken.push(m[0]);
        }
    }
    return broken; }"""


@pytest.mark.parametrize("width", [1280, 1024, 360])
def test_the_need_decision_family_panel_keeps_words_whole(pages, width):
    ids = demo_ids()
    page = pages(viewport={"width": width, "height": 800})
    log_in(page, "staff" + DEMO, DEMO_PASSWORD)
    page.goto(f"/staff/needs/{ids['need']}")
    panel = page.locator("aside.review-aside section.card").first
    expect(panel.locator("dd").first).to_be_visible()
    assert panel.bounding_box()["width"] >= 240
    assert panel.evaluate(WHOLE_WORDS) == []
    for dd in panel.locator("dd").all():
        assert dd.evaluate("e => getComputedStyle(e).overflowWrap") != "anywhere"
        assert dd.bounding_box()["width"] >= 120
    page.goto(f"/staff/households/{ids['household']}")
    assert page.locator(".review-main section.card").first.evaluate(WHOLE_WORDS) == []
