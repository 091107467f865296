"""Staff and families handle pledges: transfers confirmed, goods received, refunds by hand, proof of delivery."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from marketplace.core.roles import Role
from marketplace.core.audit.models import AuditEntry
from marketplace.core.extensions import db
from marketplace.files import path_of
from marketplace.files.models import StoredFile
from marketplace.needs.models import NeedStatus
from marketplace.notifications.models import Notification
from marketplace.pledges import services
from marketplace.pledges.models import GoodsDelivery, PledgeStatus
from tests.conftest import login
from tests.factories import (
    HouseholdFactory, NeedFactory, NeedItemFactory, OfficeFactory, StoredFileFactory, UserFactory,
)
from tests.families.test_files import GPS_IFD, jpeg_with_gps
from tests.pledges.test_pledge_support import card, fake_stripe, paid_card_pledge, post_event  # noqa: F401  (fixtures)



def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def need(db_session):
    need = NeedFactory(open=True, money_goal=5_000_000)  # 50 000 ₸
    NeedItemFactory(need=need, name="Рюкзак", quantity=3)
    db_session.expire(need, ["items"])
    return need


@pytest.fixture
def staff(db_session, need):
    return UserFactory(role=Role.STAFF, office=need.office, email="pledge-staff@example.kz")


def pledge_money(app, db_session, need, patron, amount=1_000_000, **kwargs):
    with app.test_request_context():
        pledge = services.pledge_money(need, patron, amount=amount, **kwargs)
    db_session.commit()
    return pledge


def pledge_goods(app, db_session, need, patron, quantity=2, **kwargs):
    kwargs.setdefault("delivery", GoodsDelivery.OFFICE)
    with app.test_request_context():
        pledge = services.pledge_goods(need, patron, item_id=need.items[0].id, quantity=quantity, **kwargs)
    db_session.commit()
    return pledge


def notifications_of(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def confirm(client, pledge):
    return client.post(f"/staff/pledges/{pledge.id}/confirm_transfer?tab=transfers")


# --- transfers -------------------------------------------------------------------------------------


def test_staff_confirm_a_transfer_and_the_patron_gets_a_receipt(app, client, db_session, need, staff, patron_user):
    pledge = pledge_money(app, db_session, need, patron_user, amount=1_500_000)
    assert pledge.status is PledgeStatus.AWAITING_TRANSFER and need.money_reserved == 1_500_000
    login(client, staff)
    page = text_of(client.get("/staff/pledges?tab=transfers"))
    assert pledge.number in page and patron_user.display_name in page and need.title in page
    assert f"/staff/pledges/{pledge.id}/confirm_transfer" in page

    response = confirm(client, pledge)
    assert response.status_code == 303 and "tab=transfers" in response.headers["Location"]
    db_session.expire_all()
    assert pledge.status is PledgeStatus.PAID and pledge.receipt_number and pledge.paid_at is not None
    assert (need.money_raised, need.money_reserved) == (1_500_000, 0)
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "pledge.confirm_transfer",
                                                       AuditEntry.object_id == pledge.id))
    assert entry.actor_id == staff.id and (entry.from_state, entry.to_state) == ("awaiting_transfer", "paid")
    [notice] = [n for n in notifications_of(patron_user) if n.kind == "pledge.paid"]
    assert notice.params["receipt"] == pledge.receipt_number
    followed = text_of(client.get(response.headers["Location"]))
    assert "The payment is confirmed" in followed and "The patron has been told." in followed


def test_a_double_click_on_confirm_is_a_clear_409(app, client, db_session, need, staff, patron_user):
    pledge = pledge_money(app, db_session, need, patron_user)
    login(client, staff)
    assert confirm(client, pledge).status_code == 303
    again = confirm(client, pledge)
    assert again.status_code == 409
    assert "the pledge is “Paid”" in text_of(again) and "Nothing was changed." in text_of(again)
    db_session.expire_all()
    assert need.money_raised == 1_000_000 and need.money_reserved == 0
    assert len([n for n in notifications_of(patron_user) if n.kind == "pledge.paid"]) == 1


def test_staff_of_another_office_see_nothing_and_change_nothing(app, client, db_session, need, patron_user):
    pledge = pledge_money(app, db_session, need, patron_user)
    elsewhere = UserFactory(role=Role.STAFF, office=OfficeFactory(), email="elsewhere@example.kz")
    login(client, elsewhere)
    assert pledge.number not in text_of(client.get("/staff/pledges?tab=transfers"))
    assert client.get(f"/staff/pledges?need_id={need.id}").status_code == 403
    for action in ("confirm_transfer", "cancel"):
        assert client.post(f"/staff/pledges/{pledge.id}/{action}", data={"reason": "x"}).status_code == 403
    db_session.expire_all()
    assert pledge.status is PledgeStatus.AWAITING_TRANSFER and need.money_reserved == 1_000_000
    assert need.money_raised == 0


@pytest.mark.parametrize("role", ["patron", "family", "volunteer"])
def test_only_staff_and_admins_open_the_list(client, db_session, users, role):
    login(client, users[role])
    assert client.get("/staff/pledges").status_code == 403


def test_cancel_needs_a_reason_and_releases_the_reservation(app, client, db_session, need, staff, patron_user):
    pledge = pledge_money(app, db_session, need, patron_user, amount=2_000_000)
    login(client, staff)
    refused = client.post(f"/staff/pledges/{pledge.id}/cancel", data={"reason": "  "})
    assert refused.status_code == 400 and "Please give a reason" in text_of(refused)
    db_session.expire_all()
    assert pledge.status is PledgeStatus.AWAITING_TRANSFER and need.money_reserved == 2_000_000

    done = client.post(f"/staff/pledges/{pledge.id}/cancel", data={"reason": "Перевод так и не пришёл"})
    assert done.status_code == 303
    db_session.expire_all()
    assert pledge.status is PledgeStatus.CANCELLED and pledge.status_reason == "Перевод так и не пришёл"
    assert (need.money_raised, need.money_reserved) == (0, 0)
    [notice] = [n for n in notifications_of(patron_user) if n.kind == "pledge.cancelled"]
    assert notice.params["reason"] == "Перевод так и не пришёл"


def test_an_unknown_action_is_404_and_a_wrong_one_409(app, client, db_session, need, staff, patron_user):
    pledge = pledge_money(app, db_session, need, patron_user)
    login(client, staff)
    assert client.post(f"/staff/pledges/{pledge.id}/pay").status_code == 404
    assert client.post(f"/staff/pledges/{pledge.id}/deliver").status_code == 409  # money is not "received" goods
    assert client.post(f"/staff/pledges/{pledge.id}/refunded").status_code == 409  # nothing was paid yet
    assert client.post("/staff/pledges/987654/confirm_transfer").status_code == 404
    db_session.expire_all()
    assert pledge.status is PledgeStatus.AWAITING_TRANSFER


# --- goods -----------------------------------------------------------------------------------------


def test_staff_confirm_goods_received(app, client, db_session, need, staff, patron_user):
    pledge = pledge_goods(app, db_session, need, patron_user, quantity=2, delivery=GoodsDelivery.VOLUNTEER)
    login(client, staff)
    page = text_of(client.get("/staff/pledges?tab=goods"))
    assert "Рюкзак" in page and "Carried by a volunteer" in page
    assert client.post(f"/staff/pledges/{pledge.id}/deliver?tab=goods").status_code == 303
    db_session.expire_all()
    item = need.items[0]
    assert pledge.status is PledgeStatus.DELIVERED and (item.quantity_pledged, item.quantity_received) == (2, 2)
    assert [n.kind for n in notifications_of(patron_user)] == ["pledge.delivered"]
    assert client.post(f"/staff/pledges/{pledge.id}/deliver").status_code == 409


def test_the_family_sees_goods_pledges_and_confirms_them(app, client, db_session, need, patron_user):
    named = pledge_goods(app, db_session, need, patron_user, quantity=1)
    shy_patron = UserFactory(patron=True, full_name="Скрытный Меценат", email="shy@example.kz")
    shy = pledge_goods(app, db_session, need, shy_patron, quantity=1, anonymous=True)
    money = pledge_money(app, db_session, need, shy_patron, amount=500_000, anonymous=True)
    login(client, need.household.user)
    page = text_of(client.get(f"/family/needs/{need.id}"))
    assert patron_user.display_name in page and "A patron" in page
    assert "Скрытный Меценат" not in page and "shy@example.kz" not in page and patron_user.email not in page
    assert money.number not in page
    assert "5,000\u00a0₸ more is promised and not paid yet." in page  # money shows as totals only
    assert f"/family/pledges/{shy.id}/received" in page and f"/family/pledges/{named.id}/received" in page

    response = client.post(f"/family/pledges/{shy.id}/received")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/family/needs/{need.id}")
    db_session.expire_all()
    assert shy.status is PledgeStatus.DELIVERED and need.items[0].quantity_received == 1
    assert named.status is PledgeStatus.PENDING
    assert [n.kind for n in notifications_of(shy_patron)] == ["pledge.delivered"]
    again = client.post(f"/family/pledges/{shy.id}/received")
    assert again.status_code == 409 and "already recorded" in text_of(again)


def test_another_family_cannot_confirm_goods(app, client, db_session, need, patron_user):
    pledge = pledge_goods(app, db_session, need, patron_user)
    login(client, HouseholdFactory(office=need.office).user)
    assert client.post(f"/family/pledges/{pledge.id}/received").status_code == 403
    login(client, patron_user)
    assert client.post(f"/family/pledges/{pledge.id}/received").status_code == 403
    db_session.expire_all()
    assert pledge.status is PledgeStatus.PENDING


# --- refunds by hand ---------------------------------------------------------------------------------


def test_a_paid_transfer_is_refunded_by_hand(app, client, db_session, need, staff, patron_user):
    pledge = pledge_money(app, db_session, need, patron_user, amount=1_000_000)
    login(client, staff)
    confirm(client, pledge)
    db_session.expire_all()
    assert need.money_raised == 1_000_000

    refused = client.post(f"/staff/pledges/{pledge.id}/refund?tab=recent", data={"reason": ""})
    assert refused.status_code == 400
    db_session.expire_all()
    assert pledge.status is PledgeStatus.PAID

    asked = client.post(f"/staff/pledges/{pledge.id}/refund?tab=recent", data={"reason": "Семья отказалась"})
    assert asked.status_code == 303
    db_session.expire_all()
    assert pledge.status is PledgeStatus.REFUND_PENDING
    refunds = text_of(client.get("/staff/pledges?tab=refunds"))
    assert pledge.number in refunds and patron_user.email in refunds
    assert f"/staff/pledges/{pledge.id}/refunded" in refunds

    returned = client.post(f"/staff/pledges/{pledge.id}/refunded?tab=refunds")
    assert returned.status_code == 303
    db_session.expire_all()
    assert pledge.status is PledgeStatus.REFUNDED and pledge.closed_at is not None
    assert (need.money_raised, need.money_reserved) == (0, 0)
    assert "pledge.refunded" in [n.kind for n in notifications_of(patron_user)]
    assert pledge.number not in text_of(client.get("/staff/pledges?tab=refunds"))
    assert client.post(f"/staff/pledges/{pledge.id}/refunded").status_code == 409


# --- the list ----------------------------------------------------------------------------------------


def test_the_list_pages_and_an_admin_filters_by_office(app, client, db_session, need, patron_user, admin_user,
                                                      monkeypatch):
    first = pledge_money(app, db_session, need, patron_user, amount=100_000)
    second = pledge_money(app, db_session, need, patron_user, amount=200_000)
    other_need = NeedFactory(open=True)
    elsewhere = pledge_money(app, db_session, other_need, patron_user, amount=300_000)
    monkeypatch.setitem(app.config, "PLEDGES_PER_PAGE", 1)
    login(client, admin_user)
    everything = text_of(client.get("/staff/pledges?tab=transfers"))
    assert "Page 1 of 3" in everything
    assert first.number in everything  # the longest waiting first
    one_office = text_of(client.get(f"/staff/pledges?tab=transfers&office_id={need.office_id}&page=2"))
    assert second.number in one_office and "Page 2 of 2" in one_office
    assert elsewhere.number not in one_office
    assert client.get("/staff/pledges?page=99999999999").status_code == 200


def test_the_need_screen_sums_up_its_pledges(app, client, db_session, need, staff, patron_user):
    money = pledge_money(app, db_session, need, patron_user, amount=700_000)
    goods = pledge_goods(app, db_session, need, patron_user, quantity=2)
    elsewhere = pledge_money(app, db_session, NeedFactory(open=True, office=need.office), patron_user)
    login(client, staff)
    page = text_of(client.get(f"/staff/needs/{need.id}"))
    assert "7,000" in page and "50,000" in page  # promised, and the goal
    assert f"/staff/pledges?need_id={need.id}" in page
    listed = text_of(client.get(f"/staff/pledges?need_id={need.id}"))  # the first tab with work waiting
    assert money.number in listed and elsewhere.number not in listed
    assert "Goods on their way (1)" in listed
    assert f"/staff/pledges/{goods.id}/deliver" in text_of(client.get(f"/staff/pledges?need_id={need.id}&tab=goods"))


# --- proof of delivery --------------------------------------------------------------------------------


def fulfil(client, need, photo: tuple[str, bytes] | None):
    data = {"fulfil-reason": "Рюкзаки и форма переданы семье в офисе"}
    if photo is not None:
        data["fulfil-photo"] = (io.BytesIO(photo[1]), photo[0])
    return client.post(f"/staff/needs/{need.id}/transitions/fulfil", data=data, content_type="multipart/form-data")


def test_the_outcome_photo_is_proof_for_the_patrons_who_gave_only(app, client, db_session, need, staff,
                                                                 patron_user):
    paid = pledge_money(app, db_session, need, patron_user)
    waiting_patron = UserFactory(patron=True, email="still-waiting@example.kz")
    pledge_money(app, db_session, need, waiting_patron, amount=200_000)
    evidence = StoredFileFactory(need_photo=True, need=need, stored_name="evidence.png", original_name="справка.png",
                                 content_type="image/png", size=1, sha256="0")
    db_session.commit()
    login(client, staff)
    confirm(client, paid)
    assert fulfil(client, need, ("photo.jpg", jpeg_with_gps())).status_code == 302
    db_session.expire_all()
    assert need.status is NeedStatus.FULFILLED and need.outcome_photo_id is not None
    assert paid.status is PledgeStatus.DELIVERED
    photo = db_session.get(StoredFile, need.outcome_photo_id)
    assert photo.need_id == need.id and photo.content_type == "image/jpeg"
    assert f"/files/{photo.id}" in text_of(client.get(f"/staff/needs/{need.id}"))

    client.post("/logout")
    assert client.get(f"/files/{photo.id}").headers["Location"].startswith("/login")
    login(client, waiting_patron)
    assert client.get(f"/files/{photo.id}").status_code == 403
    login(client, UserFactory(patron=True, email="stranger@example.kz"))
    assert client.get(f"/files/{photo.id}").status_code == 403

    login(client, patron_user)
    served = client.get(f"/files/{photo.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.data == path_of(photo).read_bytes()
    exif = Image.open(io.BytesIO(served.data)).getexif()
    assert len(exif) == 0 and not exif.get_ifd(GPS_IFD)
    read = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "household.read_personal",
                                                      AuditEntry.actor_id == patron_user.id))
    assert read is not None and read.details == {"purpose": "outcome_photo"}
    assert client.get(f"/files/{evidence.id}").status_code == 403  # the family's evidence stays private


def test_fulfil_without_a_photo_still_works_and_a_pdf_is_refused(app, client, db_session, need, staff):
    login(client, staff)
    refused = fulfil(client, need, ("proof.pdf", b"%PDF-1.4\n%%EOF\n"))
    assert refused.status_code == 422 and "Only a photo" in text_of(refused)
    db_session.expire_all()
    assert need.status is NeedStatus.VERIFIED and need.outcome_photo_id is None
    assert fulfil(client, need, None).status_code == 302
    db_session.expire_all()
    assert need.status is NeedStatus.FULFILLED and need.outcome_photo_id is None


def test_a_paid_card_pledge_is_refunded_through_stripe_not_by_hand(app, client, db_session, card, need, staff,
                                                                    patron_user):
    with app.test_request_context():
        pledge = paid_card_pledge(client, card, need, patron_user, 900_000)
    db_session.expire_all()
    assert pledge.status is PledgeStatus.PAID and need.money_raised == 900_000
    login(client, staff)
    recent = text_of(client.get("/staff/pledges?tab=recent"))
    assert "by card" in recent and f"/staff/pledges/{pledge.id}/refund" in recent
    assert client.post(f"/staff/pledges/{pledge.id}/confirm_transfer").status_code == 409  # no transfer to confirm

    assert client.post(f"/staff/pledges/{pledge.id}/refund", data={"reason": "Просьба отменена"}).status_code == 303
    db_session.expire_all()
    assert pledge.status is PledgeStatus.REFUND_PENDING
    [refund] = card.refunds.values()
    assert refund["amount"] == 900_000
    assert pledge.number not in text_of(client.get("/staff/pledges?tab=refunds"))  # not by hand
    assert client.post(f"/staff/pledges/{pledge.id}/refunded").status_code == 409  # Stripe reports it

    for event in card.events_of_type("charge.refunded"):
        assert post_event(client, card, event).status_code == 200
    db_session.expire_all()
    assert pledge.status is PledgeStatus.REFUNDED and need.money_raised == 0


def test_staff_confirming_and_cancelling_one_transfer_at_once_change_it_once(race_app):
    """Real threads on a real database: one click wins, the others get a 409, the counters move once."""
    import threading

    from marketplace.accounts.models import User
    from marketplace.accounts.passwords import hash_password
    from marketplace.families.models import Child, Household, HouseholdStatus
    from marketplace.needs.models import Category, Need
    from marketplace.offices.models import Office
    from marketplace.pledges.models import Pledge
    from tests.factories import PASSWORD

    threads_count = 10
    with race_app.app_context():
        office = Office(code="RACE-P", name="Офис", region_code="almaty-city", settlement="Алматы",
                        address="ул. Абая 1", latitude=43.24, longitude=76.89)
        family = User(email="race-family@example.kz", password_hash=hash_password(PASSWORD), role=Role.FAMILY,
                      full_name="Семья")
        patron = User(email="race-patron@example.kz", password_hash=hash_password(PASSWORD), role=Role.PATRON,
                      full_name="Меценат")
        staff = [User(email=f"race-staff{i}@example.kz", password_hash=hash_password(PASSWORD), role=Role.STAFF,
                      full_name=f"Staff {i}", office=office) for i in range(2)]
        household = Household(user=family, office=office, status=HouseholdStatus.VERIFIED, phone="+7 701 111 22 33",
                              address="Алматы", latitude=43.24, longitude=76.89, children=[Child(birth_year=2015)])
        need = Need(household=household, office=office, status=NeedStatus.VERIFIED, category=Category.FOOD,
                    title="Продукты", description="Продукты на месяц", money_goal=1_000_000)
        db.session.add_all([office, family, patron, *staff, household, need])
        db.session.commit()
        with race_app.test_request_context():
            pledge = services.pledge_money(need, patron, amount=400_000)
        db.session.commit()
        need_id, pledge_id, emails = need.id, pledge.id, [u.email for u in staff]

    clients = []
    for i in range(threads_count):
        client = race_app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        assert client.post("/login", data={"email": emails[i % 2], "password": PASSWORD}).status_code == 302
        clients.append(client)
    actions = ["confirm_transfer" if i % 3 else "cancel" for i in range(threads_count)]
    start = threading.Barrier(threads_count)
    codes = [0] * threads_count

    def press(i: int) -> None:
        start.wait()
        codes[i] = clients[i].post(f"/staff/pledges/{pledge_id}/{actions[i]}",
                                   data={"reason": "Перевод не найден"}).status_code

    workers = [threading.Thread(target=press, args=(i,)) for i in range(threads_count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert sorted(set(codes)) <= [303, 409], codes
    assert codes.count(303) == 1, codes
    winner = actions[codes.index(303)]
    with race_app.app_context():
        pledge, need = db.session.get(Pledge, pledge_id), db.session.get(Need, need_id)
        if winner == "confirm_transfer":
            assert pledge.status is PledgeStatus.PAID and (need.money_raised, need.money_reserved) == (400_000, 0)
        else:
            assert pledge.status is PledgeStatus.CANCELLED and (need.money_raised, need.money_reserved) == (0, 0)
        changes = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.object_type == "pledge", AuditEntry.object_id == pledge_id,
            AuditEntry.action.in_(["pledge.confirm_transfer", "pledge.cancel"])))
        told = db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == pledge.patron_id))
    assert changes == 1 and told == 1
