"""The pledge services, one request at a time: reservations in integer tiyn and the reasons for every
refusal; the offline (transfer) flow; goods; every change through the pledge's state machine and in the
audit log; and what a cancelled, expired or fulfilled need does to its pledges (refund through the fake
Stripe, redirect to a similar need of the same office, delivery)."""
from __future__ import annotations

import json

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from marketplace.core.money import format_money as money
from marketplace.core.lifecycle import IllegalTransition, ReasonRequired
from marketplace.needs.lifecycle import NEED_LIFECYCLE
from marketplace.needs.models import Category, NeedStatus
from marketplace.pledges import services
from marketplace.pledges.models import GoodsDelivery, PaymentProvider, Pledge, PledgeKind, PledgeStatus as S
from marketplace.pledges.services import PledgeRefused
from marketplace.pledges.sweep import sweep
from tests.factories import NeedItemFactory, UserFactory
from tests.pledges.test_pledge_support import (  # noqa: F401  (fixtures)
    GOAL, audits, card, card_pledge, counters, expected_counters, fake_stripe, notifications, open_need,
    paid_card_pledge, patron, post_event, requests_to, rows,
)


def refused(call) -> PledgeRefused:
    """Run `call`, which must be refused; the refusal, read in English."""
    with force_locale("en"), pytest.raises(PledgeRefused) as caught:
        call()
    return caught.value


# --- reserving money ------------------------------------------------------------------------------

def test_a_money_pledge_reserves_its_amount_in_tiyn(db_session):
    need, who = open_need(), patron()
    pledge = services.pledge_money(need, who, amount=1_234_56)  # 1 234,56 ₸
    db_session.commit()

    assert isinstance(pledge.amount, int) and pledge.amount == 123_456
    assert (pledge.kind, pledge.status, pledge.provider) == (PledgeKind.MONEY, S.AWAITING_TRANSFER,
                                                             PaymentProvider.OFFLINE)  # no Stripe key: no cards
    assert counters(need) == (123_456, 0) == expected_counters(need.id)
    assert need.money_open == GOAL - 123_456
    assert audits(pledge.id) == ["pledge.create"]


def test_refusals_say_why_and_change_nothing(db_session):
    need, first, second = open_need(money_goal=1_000_000), patron(), patron()
    services.pledge_money(need, first, amount=600_000)
    db_session.commit()
    before = rows()

    too_small = refused(lambda: services.pledge_money(need, second, amount=99_99))
    assert too_small.code == "too_small" and "smallest" in too_small.message

    over = refused(lambda: services.pledge_money(need, second, amount=400_001))
    with force_locale("en"):
        assert over.code == "over_goal"
        assert over.message == f"Only {money(400_000)} is still missing; please pledge at most that."
    assert rows() == before

    exactly = services.pledge_money(need, second, amount=400_000)  # the last tiyn fits
    db_session.commit()
    assert counters(need) == (1_000_000, 0) and need.money_open == 0

    covered = refused(lambda: services.pledge_money(need, patron(), amount=100_00))
    assert covered.code == "fully_covered" and "fully covered" in covered.message
    more_than_the_goal = refused(lambda: services.pledge_money(need, patron(), amount=1_000_001))
    assert more_than_the_goal.code == "fully_covered", more_than_the_goal.message  # not "Only 0 ₸ is missing"
    assert exactly.status is S.AWAITING_TRANSFER


def test_more_than_the_whole_goal_is_told_what_is_missing_now(db_session):
    need, first = open_need(money_goal=1_000_000), patron()
    services.pledge_money(need, first, amount=300_000)
    db_session.commit()
    from sqlalchemy.orm.attributes import set_committed_value

    set_committed_value(need, "money_reserved", 0)  # the page's copy of the need, read before that pledge
    over = refused(lambda: services.pledge_money(need, patron(), amount=2_000_000))
    with force_locale("en"):
        assert (over.code, over.message) == ("over_goal", f"Only {money(700_000)} is still missing; please pledge "
                                                          "at most that.")
    assert counters(need) == (300_000, 0)


