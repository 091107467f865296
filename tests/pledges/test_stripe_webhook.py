"""POST /payments/stripe/webhook, fed by the fake Stripe server through the real `stripe` library:
the signature over the raw body is checked first and a bad one writes nothing; each event is stored
once, with its effect, and applied once; events may come in any order and end in the same state;
refunds made in Stripe's dashboard (partial or full) are reconciled."""
from __future__ import annotations

import itertools
import json
import time

import pytest
import stripe
from sqlalchemy import select

from marketplace.pledges import payment_events, services
from marketplace.pledges.models import PaymentEvent, PledgeStatus as S
from tests.pledges.test_pledge_support import (  # noqa: F401  (fixtures)
    WEBHOOK, audits, card, card_pledge, counters, expected_counters, fake_stripe, notifications,
    open_need, paid_card_pledge, patron, post_event, requests_to, rows,
)


def dashboard(fake) -> stripe.StripeClient:
    """Someone in Stripe's dashboard: API calls straight to the fake, not through the app."""
    return stripe.StripeClient(fake.api_key, base_addresses={"api": fake.url})


def stored_events() -> dict[str, str]:
    from marketplace.core.extensions import db

    return dict(db.session.execute(select(PaymentEvent.event_id, PaymentEvent.outcome)).all())


# --- the signature -----------------------------------------------------------------------------------

def _missing_header(fake, event):
    body, headers = fake.signed(event)
    return body, {"Content-Type": "application/json"}


def _wrong_secret(fake, event):
    return fake.signed(event, secret="whsec_someone_else")


def _tampered_body(fake, event):
    body, headers = fake.signed(event)
    return body.replace(b'"amount_total": 300000', b'"amount_total": 300001'), headers


def _reserialised_body(fake, event):  # the same JSON, other bytes: the signature is over the raw body
    body, headers = fake.signed(event)
    return json.dumps(json.loads(body)).encode(), headers


def _stale_timestamp(fake, event):
    return fake.signed(event, timestamp=int(time.time()) - 600)  # stripe's tolerance is 300 s


def _garbage_header(fake, event):
    body, _headers = fake.signed(event)
    return body, {"Stripe-Signature": "t=abc,v1=", "Content-Type": "application/json"}


def _other_scheme(fake, event):
    body, headers = fake.signed(event)
    return body, {"Stripe-Signature": headers["Stripe-Signature"].replace("v1=", "v0="),
                  "Content-Type": "application/json"}


def _not_utf8(fake, event):
    body = b"\xff\xfe" + json.dumps(event).encode()
    return body, {"Stripe-Signature": fake.sign(body.decode("latin-1")), "Content-Type": "application/json"}


@pytest.mark.parametrize("forge", [_missing_header, _wrong_secret, _tampered_body, _reserialised_body,
                                   _stale_timestamp, _garbage_header, _other_scheme, _not_utf8])
def test_a_bad_signature_is_400_and_writes_nothing(db_session, client, card, forge):
    need, who = open_need(), patron()
    pledge = card_pledge(need, who, 300_000)
    completed, _succeeded = card.pay(pledge.checkout_session_id)
    before = rows()

    body, headers = forge(card, completed)
    response = client.post(WEBHOOK, data=body, headers=headers)
    assert response.status_code == 400
    assert response.get_json() == {"error": "bad signature"}
    assert rows() == before
    assert pledge.status is S.PENDING

    # The genuine delivery still works afterwards: nothing was stored under the event's id.
    assert post_event(client, card, completed).get_json()["outcome"] == "paid"


def test_no_webhook_secret_configured_refuses_everything(db_session, client, card, app, monkeypatch):
    need, who = open_need(), patron()
    pledge = card_pledge(need, who, 300_000)
    completed, _ = card.pay(pledge.checkout_session_id)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", "")
    before = rows()
    assert post_event(client, card, completed).status_code == 400
    assert rows() == before


