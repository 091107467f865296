"""`flask sweep-pledges`: what the webhooks missed. An abandoned checkout's reservation is released
(asking Stripe first: it may have been paid, or still be open), transfers older than
PLEDGE_TRANSFER_DAYS lapse, refunds Stripe did not take are retried under the same idempotency key;
running it twice, or after the late event, changes nothing more."""
from __future__ import annotations

from datetime import timedelta

from marketplace.core.dbtypes import utcnow
from marketplace.payments import gateway
from marketplace.pledges import services
from marketplace.pledges.sweep import sweep as sweep_pledges
from marketplace.pledges.models import PledgeStatus as S
from tests.pledges.test_pledge_support import (  # noqa: F401  (fixtures)
    audits, card, card_pledge, counters, expected_counters, fake_stripe, notifications, open_need,
    paid_card_pledge, patron, post_event, requests_to,
)

NOTHING = {"paid": 0, "released": 0, "lapsed": 0, "refunds_retried": 0, "refunds_reconciled": 0}


def later(minutes: int = 36):
    """A sweep run after the checkouts' 30 minutes and the sweep's 5 minutes' grace."""
    return utcnow() + timedelta(minutes=minutes)


def sweep(db_session, now=None) -> dict[str, int]:
    counts = sweep_pledges(now=now)
    db_session.commit()
    return counts


def test_a_checkout_not_yet_expired_is_left_alone(db_session, card):
    need, who = open_need(), patron()
    pledge = card_pledge(need, who, 100_000)
    card.expire_session(pledge.checkout_session_id)  # even if Stripe says so: wait for its event first
    assert sweep(db_session) == NOTHING
    assert sweep(db_session, later(minutes=34)) == NOTHING  # inside the grace
    assert pledge.status is S.PENDING and counters(need) == (100_000, 0)


def test_a_missed_expiry_event_is_caught_by_the_sweep(db_session, client, card):
    need, who = open_need(), patron()
    pledge = card_pledge(need, who, 100_000)
    expired = card.expire_session(pledge.checkout_session_id)  # its webhook never arrived

    assert sweep(db_session, later()) == {**NOTHING, "released": 1}
    assert pledge.status is S.CANCELLED and counters(need) == (0, 0) == expected_counters(need.id)
    assert sweep(db_session, later()) == NOTHING  # twice is harmless
    assert post_event(client, card, expired).get_json()["outcome"] == "already cancelled"
    assert audits(pledge.id) == ["pledge.create", "pledge.cancel"]


def test_a_missed_payment_is_found_by_the_sweep_and_never_released(db_session, client, card):
    need, who = open_need(), patron()
    pledge = card_pledge(need, who, 100_000)
    completed, succeeded = card.pay(pledge.checkout_session_id)  # paid; the webhooks were lost

    assert sweep(db_session, later()) == {**NOTHING, "paid": 1}
    assert pledge.status is S.PAID and pledge.payment_intent_id == succeeded["data"]["object"]["id"]
    assert counters(need) == (0, 100_000)
    # The events arrive at last: nothing more happens.
    assert post_event(client, card, completed).get_json()["outcome"] == "already paid"
    assert post_event(client, card, succeeded).get_json()["outcome"] == "already paid"
    assert audits(pledge.id, "pledge.pay") == ["pledge.pay"]
    assert len(notifications(who.id, "pledge.paid")) == 1


def test_a_checkout_still_open_past_its_time_is_expired_at_stripe_then_released(db_session, client, card):
    need, who = open_need(), patron()
    pledge = card_pledge(need, who, 100_000)
    assert card.sessions[pledge.checkout_session_id]["status"] == "open"

    assert sweep(db_session, later()) == {**NOTHING, "released": 1}
    assert card.sessions[pledge.checkout_session_id]["status"] == "expired"  # the patron can no longer pay
    assert pledge.status is S.CANCELLED and counters(need) == (0, 0)
    [expired] = card.events_of_type("checkout.session.expired")
    assert post_event(client, card, expired).get_json()["outcome"] == "already cancelled"


def test_a_pledge_whose_checkout_never_opened_is_released_after_an_hour(db_session, card):
    need, who = open_need(), patron()
    # The reservation committed, then the request died before Stripe answered (no session id).
    pledge = services.pledge_money(need, who, amount=100_000)
    db_session.commit()
    assert pledge.status is S.PENDING and pledge.checkout_session_id is None
    assert sweep(db_session, utcnow() + timedelta(minutes=50)) == NOTHING
    assert sweep(db_session, utcnow() + timedelta(minutes=61)) == {**NOTHING, "released": 1}
    assert pledge.status is S.CANCELLED and counters(need) == (0, 0)


def test_transfers_older_than_the_limit_lapse(db_session, app, monkeypatch):
    monkeypatch.setitem(app.config, "PLEDGE_TRANSFER_DAYS", 14)
    need, who = open_need(), patron()
    old = services.pledge_money(need, who, amount=300_000)
    recent = services.pledge_money(need, who, amount=200_000)
    old.created_at = utcnow() - timedelta(days=14, minutes=1)
    recent.created_at = utcnow() - timedelta(days=13, hours=23)
    db_session.commit()

    assert sweep(db_session) == {**NOTHING, "lapsed": 1}
    assert (old.status, recent.status) == (S.CANCELLED, S.AWAITING_TRANSFER)
    assert old.status_reason == "no transfer arrived within 14 days"
    assert counters(need) == (200_000, 0) == expected_counters(need.id)
    assert [n.kind for n in notifications(who.id)] == ["pledge.lapsed"]
    assert audits(old.id) == ["pledge.create", "pledge.cancel"]
    assert sweep(db_session) == NOTHING

    monkeypatch.setitem(app.config, "PLEDGE_TRANSFER_DAYS", 3)  # the setting is read at each run
    assert sweep(db_session) == {**NOTHING, "lapsed": 1} and recent.status is S.CANCELLED