@pytest.mark.parametrize("change, code", [
    (dict(status=NeedStatus.CANCELLED), "need_closed"),
    (dict(status=NeedStatus.FULFILLED), "need_closed"),
    (dict(status=NeedStatus.SUBMITTED), "need_closed"),
    (dict(hidden_reason="spam"), "need_closed"),
    (dict(money_goal=None), "no_money_goal"),
])
def test_a_need_that_takes_no_money_refuses(db_session, change, code):
    from marketplace.core.dbtypes import utcnow

    need = open_need()
    if "hidden_reason" in change:
        change = {**change, "hidden_at": utcnow()}
    for name, value in change.items():
        setattr(need, name, value)
    db_session.commit()
    before = rows()
    assert refused(lambda: services.pledge_money(need, patron(), amount=100_000)).code == code
    assert rows() == before


# --- the offline flow -------------------------------------------------------------------------------

def test_without_stripe_a_transfer_is_confirmed_by_the_office_staff(db_session, office, staff_user):
    need, who = open_need(money_goal=300_000, household__office=office), patron()
    pledge = services.pledge_money(need, who, amount=300_000)
    db_session.commit()
    assert pledge.status is S.AWAITING_TRANSFER and pledge.checkout_session_id is None

    outsider = UserFactory(staff=True)  # staff of another office
    for actor in (who, outsider, None):  # the patron, another office, the system: never
        with pytest.raises(IllegalTransition):
            services.change_pledge(pledge, "confirm_transfer", actor=actor)
    with pytest.raises(IllegalTransition):  # a transfer is never "paid" by a webhook
        services.change_pledge(pledge, "pay", actor=None)
    assert counters(need) == (300_000, 0)

    services.change_pledge(pledge, "confirm_transfer", actor=staff_user)
    db_session.commit()
    assert pledge.status is S.PAID and pledge.paid_at is not None
    assert pledge.receipt_number == f"SW-{pledge.created_at:%Y}-{pledge.id:07d}" == pledge.number
    assert counters(need) == (0, 300_000) == expected_counters(need.id)
    assert need.status is NeedStatus.IN_PROGRESS  # all the money is in
    assert audits(pledge.id) == ["pledge.create", "pledge.confirm_transfer"]
    from marketplace.core.audit.models import AuditEntry

    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "pledge.confirm_transfer"))
    assert (entry.actor_id, entry.from_state, entry.to_state) == (staff_user.id, "awaiting_transfer", "paid")


# --- the state machine and the audit log ------------------------------------------------------------

def test_every_change_is_a_transition_of_the_state_machine_and_audited(db_session, office, staff_user):
    need, who = open_need(household__office=office), patron()
    kept = services.pledge_money(need, who, amount=200_000)
    withdrawn = services.pledge_money(need, who, amount=100_000)
    db_session.commit()

    services.change_pledge(withdrawn, "cancel", actor=who, reason="changed my mind")
    services.change_pledge(kept, "confirm_transfer", actor=staff_user)
    with pytest.raises(ReasonRequired):
        services.change_pledge(kept, "refund", actor=staff_user)
    services.change_pledge(kept, "refund", actor=staff_user, reason="the family moved away")
    services.change_pledge(kept, "refunded", actor=staff_user)  # the office returned it by hand
    db_session.commit()

    assert audits(withdrawn.id) == ["pledge.create", "pledge.cancel"]
    assert audits(kept.id) == ["pledge.create", "pledge.confirm_transfer", "pledge.refund", "pledge.refunded"]
    assert (kept.status, withdrawn.status) == (S.REFUNDED, S.CANCELLED)
    assert kept.closed_at is not None and withdrawn.closed_at is not None
    assert counters(need) == (0, 0) == expected_counters(need.id)

    for transition in ("pay", "confirm_transfer", "cancel", "refund", "redirect", "deliver"):
        before = rows()
        with pytest.raises(IllegalTransition):  # a closed pledge stays closed
            services.change_pledge(kept, transition, actor=None, reason="again")
        assert rows() == before