def test_the_webhook_needs_no_login_and_no_csrf_token(db_session, client, card, app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    need, who = open_need(), patron()
    pledge = card_pledge(need, who, 300_000)
    completed, _ = card.pay(pledge.checkout_session_id)
    assert post_event(client, card, completed).status_code == 200


# --- once, and only from the webhook -------------------------------------------------------------------

def test_a_payment_is_applied_once_however_often_it_is_delivered(db_session, client, card):
    need, who = open_need(), patron()
    pledge = card_pledge(need, who, 300_000)
    completed, succeeded = card.pay(pledge.checkout_session_id)

    outcomes = [post_event(client, card, event).get_json()["outcome"]
                for event in [completed, succeeded, completed, succeeded, completed]]
    assert outcomes == ["paid", "already paid", "duplicate", "duplicate", "duplicate"]
    db_session.refresh(pledge)
    assert pledge.status is S.PAID and pledge.payment_intent_id == succeeded["data"]["object"]["id"]
    assert pledge.receipt_number == f"SW-{pledge.created_at:%Y}-{pledge.id:07d}" == pledge.number
    assert audits(pledge.id) == ["pledge.create", "pledge.pay"]
    assert len(notifications(who.id, "pledge.paid")) == 1
    assert stored_events() == {completed["id"]: "paid", succeeded["id"]: "already paid"}
    assert counters(need) == (0, 300_000) == expected_counters(need.id)


def test_payment_intent_succeeded_alone_pays(db_session, client, card):
    need, who = open_need(), patron()
    pledge = card_pledge(need, who, 300_000)
    _completed, succeeded = card.pay(pledge.checkout_session_id)
    assert post_event(client, card, succeeded).get_json()["outcome"] == "paid"
    db_session.refresh(pledge)
    assert pledge.status is S.PAID and counters(need) == (0, 300_000)


def test_an_expired_checkout_releases_its_reservation(db_session, client, card):
    need, who = open_need(money_goal=400_000), patron()
    pledge = card_pledge(need, who, 400_000)
    assert need.money_open == 0
    event = card.expire_session(pledge.checkout_session_id)
    assert post_event(client, card, event).get_json()["outcome"] == "released"
    assert post_event(client, card, event).get_json()["outcome"] == "duplicate"
    db_session.refresh(pledge)
    assert pledge.status is S.CANCELLED and counters(need) == (0, 0)
    assert audits(pledge.id) == ["pledge.create", "pledge.cancel"]
    assert services.pledge_money(need, patron(), amount=400_000)  # the room is free for others


def test_events_the_site_does_not_know_are_stored_and_ignored(db_session, client, card):
    other = {"id": "evt_test_unrelated", "object": "event", "type": "customer.created", "api_version": "x",
             "created": int(time.time()), "livemode": False,
             "data": {"object": {"id": "cus_1", "object": "customer", "metadata": {}}}}
    stranger = {**other, "id": "evt_test_stranger", "type": "checkout.session.completed",
                "data": {"object": {"id": "cs_test_nobody", "object": "checkout.session", "metadata": {},
                                    "payment_status": "paid", "payment_intent": "pi_nobody"}}}
    assert post_event(client, card, other).get_json()["outcome"] == "ignored"
    assert post_event(client, card, stranger).get_json()["outcome"] == "no pledge"
    assert post_event(client, card, stranger).get_json()["outcome"] == "duplicate"
    assert stored_events() == {"evt_test_unrelated": "ignored", "evt_test_stranger": "no pledge"}


# --- any order ---------------------------------------------------------------------------------------

def final_state(pledge, need, who) -> tuple:
    from marketplace.core.extensions import db

    db.session.refresh(pledge)
    return (pledge.status, pledge.amount_refunded, pledge.payment_intent_id is not None, counters(need),
            sorted(audits(pledge.id)), sorted(n.kind for n in notifications(who.id)))


def paid_then_refunded(client, fake, *, refund: int | None):
    """A paid pledge refunded from the dashboard (all, or `refund` tiyn); its events, in Stripe's order."""
    need, who = open_need(money_goal=1_000_000), patron()
    pledge = card_pledge(need, who, 600_000)
    events = fake.pay(pledge.checkout_session_id)
    dashboard(fake).v1.refunds.create({"payment_intent": fake.sessions[pledge.checkout_session_id]["payment_intent"],
                                       **({"amount": refund} if refund else {})})
    events += fake.events_of_type("charge.refunded")[-1:] + fake.events_of_type("refund.created")[-1:]
    return pledge, need, who, events


@pytest.mark.parametrize("refund", [None, 250_000], ids=["full refund", "partial refund"])
def test_every_order_of_the_events_ends_in_the_same_state(db_session, client, card, refund):
    results = {}
    for order in itertools.permutations(range(4)):  # completed, succeeded, charge.refunded, refund.created
        pledge, need, who, events = paid_then_refunded(client, card, refund=refund)
        for i in order:
            assert post_event(client, card, events[i]).status_code == 200
        results[order] = final_state(pledge, need, who)
        assert counters(need) == expected_counters(need.id)
    in_order = results[(0, 1, 2, 3)]
    assert all(state == in_order for state in results.values()), {o: s for o, s in results.items() if s != in_order}
    if refund is None:
        assert in_order[:2] == (S.REFUNDED, 600_000) and in_order[3] == (0, 0)
        assert in_order[4] == ["pledge.create", "pledge.pay", "pledge.refunded"]
        assert in_order[5] == ["pledge.paid", "pledge.refunded"]
    else:
        assert in_order[:2] == (S.PAID, 250_000) and in_order[3] == (0, 350_000)
        assert in_order[4] == ["pledge.create", "pledge.pay"]


def test_refund_before_payment_event_same_as_in_order(db_session, client, card):
    """The brief's case spelled out: charge.refunded delivered before checkout.session.completed."""
    pledge, need, who, (completed, succeeded, refunded, created) = paid_then_refunded(client, card, refund=None)
    assert post_event(client, card, refunded).get_json()["outcome"] == "refunded 600000"
    assert post_event(client, card, completed).get_json()["outcome"] == "already refunded"
    assert post_event(client, card, succeeded).get_json()["outcome"] == "already refunded"
    assert final_state(pledge, need, who)[:4] == (S.REFUNDED, 600_000, True, (0, 0))


def test_dashboard_refunds_partial_then_the_rest(db_session, client, card):
    need, who = open_need(money_goal=1_000_000), patron()
    pledge = paid_card_pledge(client, card, need, who, 800_000)
    for amount, status, raised in ((300_000, S.PAID, 500_000), (None, S.REFUNDED, 0)):
        dashboard(card).v1.refunds.create({"payment_intent": pledge.payment_intent_id,
                                           **({"amount": amount} if amount else {})})
        [*_, charge_refunded, refund_created] = card.events
        assert post_event(client, card, refund_created).status_code == 200
        assert post_event(client, card, charge_refunded).status_code == 200
        db_session.refresh(pledge)
        assert pledge.status is status and counters(need) == (0, raised) == expected_counters(need.id)
    assert pledge.amount_refunded == 800_000
    assert audits(pledge.id) == ["pledge.create", "pledge.pay", "pledge.refunded"]
    # A stale partial-refund event delivered again (or late) changes nothing.
    first_refund = card.events_of_type("charge.refunded")[0]
    assert post_event(client, card, {**first_refund, "id": "evt_test_replayed"}).get_json()["outcome"] == "nothing new"


def test_a_payment_after_the_pledge_was_cancelled_is_given_back(db_session, client, card):
    need, who = open_need(money_goal=500_000), patron()
    pledge = card_pledge(need, who, 500_000)
    services.change_pledge(pledge, "cancel", actor=who, reason="changed my mind")  # checkout still open at Stripe
    newcomer = services.pledge_money(need, patron(), amount=500_000)  # someone else takes the room
    from marketplace.core.extensions import db

    db.session.commit()
    completed, succeeded = card.pay(pledge.checkout_session_id)  # the first patron pays in the old tab anyway

    assert post_event(client, card, completed).get_json()["outcome"] == "late payment refunded"
    assert post_event(client, card, succeeded).get_json()["outcome"] == "already refund_pending"
    db_session.refresh(pledge)
    assert pledge.status is S.REFUND_PENDING
    [refund] = card.refunds.values()
    assert refund["amount"] == 500_000
    assert [r.idempotency_key for r in requests_to(card, "/v1/refunds", 1)] == [f"pledge-{pledge.id}-refund"]
    assert counters(need) == (500_000, 0)  # the newcomer's reservation, never more than the goal

    assert post_event(client, card, card.events_of_type("charge.refunded")[0]).status_code == 200
    db_session.refresh(pledge)
    assert pledge.status is S.REFUNDED and newcomer.status is S.PENDING
    assert counters(need) == (500_000, 0) == expected_counters(need.id)
    assert audits(pledge.id) == ["pledge.create", "pledge.cancel", "pledge.refund_late_payment", "pledge.refunded"]


def test_a_late_payment_already_refunded_in_the_dashboard_ends_refunded_in_any_order(db_session, client, card):
    results = set()
    for refund_first in (False, True):
        need, who = open_need(), patron()
        pledge = card_pledge(need, who, 200_000)
        services.change_pledge(pledge, "cancel", actor=who, reason="changed my mind")
        from marketplace.core.extensions import db

        db.session.commit()
        completed, succeeded = card.pay(pledge.checkout_session_id)
        if refund_first:  # the office refunded it in the dashboard before any of its events reached us
            dashboard(card).v1.refunds.create({"payment_intent": succeeded["data"]["object"]["id"]})
            events = [card.events_of_type("charge.refunded")[-1], completed, succeeded]
        else:
            events = [completed, succeeded]
        for event in events:
            assert post_event(client, card, event).status_code == 200
        if not refund_first:
            assert post_event(client, card, card.events_of_type("charge.refunded")[-1]).status_code == 200
        db_session.refresh(pledge)
        results.add((pledge.status, pledge.amount_refunded, counters(need), tuple(audits(pledge.id)),
                     tuple(n.kind for n in notifications(who.id))))
        charge = card.charges[card.payment_intents[succeeded["data"]["object"]["id"]]["latest_charge"]]
        assert charge["amount_refunded"] == 200_000  # refunded exactly once, never twice
    assert results == {(S.REFUNDED, 200_000, (0, 0), (
        "pledge.create", "pledge.cancel", "pledge.refund_late_payment", "pledge.refunded"), ("pledge.refunded",))}


def test_a_refund_of_a_redirected_pledge_lands_on_its_successor(db_session, client, card, office, staff_user):
    from marketplace.needs.lifecycle import NEED_LIFECYCLE

    source = open_need(household__office=office)
    target = open_need(household__office=office)
    who = patron()
    pledge = paid_card_pledge(client, card, source, who, 400_000, allow_redirect=True)
    NEED_LIFECYCLE.apply(source, "cancel", actor=staff_user, reason="moved")
    from marketplace.core.extensions import db

    db.session.commit()
    assert counters(target) == (0, 400_000)
    dashboard(card).v1.refunds.create({"payment_intent": pledge.payment_intent_id, "amount": 100_000})
    assert post_event(client, card, card.events_of_type("charge.refunded")[-1]).status_code == 200
    assert counters(target) == (0, 300_000) == expected_counters(target.id)
    assert pledge.status is S.REDIRECTED and counters(source) == (0, 0)


def test_a_pledge_partly_refunded_before_its_redirect_counts_later_refunds_once(
        db_session, client, card, office, staff_user):
    """Stripe's charge.refunded carries the charge's running total; the successor holds only what was
    left at the redirect, so only what was refunded after it is its own."""
    from marketplace.core.extensions import db
    from marketplace.needs.lifecycle import NEED_LIFECYCLE
    from marketplace.pledges.models import Pledge

    source, target = open_need(household__office=office), open_need(household__office=office)
    who = patron()
    pledge = paid_card_pledge(client, card, source, who, 400_000, allow_redirect=True)
    dashboard(card).v1.refunds.create({"payment_intent": pledge.payment_intent_id, "amount": 100_000})
    assert post_event(client, card, card.events_of_type("charge.refunded")[-1]).status_code == 200
    NEED_LIFECYCLE.apply(source, "cancel", actor=staff_user, reason="moved")
    db.session.commit()
    successor = db.session.scalar(select(Pledge).where(Pledge.redirected_from_id == pledge.id))
    assert successor.amount == 300_000 and counters(target) == (0, 300_000)

    dashboard(card).v1.refunds.create({"payment_intent": pledge.payment_intent_id, "amount": 50_000})
    assert post_event(client, card, card.events_of_type("charge.refunded")[-1]).status_code == 200
    db.session.refresh(successor)
    assert successor.amount_refunded == 50_000 and successor.status is S.PAID
    assert counters(target) == (0, 250_000) == expected_counters(target.id)

    dashboard(card).v1.refunds.create({"payment_intent": pledge.payment_intent_id})  # the rest
    assert post_event(client, card, card.events_of_type("charge.refunded")[-1]).status_code == 200
    db.session.refresh(successor)
    assert successor.status is S.REFUNDED and counters(target) == (0, 0) == expected_counters(target.id)


def test_the_event_row_is_written_in_the_same_transaction_as_its_effect(db_session, client, card, monkeypatch):
    """If applying the event fails, its id is not kept either: Stripe's retry is then applied in full."""
    need, who = open_need(), patron()
    pledge = card_pledge(need, who, 300_000)
    completed, _ = card.pay(pledge.checkout_session_id)
    before = rows()

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away mid-request")

    working = payment_events.tell
    monkeypatch.setattr(payment_events, "tell", broken)
    assert post_event(client, card, completed).status_code == 500
    assert rows() == before
    monkeypatch.setattr(payment_events, "tell", working)
    assert post_event(client, card, completed).get_json()["outcome"] == "paid"
    assert audits(pledge.id, "pledge.pay") == ["pledge.pay"]
