"""The pledge lists as the new-user walk at 360 px read them: card tables (no scroll box), a reason form that the
server checks and answers in the staff member's language, and "changed 2 minutes ago" in words."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.core.dbtypes import utcnow
from marketplace.core.extensions import db
from marketplace.core.roles import Role
from marketplace.pledges.models import Pledge, PledgeStatus
from tests.conftest import login
from tests.factories import NeedFactory, PledgeFactory, UserFactory


def html_of(response) -> str:
    return response.get_data(as_text=True)


def words_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html_of(response)))


@pytest.fixture
def need(db_session):
    return NeedFactory(open=True, money_goal=5_000_000)


@pytest.fixture
def staff(db_session, need):
    user = UserFactory(role=Role.STAFF, office=need.office, email="walk-staff@example.kz", locale="ru")
    return user


@pytest.fixture
def transfer(db_session, need):
    return PledgeFactory(need=need, awaiting_transfer=True, amount=1_000_000)


def test_the_patrons_and_the_staffs_pledge_lists_are_card_tables(client, db_session, need, staff, transfer):
    login(client, staff)
    page = html_of(client.get("/staff/pledges?tab=transfers"))
    assert 'class="table-wrap"' not in page and 'class="table table-cards"' in page
    row = page[page.index(transfer.number):]
    row = row[:row.index("</tr>")]
    assert row.count("data-label=") == 6  # every cell but the card's title (the reference)
    assert f"/staff/pledges/{transfer.id}/confirm_transfer" in row

    login(client, transfer.patron)
    mine = html_of(client.get("/patron/"))
    assert 'class="table-wrap"' not in mine and 'class="table table-cards"' in mine
    row = mine[mine.index(transfer.number):]
    assert row[:row.index("</tr>")].count("data-label=") == 4


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001])
def test_a_cancel_without_a_good_reason_comes_back_with_the_error_summary_in_russian(
        client, db_session, need, staff, transfer, reason):
    login(client, staff)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"
    form = html_of(client.get("/staff/pledges?tab=transfers"))
    cancel_form = form[form.index(f"/staff/pledges/{transfer.id}/cancel"):]
    assert cancel_form[:cancel_form.index(">")].count("novalidate") == 1  # no pop-up in the browser's language

    refused = client.post(f"/staff/pledges/{transfer.id}/cancel?tab=transfers", data={"reason": reason})
    assert refused.status_code == 400
    page = html_of(refused)
    field_id = f"reason-cancel-{transfer.id}"
    summary = page[page.index('class="error-summary"'):]
    summary = summary[:summary.index("</div>")]
    assert "Пожалуйста, исправьте:" in summary and f'href="#{field_id}"' in summary
    expected = "Не больше 1000 символов." if reason.strip() else "Укажите причину: её сообщат меценату."
    assert expected in summary, summary
    assert re.search(rf'<textarea[^>]*id="{field_id}"[^>]*aria-invalid="true"', page) or \
        re.search(rf'<textarea[^>]*aria-invalid="true"[^>]*id="{field_id}"', page)
    assert f'<p class="field-error" id="{field_id}-error">' in page
    # The form it came back in is open, with its summary first: the page's script focuses the summary.
    assert re.search(r'<details class="stack" open>\s*<summary[^>]*>[^<]*</summary>\s*<form[^>]*novalidate>\s*'
                     r'<div class="error-summary"', page)
    db.session.expire_all()
    assert db.session.get(Pledge, transfer.id).status is PledgeStatus.AWAITING_TRANSFER


def test_the_recent_tab_says_how_long_ago_in_the_readers_language(client, db_session, need, staff):
    changed = utcnow() - timedelta(minutes=2, seconds=10)
    PledgeFactory(need=need, cancelled=True, created_at=changed - timedelta(days=1), closed_at=changed)
    login(client, staff)
    for language, words in [("ru", "2 минуты назад"), ("kk", "2 минут бұрын"), ("en", "2 minutes ago")]:
        client.post("/language", data={"language": language})
        page = words_of(client.get("/staff/pledges?tab=recent"))
        assert words in page, (language, page[:3000])


def test_a_pasted_payment_purpose_wraps_between_its_words_and_keeps_the_number_whole(client, db_session, need,
                                                                                    staff, transfer):
    """A reference pasted from a bank statement may be wider than a phone: the heading naming it wraps between its
    words (no sideways scrolling), and the pledge's number in it never splits at its hyphens."""
    login(client, staff)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"
    page = html_of(client.get("/staff/pledges", query_string={"reference": f"Благотворительная помощь, {transfer.number}"}))
    assert (f'<span class="nowrap">Благотворительная</span> <span class="nowrap">помощь,</span> '
            f'<span class="nowrap">{transfer.number}</span>') in page