def test_only_the_system_marks_a_card_pledge_paid(db_session, card, office, staff_user):
    need, who = open_need(household__office=office), patron()
    pledge = card_pledge(need, who, 150_000)
    for actor in (who, staff_user, UserFactory(admin=True)):
        with pytest.raises(IllegalTransition):
            services.change_pledge(pledge, "pay", actor=actor)
        with pytest.raises(IllegalTransition):  # a card pledge has no transfer to confirm
            services.change_pledge(pledge, "confirm_transfer", actor=actor)
    assert pledge.status is S.PENDING and counters(need) == (150_000, 0)


# --- goods ------------------------------------------------------------------------------------------

def test_goods_never_above_the_missing_quantity(db_session):
    need = open_need(money_goal=None)
    item = NeedItemFactory(need=need, name="Рюкзак", quantity=5)
    a, b = patron(), patron()
    first = services.pledge_goods(need, a, item_id=item.id, quantity=3, delivery=GoodsDelivery.OFFICE)
    db_session.commit()

    over = refused(lambda: services.pledge_goods(need, b, item_id=item.id, quantity=3, delivery=GoodsDelivery.OFFICE))
    assert over.code == "over_goal" and over.message.startswith("Only 2 of “Рюкзак” are still missing")
    assert refused(lambda: services.pledge_goods(need, b, item_id=item.id, quantity=0,
                                                 delivery=GoodsDelivery.OFFICE)).code == "too_small"
    other = NeedItemFactory(need=open_need(money_goal=None))
    assert refused(lambda: services.pledge_goods(need, b, item_id=other.id, quantity=1,
                                                 delivery=GoodsDelivery.OFFICE)).code == "no_such_item"

    second = services.pledge_goods(need, b, item_id=item.id, quantity=2, delivery=GoodsDelivery.VOLUNTEER)
    db_session.commit()
    db_session.refresh(item)
    assert item.quantity_pledged == 5 and need.volunteer_slots == 1  # a volunteer is needed to carry them
    full = refused(lambda: services.pledge_goods(need, patron(), item_id=item.id, quantity=1,
                                                 delivery=GoodsDelivery.OFFICE))
    assert full.code == "fully_covered"

    services.change_pledge(second, "cancel", actor=b, reason="no time")
    services.change_pledge(first, "deliver", actor=need.household.user)  # the family received them
    db_session.commit()
    db_session.refresh(item)
    db_session.refresh(need)
    assert (item.quantity_pledged, item.quantity_received, need.volunteer_slots) == (3, 3, 0)
    assert audits(first.id) == ["pledge.create", "pledge.deliver"]
    assert audits(second.id) == ["pledge.create", "pledge.cancel"]


# --- the need moves on: fulfilled, cancelled, expired -----------------------------------------------

def test_a_fulfilled_need_marks_its_paid_money_delivered(db_session, office, staff_user):
    need, who = open_need(household__office=office), patron()
    paid = services.pledge_money(need, who, amount=500_000)
    waiting = services.pledge_money(need, who, amount=100_000)
    services.change_pledge(paid, "confirm_transfer", actor=staff_user)
    db_session.commit()

    NEED_LIFECYCLE.apply(need, "fulfil", actor=staff_user, reason="bought and handed over")
    db_session.commit()
    # Paid money was spent on the need; money still awaited is not needed any more: released, patron told.
    assert (paid.status, waiting.status) == (S.DELIVERED, S.CANCELLED)
    assert paid.delivered_at is not None
    assert audits(paid.id)[-1] == "pledge.deliver"
    assert counters(need) == (0, 500_000) == expected_counters(need.id)
    assert [n.kind for n in notifications(who.id)] == ["pledge.cancelled_met"]


