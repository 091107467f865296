"""A pledge is named by its number (SW-2026-0000005) wherever people read of it: its page, its receipt and the
audit log, which links it to the pledge's page for staff and admins; a receipt asked for before the money
arrived is a friendly word on the pledge's page, not a bare 404."""
from __future__ import annotations

import re

import pytest

from marketplace.core import audit
from marketplace.core.extensions import db
from marketplace.core.roles import Role
from tests.factories import NeedFactory, PledgeFactory, UserFactory


def html_of(response) -> str:
    return response.get_data(as_text=True)


def speak(client, language: str) -> None:
    client.post("/language", data={"language": language, "next": "/"})


@pytest.fixture
def paid(db_session):
    need = NeedFactory(open=True, money_goal=5_000_000)
    # Another pledge first, so that the pledge's id and its number's last digits differ from a need's id.
    PledgeFactory(need=need, awaiting_transfer=True)
    pledge = PledgeFactory(need=need, paid=True, provider=None, checkout_session_id=None)
    pledge.receipt_number = pledge.number
    db_session.commit()
    return pledge


def test_the_pledge_page_and_its_receipt_are_titled_by_its_number(client, login_as, paid):
    login_as(paid.patron)
    speak(client, "ru")
    page = html_of(client.get(f"/pledges/{paid.id}"))
    assert f"<title>Пожертвование {paid.number}" in page
    assert f'<h1 class="page-title">Пожертвование <span class="nowrap">{paid.number}</span></h1>' in page
    assert f"Пожертвование № {paid.id}" not in page
    receipt = html_of(client.get(f"/pledges/{paid.id}/receipt"))
    # The number never breaks at its hyphens ("SW-" / "2026-0000005").
    assert f'Квитанция № <span class="nowrap">{paid.number}</span></h1>' in receipt
    assert f"{paid.number} от " in receipt and f"Пожертвование {paid.number}</a>" in receipt


@pytest.mark.parametrize("role", ["admin", "staff"])
def test_the_audit_log_names_a_pledge_by_its_number_and_links_its_page(client, login_as, paid, role):
    with client.application.test_request_context():
        audit.record("pledge.confirm_transfer", paid, office_id=paid.office_id, from_state="awaiting_transfer",
                     to_state="paid")
    db.session.commit()
    reader = UserFactory(admin=True) if role == "admin" else UserFactory(role=Role.STAFF, office_id=paid.office_id)
    login_as(reader)
    speak(client, "ru")
    page = html_of(client.get("/admin/audit?object_type=pledge"))
    assert f'<a href="/pledges/{paid.id}">Пожертвование {paid.number}</a>' in page
    assert not re.search(rf"Пожертвование № ?{paid.id}\b", page)
    assert client.get(f"/pledges/{paid.id}").status_code == 200  # the link opens for this reader


def test_a_receipt_before_the_money_arrived_is_a_word_on_the_pledges_page(client, login_as, db_session):
    waiting = PledgeFactory(need=NeedFactory(open=True, money_goal=5_000_000), awaiting_transfer=True)
    login_as(waiting.patron)
    speak(client, "ru")
    response = client.get(f"/pledges/{waiting.id}/receipt")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/pledges/{waiting.id}")
    page = html_of(client.get(response.headers["Location"]))
    assert "Квитанция выдаётся, когда деньги поступят." in page
