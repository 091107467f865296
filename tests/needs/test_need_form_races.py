"""A family's new-request form sent several times at the same moment (a double tap on a slow phone, the
browser resending): one request is made, and every send lands on it. Real threads on a database whose
requests really commit (`race_app`); on PostgreSQL the unique form token decides."""
from __future__ import annotations

import re
import threading
import time

from sqlalchemy import func, select

from tests.conftest import ON_POSTGRES, login
from tests.factories import PASSWORD

SENDS = 8


def test_the_same_form_sent_at_once_makes_one_request(race_app):
    from marketplace.core.roles import Role
    from marketplace.accounts.models import User
    from marketplace.accounts.passwords import hash_password
    from marketplace.core.extensions import db
    from marketplace.families.models import Child, Household, HouseholdStatus
    from marketplace.needs.models import Need
    from marketplace.offices.models import Office

    with race_app.app_context():
        office = Office(code="FORM-1", name="Офис", region_code="almaty-city", settlement="Алматы",
                        address="ул. Абая 1", latitude=43.24, longitude=76.89)
        family = User(email="form-family@example.kz", password_hash=hash_password(PASSWORD), role=Role.FAMILY,
                      full_name="Семья")
        household = Household(user=family, office=office, status=HouseholdStatus.VERIFIED, phone="+7 701 1",
                              address="Алматы", latitude=43.24, longitude=76.89, children=[Child(birth_year=2015)])
        db.session.add_all([office, family, household])
        db.session.commit()
        household_id = household.id

    clients = []
    for _ in range(SENDS):  # one browser's tabs, each with its own session of the same family
        client = race_app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        assert login(client, type("Login", (), {"email": "form-family@example.kz"})()).status_code == 302
        clients.append(client)
    page = clients[0].get("/family/needs/new").get_data(as_text=True)
    token = re.search(r'name="token"[^>]*value="([0-9a-f]{32})"', page).group(1)
    form = {"category": "food", "title": "Продукты на месяц", "urgency": "high", "money_goal": "40000",
            "description": "Шестеро детей, отец потерял работу.", "deadline": "", "volunteer_slots": "",
            "volunteer_hours": "", "action": "send", "token": token}
    start = threading.Barrier(SENDS)
    answers: list = [None] * SENDS

    def send(i: int) -> None:
        start.wait()
        for _attempt in range(100):
            response = clients[i].post("/family/needs/new", data=form)
            if response.status_code == 409 and not ON_POSTGRES:  # SQLite busy: the browser sends again
                time.sleep(0.01)
                continue
            answers[i] = (response.status_code, response.location)
            return

    threads = [threading.Thread(target=send, args=(i,)) for i in range(SENDS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert all(answer is not None for answer in answers), answers
    assert {code for code, _ in answers} <= {302, 303}, answers
    with race_app.app_context():
        needs = db.session.scalars(select(Need).where(Need.household_id == household_id)).all()
        assert len(needs) == 1
        assert {location for _, location in answers} == {f"/family/needs/{needs[0].id}"}
        assert db.session.scalar(select(func.count()).select_from(Need)) == 1