@pytest.mark.parametrize("how", ["cancel", "expire"])
def test_a_closed_need_releases_pending_money_and_gives_back_paid_transfers(db_session, office, staff_user, how):
    need, who = open_need(household__office=office), patron()
    waiting = services.pledge_money(need, who, amount=100_000)
    paid = services.pledge_money(need, who, amount=200_000)
    services.change_pledge(paid, "confirm_transfer", actor=staff_user)
    db_session.commit()

    NEED_LIFECYCLE.apply(need, how, actor=staff_user if how == "cancel" else None, reason="the family left")
    db_session.commit()
    assert waiting.status is S.CANCELLED
    assert paid.status is S.REFUND_PENDING  # a transfer goes back by hand
    assert counters(need) == (0, 0) == expected_counters(need.id)
    # The patron is told, with the reason someone wrote, or in the notice's own words for an expiry.
    told = notifications(who.id)
    suffix = "_withdrawn" if how == "cancel" else "_expired"
    assert sorted(n.kind for n in told if n.kind != "pledge.paid") == [f"pledge.cancelled{suffix}",
                                                                       f"pledge.refunding{suffix}"]
    # What the family or the office wrote as the reason never reaches the patrons: it may be private.
    assert all("the family left" not in json.dumps(n.params) for n in told)
    services.change_pledge(paid, "refunded", actor=staff_user)  # staff confirm they returned it
    db_session.commit()
    assert paid.status is S.REFUNDED
    assert audits(paid.id) == ["pledge.create", "pledge.confirm_transfer", "pledge.refund", "pledge.refunded"]


def test_refund_flow_a_cancelled_need_refunds_a_paid_card_pledge_through_stripe(
        db_session, client, card, office, staff_user):
    need, who, other = open_need(household__office=office), patron(), patron()
    pledge = paid_card_pledge(client, card, need, who, 700_000)
    pending = card_pledge(need, other, 50_000)  # a checkout still open at Stripe
    assert pledge.status is S.PAID and counters(need) == (50_000, 700_000)

    NEED_LIFECYCLE.apply(need, "cancel", actor=staff_user, reason="the family no longer needs it")
    db_session.commit()

    # The open checkout was closed at Stripe and its reservation released.
    assert card.sessions[pending.checkout_session_id]["status"] == "expired"
    assert pending.status is S.CANCELLED
    # The paid one was refunded in full, once, under the key derived from the pledge.
    assert pledge.status is S.REFUND_PENDING
    [refund] = card.refunds.values()
    assert (refund["amount"], refund["payment_intent"]) == (700_000, pledge.payment_intent_id)
    assert refund["metadata"] == {"pledge_id": str(pledge.id)}
    [call] = requests_to(card, "/v1/refunds", 1)
    assert call.idempotency_key == f"pledge-{pledge.id}-refund"
    assert counters(need) == (0, 0)

    # Stripe reports the refund: the pledge is refunded, the patron told.
    for event in card.events_of_type("charge.refunded") + card.events_of_type("checkout.session.expired"):
        assert post_event(client, card, event).status_code == 200
    db_session.refresh(pledge)
    assert pledge.status is S.REFUNDED and pledge.amount_refunded == 700_000
    assert counters(need) == (0, 0) == expected_counters(need.id)
    assert audits(pledge.id) == ["pledge.create", "pledge.pay", "pledge.refund", "pledge.refunded"]
    assert [n.kind for n in notifications(who.id)] == ["pledge.paid", "pledge.refunding_withdrawn", "pledge.refunded"]


def test_redirect_flow_paid_money_moves_to_a_similar_need_of_the_same_office(
        db_session, client, card, office, staff_user):
    source = open_need(household__office=office, category=Category.SCHOOL, money_goal=2_000_000)
    same_category = open_need(household__office=office, category=Category.SCHOOL, money_goal=1_000_000,
                              money_raised=100_000)
    other_category = open_need(household__office=office, category=Category.FOOD, money_goal=9_000_000)
    elsewhere = open_need(category=Category.SCHOOL, money_goal=9_000_000)  # another office
    assert elsewhere.office_id != office.id
    who = patron()
    pledge = paid_card_pledge(client, card, source, who, 800_000, allow_redirect=True)

    NEED_LIFECYCLE.apply(source, "cancel", actor=staff_user, reason="the family moved to another city")
    db_session.commit()

    assert pledge.status is S.REDIRECTED and pledge.closed_at is not None
    successor = db_session.scalar(select(Pledge).where(Pledge.redirected_from_id == pledge.id))
    assert (successor.need_id, successor.status, successor.amount, successor.patron_id) == (
        same_category.id, S.PAID, 800_000, who.id)
    assert counters(source) == (0, 0)
    assert counters(same_category) == (0, 900_000) and 900_000 <= same_category.money_goal
    assert counters(other_category) == (0, 0) and counters(elsewhere) == (0, 0)
    assert card.refunds == {}  # nothing went back to the card
    assert audits(pledge.id)[-1] == "pledge.redirect"
    # The money arrives through the state machine too: reserved under the goal's cap, then received.
    assert audits(successor.id) == ["pledge.redirected_in", "pledge.receive_redirect"]
    assert successor.paid_at == pledge.paid_at and successor.receipt_number is None
    [told] = notifications(who.id, "pledge.redirected_withdrawn")
    assert told.link == f"/needs/{same_category.id}" and told.params["target"] == same_category.title


