"""Staff deciding the same request at the same moment (or a double click): exactly one decision wins,
the others get a clear 409, and the family is told once. Real threads on a real database."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from tests.conftest import login
from tests.factories import PASSWORD

THREADS = 12


def test_concurrent_decisions_on_one_need(race_app):
    from marketplace.core.roles import Role
    from marketplace.accounts.models import User
    from marketplace.accounts.passwords import hash_password
    from marketplace.core.audit.models import AuditEntry
    from marketplace.core.extensions import db
    from marketplace.families.models import Child, Household, HouseholdStatus
    from marketplace.needs.models import Category, Need, NeedStatus
    from marketplace.notifications.models import Notification
    from marketplace.offices.models import Office

    with race_app.app_context():
        office = Office(code="RACE-1", name="Офис", region_code="almaty-city", settlement="Алматы",
                        address="ул. Абая 1", latitude=43.24, longitude=76.89)
        family = User(email="race-family@example.kz", password_hash=hash_password(PASSWORD), role=Role.FAMILY,
                      full_name="Семья", locale="en")
        staff = [User(email=f"race-staff{i}@example.kz", password_hash=hash_password(PASSWORD), role=Role.STAFF,
                      full_name=f"Staff {i}", office=office) for i in range(2)]
        household = Household(user=family, office=office, status=HouseholdStatus.VERIFIED, phone="+7 701 111 22 33",
                              address="Алматы", latitude=43.24, longitude=76.89, children=[Child(birth_year=2015)])
        need = Need(household=household, office=office, status=NeedStatus.SUBMITTED, category=Category.FOOD,
                    title="Продукты", description="Продукты на месяц", money_goal=1_000_000)
        db.session.add_all([office, family, *staff, household, need])
        db.session.commit()
        need_id = need.id
        staff_users = [type('Login', (), {'email': u.email})() for u in staff]

    clients = []
    for i in range(THREADS):
        client = race_app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        assert login(client, staff_users[i % 2]).status_code == 302
        clients.append(client)
    decisions = ["verify" if i % 3 else "reject" for i in range(THREADS)]
    start = threading.Barrier(THREADS)
    codes: list[int] = [0] * THREADS

    def decide(i: int) -> None:
        start.wait()
        response = clients[i].post(f"/staff/needs/{need_id}/transitions/{decisions[i]}",
                                   data={f"{decisions[i]}-reason": "Не подтверждено документами"})
        codes[i] = response.status_code

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(set(codes)) <= [302, 409], codes  # no 5xx, no lost update
    assert codes.count(302) == 1, codes
    winner = decisions[codes.index(302)]
    with race_app.app_context():
        need = db.session.get(Need, need_id)
        assert need.status is (NeedStatus.VERIFIED if winner == "verify" else NeedStatus.REJECTED)
        decided = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.object_type == "need", AuditEntry.object_id == need_id,
            AuditEntry.action.in_(["need.verify", "need.reject"])))
        told = db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == need.household.user_id))
    assert decided == 1 and told == 1