def test_a_refund_stripe_did_not_take_is_retried_under_the_same_key(db_session, client, card, office, staff_user,
                                                                     monkeypatch):
    from marketplace.needs.lifecycle import NEED_LIFECYCLE

    need, who = open_need(household__office=office), patron()
    pledge = paid_card_pledge(client, card, need, who, 400_000)
    working = gateway.refund

    def unreachable(**kwargs):
        raise gateway.PaymentError("Stripe is down")

    monkeypatch.setattr(gateway, "refund", unreachable)
    NEED_LIFECYCLE.apply(need, "cancel", actor=staff_user, reason="the family moved")
    db_session.commit()
    assert pledge.status is S.REFUND_PENDING and card.refunds == {}

    monkeypatch.setattr(gateway, "refund", working)
    assert sweep(db_session) == {**NOTHING, "refunds_retried": 1}
    assert len(card.refunds) == 1
    calls = requests_to(card, "/v1/refunds", 1)
    assert [(r.idempotency_key, r.replayed) for r in calls] == [(f"pledge-{pledge.id}-refund", False)]
    # Its charge.refunded event has not come yet: the next sweep reads the charge and records the refund
    # as the event would, without asking Stripe to refund again.
    assert sweep(db_session) == {**NOTHING, "refunds_reconciled": 1}
    db_session.refresh(pledge)
    assert pledge.status is S.REFUNDED and pledge.amount_refunded == 400_000
    assert len(requests_to(card, "/v1/refunds", 1)) == 1
    assert counters(need) == expected_counters(need.id)

    assert post_event(client, card, card.events_of_type("charge.refunded")[0]).status_code == 200  # late
    db_session.refresh(pledge)
    assert pledge.status is S.REFUNDED and pledge.amount_refunded == 400_000
    assert sweep(db_session) == NOTHING


def test_flask_sweep_pledges_command(db_session, app, card):
    need, who = open_need(), patron()
    abandoned = card_pledge(need, who, 100_000)
    paid_meanwhile = card_pledge(need, who, 100_000)
    abandoned.checkout_expires_at = utcnow() - timedelta(minutes=6)
    paid_meanwhile.checkout_expires_at = utcnow() - timedelta(minutes=6)
    db_session.commit()
    card.pay(paid_meanwhile.checkout_session_id)  # paid; its webhook lost

    result = app.test_cli_runner().invoke(args=["sweep-pledges"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "paid: 1, released: 1, lapsed: 0, refunds retried: 0, refunds reconciled: 0"
    db_session.refresh(abandoned)
    db_session.refresh(paid_meanwhile)
    assert (abandoned.status, paid_meanwhile.status) == (S.CANCELLED, S.PAID)
    assert counters(need) == (0, 100_000) == expected_counters(need.id)


def test_the_sweep_retries_the_refund_of_redirected_money_too(db_session, client, card, office, staff_user,
                                                              monkeypatch):
    from sqlalchemy import select

    from marketplace.needs.lifecycle import NEED_LIFECYCLE
    from marketplace.pledges.models import Pledge

    source, target = open_need(household__office=office), open_need(household__office=office)
    pledge = paid_card_pledge(client, card, source, patron(), 300_000, allow_redirect=True)
    NEED_LIFECYCLE.apply(source, "cancel", actor=staff_user, reason="moved")
    db_session.commit()
    successor = db_session.scalar(select(Pledge).where(Pledge.redirected_from_id == pledge.id))
    working = gateway.refund

    def unreachable(**kwargs):
        raise gateway.PaymentError("Stripe is down")

    monkeypatch.setattr(gateway, "refund", unreachable)
    NEED_LIFECYCLE.apply(target, "cancel", actor=staff_user, reason="duplicate")
    db_session.commit()
    assert successor.status is S.REFUND_PENDING and card.refunds == {}

    monkeypatch.setattr(gateway, "refund", working)
    assert sweep(db_session) == {**NOTHING, "refunds_retried": 1}
    [refund] = card.refunds.values()
    assert (refund["payment_intent"], refund["amount"]) == (pledge.payment_intent_id, 300_000)


def test_stripe_failing_on_one_checkout_does_not_stop_the_sweep(db_session, card, monkeypatch):
    need, who = open_need(), patron()
    first, second = card_pledge(need, who, 100_000), card_pledge(need, who, 100_000)
    for pledge in (first, second):
        pledge.checkout_expires_at = utcnow() - timedelta(minutes=6)
    db_session.commit()
    working = gateway.expire_checkout

    def flaky(session_id):
        if session_id == first.checkout_session_id:
            raise gateway.PaymentError("Stripe is down for this one")
        return working(session_id)

    monkeypatch.setattr(gateway, "expire_checkout", flaky)
    assert sweep(db_session) == {**NOTHING, "released": 1}
    db_session.refresh(first)
    db_session.refresh(second)
    assert (first.status, second.status) == (S.PENDING, S.CANCELLED)  # the first waits for the next run
    monkeypatch.setattr(gateway, "expire_checkout", working)
    assert sweep(db_session) == {**NOTHING, "released": 1}
    db_session.refresh(first)
    assert first.status is S.CANCELLED