def test_redirect_takes_only_a_need_with_room_else_the_money_goes_back(db_session, client, card, office,
                                                                      staff_user):
    source = open_need(household__office=office, money_goal=2_000_000)
    nearly_full = open_need(household__office=office, money_goal=1_000_000, money_raised=900_000)
    who = patron()
    pledge = paid_card_pledge(client, card, source, who, 200_000, allow_redirect=True)

    NEED_LIFECYCLE.apply(source, "cancel", actor=staff_user, reason="duplicate request")
    db_session.commit()
    assert pledge.status is S.REFUND_PENDING and len(card.refunds) == 1
    assert counters(nearly_full) == (0, 900_000)  # never above its goal


def test_a_partly_refunded_pledge_redirects_only_what_is_left(db_session, client, card, office, staff_user):
    source = open_need(household__office=office, money_goal=2_000_000)
    target = open_need(household__office=office, money_goal=1_000_000)
    who = patron()
    pledge = paid_card_pledge(client, card, source, who, 500_000, allow_redirect=True)
    # 1 500 ₸ given back from Stripe's dashboard.
    from stripe import StripeClient

    StripeClient(card.api_key, base_addresses={"api": card.url}).v1.refunds.create(
        {"payment_intent": pledge.payment_intent_id, "amount": 150_000})
    assert post_event(client, card, card.events_of_type("charge.refunded")[-1]).status_code == 200
    assert counters(source) == (0, 350_000)

    NEED_LIFECYCLE.apply(source, "cancel", actor=staff_user, reason="the family moved")
    db_session.commit()
    successor = db_session.scalar(select(Pledge).where(Pledge.redirected_from_id == pledge.id))
    assert successor.amount == 350_000
    assert counters(target) == (0, 350_000) == expected_counters(target.id)
    assert counters(source) == (0, 0) == expected_counters(source.id)


def test_redirected_card_money_whose_new_need_closes_too_goes_back_to_the_card(
        db_session, client, card, office, staff_user):
    """The successor pledge has no payment of its own (the card was charged for the first need): its
    refund goes through the original payment, and Stripe's report of it settles the successor."""
    source = open_need(household__office=office, money_goal=2_000_000)
    target = open_need(household__office=office, money_goal=1_000_000)
    who = patron()
    pledge = paid_card_pledge(client, card, source, who, 600_000, allow_redirect=True)
    NEED_LIFECYCLE.apply(source, "cancel", actor=staff_user, reason="the family moved")
    db_session.commit()
    successor = db_session.scalar(select(Pledge).where(Pledge.redirected_from_id == pledge.id))
    assert successor.need_id == target.id and counters(target) == (0, 600_000)

    NEED_LIFECYCLE.apply(target, "cancel", actor=staff_user, reason="duplicate request")  # nowhere else to go
    db_session.commit()
    assert successor.status is S.REFUND_PENDING and counters(target) == (0, 0)
    [refund] = card.refunds.values()
    assert (refund["payment_intent"], refund["amount"]) == (pledge.payment_intent_id, 600_000)
    assert [r.idempotency_key for r in requests_to(card, "/v1/refunds", 1)] == [f"pledge-{successor.id}-refund"]

    for event in card.events_of_type("charge.refunded"):
        assert post_event(client, card, event).status_code == 200
    db_session.refresh(successor)
    assert successor.status is S.REFUNDED and successor.amount_refunded == 600_000
    assert pledge.status is S.REDIRECTED
    assert [n.kind for n in notifications(who.id)] == ["pledge.paid", "pledge.redirected_withdrawn", "pledge.refunding_withdrawn",
                                                    "pledge.refunded"]


