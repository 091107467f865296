"""A reason the site writes itself and keeps on an object (a request's deadline passed, a pledge the office
cancelled) reaches the family and the patron in their own language, on the page and in the e-mail; a reason
a person typed is shown as typed."""
from __future__ import annotations

from datetime import date

import pytest

from marketplace.core.extensions import db
from marketplace.notifications import notify
from tests.conftest import login
from marketplace.core.roles import Role
from tests.factories import NeedFactory, UserFactory

EXPIRED = {"ru": "Срок (1 сентября 2026) прошёл", "kk": "Мерзімі (2026 жылғы 1 қыркүйек) өтті",
           "en": "The deadline, 1 September 2026, passed"}


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_staff_read_why_a_request_expired_in_their_language(app, db_session, language):
    need = NeedFactory(open=True, deadline=date(2026, 9, 1))
    staff = UserFactory(role=Role.STAFF, office=need.office, locale=language)
    db_session.commit()
    assert app.test_cli_runner().invoke(args=["expire-needs"]).exit_code == 0
    db_session.expire_all()
    assert need.status_reason == "deadline 2026-09-01 passed"  # kept as the code wrote it

    client = app.test_client()
    login(client, staff)
    html = client.get(f"/staff/needs/{need.id}").get_data(as_text=True)
    assert "deadline 2026-09-01" not in html and "2026-09-01" not in html
    reason_panel = html.split('class="flash flash-warning" role="status">')[-1].split("</div>")[0]
    assert EXPIRED[language] in reason_panel


@pytest.mark.parametrize("reason, ru", [
    ("cancelled by the office", "Отменено приёмной"),
    ("Перевод так и не пришёл", "Перевод так и не пришёл"),  # typed by staff: shown as typed
])
def test_the_patron_reads_why_a_pledge_was_cancelled_in_russian(app, db_session, patron_user, outbox, reason, ru):
    patron_user.locale = "ru"
    db_session.commit()
    with app.test_request_context():
        notify(patron_user, "pledge.cancelled", params={"amount": "10 000 ₸", "title": "Зимняя одежда",
                                                         "receipt": "", "reason": reason})
    db.session.commit()
    [mail] = outbox
    assert f"отменено: {ru}" in mail.body and "cancelled by the office" not in mail.body

    client = app.test_client()
    login(client, patron_user)
    page = client.get("/notifications/").get_data(as_text=True)
    assert f"отменено: {ru}" in page
