"""Payment events: what Stripe's webhook reports (a checkout paid or expired, a payment, a refund), applied
to the pledge it names exactly once, in the caller's transaction.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from marketplace.core.extensions import db
from marketplace.needs.models import Need
from marketplace.needs.progress import sync_progress
from marketplace.pledges.models import PaymentEvent, Pledge, PledgeStatus as S
from marketplace.pledges.notices import tell
from marketplace.pledges.services import change_quietly, holding, lock_need_then_pledge, shift_counters
from marketplace.pledges.settlement import send_refund

def handle_event(event) -> str:
    """Apply one verified provider event exactly once, in the caller's transaction; what it did, in words.

    The event's id goes into payment_events under a unique index before anything else: a redelivery
    (or the same event racing itself on another worker) meets that index and changes nothing. Events may
    come in any order; each handler reaches the same end state from wherever the pledge is.
    """
    pledge = _pledge_of(event)
    if pledge is not None:
        lock_need_then_pledge(pledge)  # fix: the locks before the event row (see lock_need_then_pledge)
    stored = PaymentEvent(event_id=event["id"], type=event["type"], pledge_id=pledge.id if pledge else None)
    try:
        with db.session.begin_nested():
            db.session.add(stored)
    except IntegrityError:
        return "duplicate"
    handler = _HANDLERS.get(event["type"])
    if handler is None:
        outcome = "ignored"
    elif pledge is None:
        outcome = "no pledge"
    else:
        outcome = handler(pledge, event["data"]["object"])
    stored.outcome = outcome
    return outcome


def _pledge_of(event) -> Pledge | None:
    obj = event["data"]["object"]
    metadata = obj.get("metadata") or {}
    pledge_id = metadata.get("pledge_id") or obj.get("client_reference_id")
    pledge = None
    if pledge_id and str(pledge_id).isdigit() and int(pledge_id) < 2**31:
        pledge = db.session.get(Pledge, int(pledge_id))
    if pledge is None and obj.get("object") == "checkout.session":
        pledge = db.session.scalar(select(Pledge).where(Pledge.checkout_session_id == obj.get("id")))
    intent = obj.get("payment_intent") if obj.get("object") != "payment_intent" else obj.get("id")
    if pledge is None and isinstance(intent, str):
        pledge = db.session.scalar(select(Pledge).where(Pledge.payment_intent_id == intent))
    return pledge


def _on_session_completed(pledge: Pledge, session) -> str:
    if session.get("payment_status") != "paid":
        return "not paid yet"
    return paid(pledge, session.get("payment_intent"), session.get("amount_total"))


def _on_intent_succeeded(pledge: Pledge, intent) -> str:
    return paid(pledge, intent.get("id"), intent.get("amount_received") or intent.get("amount"))


def _on_session_expired(pledge: Pledge, _session) -> str:
    if pledge.status is not S.PENDING:
        return f"already {pledge.status.value}"
    released = change_quietly(pledge, "cancel", reason="the card checkout expired unpaid")
    return "released" if released else "already moved"


def on_charge_refunded(pledge: Pledge, charge) -> str:
    """Stripe refunded (some of) a card payment: `charge` carries its running total; the counters move by
    what is new, and a pledge refunded in full ends refunded (the sweep records a missed event this way)."""
    lock_need_then_pledge(pledge)
    if pledge.status is S.REDIRECTED:
        successor = db.session.scalar(select(Pledge).where(Pledge.redirected_from_id == pledge.id))
        if successor is not None:
            # Fix: the charge's amount_refunded is Stripe's running total for the whole charge, but the
            # successor holds only what was left at the redirect; what had been refunded before it
            # (this pledge's amount_refunded) is not the successor's and was counted twice.
            charge = {**charge, "amount_refunded": max(0, int(charge.get("amount_refunded") or 0)
                                                       - pledge.amount_refunded)}
            return on_charge_refunded(successor, charge)
    if pledge.status is S.PENDING:  # the refund overtook the payment's own events
        paid(pledge, charge.get("payment_intent"), charge.get("amount"))
    refunded = min(int(charge.get("amount_refunded") or 0), pledge.amount)
    if refunded <= pledge.amount_refunded:
        return "nothing new"
    before = holding(pledge)
    grown = db.session.execute(
        update(Pledge).where(Pledge.id == pledge.id, Pledge.amount_refunded < refunded)
        .values(amount_refunded=refunded).execution_options(synchronize_session=False))
    if grown.rowcount != 1:
        return "nothing new"
    db.session.refresh(pledge, attribute_names=["amount_refunded"])
    shift_counters(pledge, before)
    if refunded >= pledge.amount and pledge.status in (S.PAID, S.REFUND_PENDING, S.DELIVERED):
        change_quietly(pledge, "refunded", reason="refunded by card")
        tell(pledge, "pledge.refunded")
    else:
        need = db.session.get(Need, pledge.need_id)
        db.session.refresh(need, attribute_names=["money_raised", "money_reserved", "status"])
        sync_progress(need)
    return f"refunded {refunded}"


def paid(pledge: Pledge, payment_intent_id: str | None, amount: int | None) -> str:
    """The provider says the pledge's money arrived."""
    lock_need_then_pledge(pledge)  # before the first write below: the need's row, then the pledge's (see there)
    if payment_intent_id and pledge.payment_intent_id is None:
        pledge.payment_intent_id = payment_intent_id
    if amount is not None and int(amount) != pledge.amount:
        current_app.logger.error("pledge %s: paid %s, expected %s", pledge.id, amount, pledge.amount)
    if pledge.status is S.PENDING:
        if change_quietly(pledge, "pay"):
            tell(pledge, "pledge.paid")
            return "paid"
    if pledge.status is S.CANCELLED and pledge.payment_intent_id:
        # Paid after the pledge lapsed (its reservation may be someone else's now): give it back.
        if change_quietly(pledge, "refund_late_payment", reason="paid after the pledge was cancelled"):
            if pledge.amount_refunded >= pledge.amount:
                # Fix: its charge.refunded came first (refunded in Stripe's dashboard before any of the
                # payment's events reached us): nothing is left to send, and asking Stripe to refund 0
                # failed, leaving the pledge in refund_pending for good. End where the other order ends.
                if change_quietly(pledge, "refunded", reason="refunded by card"):
                    tell(pledge, "pledge.refunded")
                return "late payment already refunded"
            send_refund(pledge)
            return "late payment refunded"
    return f"already {pledge.status.value}"


_HANDLERS = {
    "checkout.session.completed": _on_session_completed,
    "checkout.session.async_payment_succeeded": _on_session_completed,
    "payment_intent.succeeded": _on_intent_succeeded,
    "checkout.session.expired": _on_session_expired,
    "charge.refunded": on_charge_refunded,
}