# --- the success redirect is no proof of payment ------------------------------------------------------

def test_the_success_redirect_never_marks_a_pledge_paid(db_session, client, card, login_as):
    need, who = open_need(), patron()
    pledge = card_pledge(need, who, 250_000)
    events = card.pay(pledge.checkout_session_id)  # paid at Stripe; no webhook delivered yet

    # The patron comes back from Stripe on the success address, and the page polls a few times.
    login_as(who)
    success = card.sessions[pledge.checkout_session_id]["success_url"]
    assert success.endswith(f"/pledges/{pledge.id}?checkout=done")
    for address in (success.removeprefix("http://localhost") + f"&session_id={pledge.checkout_session_id}",
                    f"/pledges/{pledge.id}?checkout=done", f"/pledges/{pledge.id}"):
        assert client.get(address).status_code == 200
    db_session.refresh(pledge)
    assert pledge.status is S.PENDING and counters(need) == (250_000, 0)
    assert audits(pledge.id) == ["pledge.create"]

    assert post_event(client, card, events[0]).status_code == 200  # the webhook does it
    db_session.refresh(pledge)
    assert pledge.status is S.PAID and counters(need) == (0, 250_000)


def test_a_checkout_is_opened_once_under_the_pledges_idempotency_key(db_session, card):
    need, who = open_need(), patron()
    pledge = services.pledge_money(need, who, amount=120_000)
    db_session.commit()
    from tests.pledges.test_pledge_support import checkout

    url = checkout(pledge)
    assert checkout(pledge) == url  # a double click opens no second session
    pledge.checkout_url = pledge.checkout_session_id = None  # a retry that lost the answer
    db_session.commit()
    assert checkout(pledge) == url  # Stripe replays the first session under the same key

    creates = requests_to(card, "/v1/checkout/sessions", 2)
    assert [r.idempotency_key for r in creates] == [f"pledge-{pledge.id}-checkout"] * 2
    assert [r.replayed for r in creates] == [False, True] and len(card.sessions) == 1
    session = card.sessions[pledge.checkout_session_id]
    assert (session["amount_total"], session["currency"], session["metadata"]) == (
        120_000, "kzt", {"pledge_id": str(pledge.id), "need_id": str(need.id)})


def test_stripe_unreachable_cancels_the_pledge_and_says_so(db_session, app, monkeypatch):
    for key, value in {"STRIPE_SECRET_KEY": "sk_test_fake", "STRIPE_API_BASE": "http://127.0.0.1:9",
                       "STRIPE_WEBHOOK_SECRET": "whsec_test_secret"}.items():
        monkeypatch.setitem(app.config, key, value)
    import stripe

    from marketplace.payments import gateway

    nobody = stripe.StripeClient("sk_test_fake", base_addresses={"api": "http://127.0.0.1:9"}, max_network_retries=0)
    monkeypatch.setattr(gateway, "_client", lambda: nobody)  # nothing listens there
    need, who = open_need(), patron()
    pledge = services.pledge_money(need, who, amount=120_000)
    db_session.commit()
    from tests.pledges.test_pledge_support import checkout

    with force_locale("en"), pytest.raises(PledgeRefused) as caught:
        checkout(pledge)
    db_session.commit()
    assert caught.value.code == "provider_unavailable"
    assert pledge.status is S.CANCELLED and counters(need) == (0, 0)


# --- nothing but the state machine changes a status ------------------------------------------------

