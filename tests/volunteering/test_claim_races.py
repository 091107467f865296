"""50 volunteers claim the last slot of a need at the same moment: exactly one gets it, the others are
told it is already taken, nobody sees a 5xx, and the need never has more claims than slots."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from tests.conftest import ON_POSTGRES, login
from tests.factories import PASSWORD

VOLUNTEERS = 50


def test_fifty_volunteers_race_for_the_last_slot(race_app):
    from marketplace.core.roles import Role
    from marketplace.accounts.models import User
    from marketplace.accounts.passwords import hash_password
    from marketplace.core.extensions import db
    from marketplace.families.models import Child, Household, HouseholdStatus
    from marketplace.needs.models import Category, Need, NeedStatus
    from marketplace.offices.models import Office
    from marketplace.volunteering.models import Claim, ClaimStatus, VolunteerProfile

    with race_app.app_context():
        secret = hash_password(PASSWORD)
        office = Office(code="CLAIM-1", name="Офис", region_code="almaty-city", settlement="Алматы",
                        address="ул. Абая 1", latitude=43.24, longitude=76.89)
        family = User(email="claims-family@example.kz", password_hash=secret, role=Role.FAMILY, full_name="Семья")
        household = Household(user=family, office=office, status=HouseholdStatus.VERIFIED, phone="+7 701 1",
                              address="Алматы", latitude=43.24, longitude=76.89, children=[Child(birth_year=2015)])
        need = Need(household=household, office=office, status=NeedStatus.VERIFIED, category=Category.TRANSPORT,
                    title="Довезти стиральную машину", description="Нужен волонтёр с машиной",
                    volunteer_slots=2, slots_filled=1, volunteer_hours=2)  # one place left
        volunteers = [User(email=f"v{i}@example.kz", password_hash=secret, role=Role.VOLUNTEER, full_name=f"V {i}")
                      for i in range(VOLUNTEERS)]
        db.session.add_all([office, family, household, need, *volunteers])
        db.session.flush()
        db.session.add_all([VolunteerProfile(user_id=v.id, birth_year=1995, latitude=43.25, longitude=76.9,
                                             radius_km=20) for v in volunteers])
        db.session.commit()
        need_id, emails = need.id, [v.email for v in volunteers]

    clients = []
    for email in emails:
        client = race_app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        assert login(client, type("Login", (), {"email": email})()).status_code == 302
        clients.append(client)
    start = threading.Barrier(VOLUNTEERS)
    answers: list[tuple[int, dict]] = [(0, {})] * VOLUNTEERS

    def claim(i: int) -> None:
        start.wait()
        response = clients[i].post(f"/api/v1/needs/{need_id}/claims")
        answers[i] = (response.status_code, response.get_json(silent=True) or {})

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(VOLUNTEERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    codes = [code for code, _body in answers]
    assert all(code < 500 for code in codes), codes
    assert codes.count(201) == 1, codes
    refused = [body for code, body in answers if code != 201]
    assert all(code == 409 for code in codes if code != 201), codes
    # Each refusal says why: the place is taken (or, on SQLite, the database was busy a moment: try again).
    assert all(body.get("error", {}).get("code") == "already_taken" or body.get("error", {}).get("status") == 409
               for body in refused)
    taken = sum(1 for body in refused if body.get("error", {}).get("code") == "already_taken")
    assert taken >= 1
    if ON_POSTGRES:  # row locks: every loser waits for the winner and is then told the place is taken
        assert taken == VOLUNTEERS - 1
    with race_app.app_context():
        need = db.session.get(Need, need_id)
        claims = db.session.scalar(select(func.count()).select_from(Claim).where(
            Claim.need_id == need_id, Claim.status == ClaimStatus.CLAIMED))
        assert (need.slots_filled, claims) == (2, 1)
        assert need.status is NeedStatus.IN_PROGRESS  # every place taken
