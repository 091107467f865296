"""The sweep (`flask sweep-pledges`, from cron): what the payment events missed, caught up on.

Unlike the services, the sweep commits: each pledge is settled and committed on its own (see `sweep`).
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from marketplace.core.dbtypes import utcnow
from marketplace.core.extensions import db
from marketplace.payments import gateway
from marketplace.pledges.models import PaymentProvider, Pledge, PledgeKind, PledgeStatus as S
from marketplace.pledges.notices import tell
from marketplace.pledges.payment_events import on_charge_refunded, paid
from marketplace.pledges.services import change_quietly
from marketplace.pledges.settlement import payment_intent_of, send_refund

def sweep(now=None) -> dict[str, int]:
    """Catch up on what events missed: checkouts past their expiry, transfers nobody made, refunds
    Stripe did not take. Safe to run at any time, twice, or alongside the webhook.

    Fix: each pledge is settled and committed on its own. In one transaction for all of them, the sweep
    held the need's row from the first pledge it settled while waiting for the next pledge's row, which
    a webhook held while waiting for the need's row: PostgreSQL broke the deadlock by aborting one of
    them, and when that was the sweep, all of its work was rolled back."""
    now = now or utcnow()
    counts = {"paid": 0, "released": 0, "lapsed": 0, "refunds_retried": 0, "refunds_reconciled": 0}
    grace = now - timedelta(minutes=5)
    stale = db.session.scalars(select(Pledge).where(
        Pledge.status == S.PENDING, Pledge.kind == PledgeKind.MONEY, Pledge.provider == PaymentProvider.STRIPE,
        ((Pledge.checkout_expires_at < grace) |
         (Pledge.checkout_session_id.is_(None) & (Pledge.created_at < now - timedelta(hours=1)))))).all()
    for pledge in stale:
        outcome = _sweep_checkout(pledge)
        if outcome:
            counts[outcome] += 1
        db.session.commit()
    days = current_app.config["PLEDGE_TRANSFER_DAYS"]
    for pledge in db.session.scalars(select(Pledge).where(
            Pledge.status == S.AWAITING_TRANSFER, Pledge.created_at < now - timedelta(days=days))).all():
        if change_quietly(pledge, "cancel", reason=f"no transfer arrived within {days} days"):
            counts["lapsed"] += 1
            tell(pledge, "pledge.lapsed")
        db.session.commit()
    for pledge in db.session.scalars(select(Pledge).where(
            Pledge.status == S.REFUND_PENDING, Pledge.provider == PaymentProvider.STRIPE,
            Pledge.payment_intent_id.is_not(None) | Pledge.redirected_from_id.is_not(None))).all():
        if payment_intent_of(pledge):  # fix: redirected money too (see payment_intent_of)
            outcome = _sweep_refund(pledge)
            if outcome:
                counts[outcome] += 1
            db.session.commit()
    return counts


def _sweep_refund(pledge: Pledge) -> str | None:
    """A refund still pending: if Stripe already refunded (its charge.refunded event was missed), record
    it as that event would; else ask again under the same key (Stripe replays a refund it made)."""
    original = pledge
    while original.payment_intent_id is None and original.redirected_from is not None:
        original = original.redirected_from
    try:
        charge = gateway.latest_charge(original.payment_intent_id)
    except gateway.PaymentError:
        return None
    if charge is not None and int(charge.get("amount_refunded") or 0) > original.amount_refunded:
        on_charge_refunded(original, charge)
        db.session.refresh(pledge, attribute_names=["status"])
        if pledge.status is S.REFUNDED:
            return "refunds_reconciled"
    return "refunds_retried" if send_refund(pledge) else None


def _sweep_checkout(pledge: Pledge) -> str | None:
    """One card checkout past its expiry: "paid" (it was, the webhook was missed), "released", or None."""
    if pledge.checkout_session_id:
        try:
            session = gateway.retrieve_checkout(pledge.checkout_session_id)
        except gateway.PaymentError:
            return None
        if session.get("status") == "complete" and session.get("payment_status") == "paid":
            outcome = paid(pledge, session.get("payment_intent"), session.get("amount_total"))
            return "paid" if outcome == "paid" else None
        if session.get("status") == "open":
            try:
                if gateway.expire_checkout(pledge.checkout_session_id) is None:
                    return None  # completed meanwhile: its webhook (or the next sweep) settles it
            except gateway.PaymentError:
                return None  # Stripe did not answer: the next sweep asks again; the others go on now
    return "released" if change_quietly(pledge, "cancel", reason="the card checkout expired unpaid") else None