def test_every_status_change_is_a_transition_of_the_state_machine_with_its_audit_entry(
        db_session, app, client, card, office, staff_user, monkeypatch):
    """Every statement that writes a pledge's status, over a day touching every transition, is one of
    the state machine's compare-and-set UPDATEs, with its audit entry naming that transition and its
    states; every new pledge is audited too. No code path sets a status by hand."""
    import re

    from sqlalchemy import event, func

    from marketplace.core.audit.models import AuditEntry
    from marketplace.core.dbtypes import utcnow
    from marketplace.core.extensions import db
    from marketplace.pledges.lifecycle import PLEDGE_LIFECYCLE

    written: list[str] = []

    def capture(_conn, _cursor, statement, *_args):
        if re.match(r"\s*(UPDATE pledges SET|INSERT INTO pledges)", statement):
            written.append(" ".join(statement.split()))

    first_entry = (db_session.scalar(select(func.max(AuditEntry.id))) or 0) + 1
    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        need = open_need(household__office=office, category=Category.SCHOOL)
        target = open_need(household__office=office, category=Category.SCHOOL)
        goods_need = open_need(household__office=office, money_goal=None)
        item = NeedItemFactory(need=goods_need, quantity=4)
        who = patron()
        paid = paid_card_pledge(client, card, need, who, 300_000)                     # pay
        moved = paid_card_pledge(client, card, need, who, 200_000, allow_redirect=True)
        walked_away = card_pledge(need, who, 100_000)
        post_event(client, card, card.expire_session(walked_away.checkout_session_id))  # cancel (webhook)
        late = card_pledge(need, who, 100_000)
        services.change_pledge(late, "cancel", actor=who, reason="changed my mind")  # cancel (patron)
        db_session.commit()
        for event_ in card.pay(late.checkout_session_id):                            # refund_late_payment
            post_event(client, card, event_)
        monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "")  # transfers from here on
        transfer = services.pledge_money(need, who, amount=150_000)
        lapsing = services.pledge_money(need, who, amount=50_000)
        lapsing.created_at = utcnow() - timedelta(days=30)
        db_session.commit()
        monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", card.api_key)
        services.change_pledge(transfer, "confirm_transfer", actor=staff_user)       # confirm_transfer
        db_session.commit()
        sweep()                                                                      # cancel (sweep)
        NEED_LIFECYCLE.apply(need, "cancel", actor=staff_user, reason="moved")        # refund, redirect
        db_session.commit()
        for event_ in card.events_of_type("charge.refunded"):                       # refunded (webhook)
            post_event(client, card, event_)
        services.change_pledge(transfer, "refunded", actor=staff_user)               # refunded (office)
        NEED_LIFECYCLE.apply(target, "fulfil", actor=staff_user, reason="bought")     # deliver (money)
        kept = services.pledge_goods(goods_need, who, item_id=item.id, quantity=2, delivery=GoodsDelivery.OFFICE)
        dropped = services.pledge_goods(goods_need, who, item_id=item.id, quantity=1,
                                        delivery=GoodsDelivery.VOLUNTEER)
        services.change_pledge(kept, "deliver", actor=staff_user)                    # deliver (goods)
        services.change_pledge(dropped, "cancel", actor=who)
        db_session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)

    entries = db_session.scalars(select(AuditEntry).where(AuditEntry.id >= first_entry,
                                                          AuditEntry.object_type == "pledge")).all()
    transitions = [e for e in entries if e.action not in ("pledge.create", "pledge.redirected_in")]
    assert {e.action for e in transitions} == {f"pledge.{name}" for name in PLEDGE_LIFECYCLE.transitions}
    for entry in transitions:
        transition = PLEDGE_LIFECYCLE[entry.action.removeprefix("pledge.")]
        assert S(entry.from_state) in transition.sources and S(entry.to_state) is transition.target, entry.action
    status_writes = [sql for sql in written
                     if sql.startswith("UPDATE") and re.search(r"[ ,]status=", sql.split(" WHERE ")[0])]
    assert all(re.match(r"UPDATE pledges SET status=\S+ WHERE pledges\.id = \S+ AND pledges\.status = \S+$", sql)
               for sql in status_writes), status_writes  # only the compare-and-set, nothing by hand
    assert len(status_writes) == len(transitions)
    assert len([sql for sql in written if sql.startswith("INSERT")]) == len(entries) - len(transitions)
    # The last entry of each pledge names the status it is in.
    for pledge in (paid, moved, walked_away, late, transfer, lapsing, kept, dropped):
        db_session.refresh(pledge)
        last = [e for e in entries if e.object_id == pledge.id][-1]
        assert last.to_state == pledge.status.value, (pledge.id, last.action)
    assert (paid.status, moved.status, late.status, lapsing.status) == (S.REFUNDED, S.REDIRECTED, S.REFUNDED,
                                                                         S.CANCELLED)
