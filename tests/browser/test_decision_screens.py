"""Staff read before they decide (issue 13, item 3): on the household and the need decision screens, possible
duplicates, the history and the evidence come before the decision buttons, on a phone and on a desktop."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.demo.seed import DEMO_PASSWORD
from tests.browser.conftest import STRIPE, log_in

STAFF = "staff@demo.social-window.kz"
WAITING = "family13@demo.social-window.kz"  # the demo family waiting in ALA-01 with the phone of another


def waiting_ids() -> tuple[int, int]:
    from marketplace.accounts.models import User
    from marketplace.core.extensions import db
    from marketplace.families.models import Household
    from marketplace.needs.models import Need

    with STRIPE["app"].app_context():
        household = db.session.scalar(select(Household).join(User, Household.user_id == User.id)
                                      .where(User.email == WAITING))
        need = db.session.scalar(select(Need).where(Need.household_id == household.id))
        return household.id, need.id


def top(page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box["y"]


@pytest.mark.parametrize("width", [360, 1280])
def test_duplicates_history_and_evidence_come_before_the_decision(browser, live_server, width):
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="ru-RU", base_url=live_server)
    page = context.new_page()
    try:
        log_in(page, STAFF, DEMO_PASSWORD)
        household_id, need_id = waiting_ids()
        for path in (f"/staff/households/{household_id}", f"/staff/needs/{need_id}"):
            page.goto(path)
            decision = top(page, "#decision")
            duplicates = page.locator("section.card", has=page.locator("h2", has_text="Возможные дубли"))
            assert duplicates.count() == 1, path
            assert "+7 701 000 00 02" in duplicates.inner_text() or "Нургалиева" in duplicates.inner_text(), path
            assert duplicates.bounding_box()["y"] < decision, path
            assert top(page, "#history-heading") < decision, path
            documents = page.locator("section.card h2", has_text="Документы")
            assert documents.count() >= 1 and documents.first.bounding_box()["y"] < decision, path
    finally:
        context.close()
