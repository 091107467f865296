"""Settling what a pledge holds when its need closes or the office gives money back: release what is
pending, refund what was paid (through Stripe for a card, by hand for a transfer), or move it to a
similar request when the patron allowed it. Each patron is told; nothing here commits.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select, update

from marketplace.core import audit
from marketplace.core.extensions import db
from marketplace.core.money import format_money
from marketplace.needs.models import OPEN_STATES, Need
from marketplace.notifications import notify
from marketplace.payments import gateway
from marketplace.pledges.models import PaymentProvider, Pledge, PledgeKind, PledgeStatus as S
from marketplace.pledges.notices import tell
from marketplace.pledges.services import change_pledge, change_quietly, lock_need_then_pledge


def settle_closed_need(need: Need, *, why: str | None) -> None:
    """The need was cancelled (`why`: the reason given) or expired (`why` None): release what is pending,
    and give back or move what was paid; each patron is told."""
    # Patrons are told in the notice's own words: a reason written by the family or for the family may
    # carry their private details, so it stays in the pledge's record and the audit log only.
    notice = "_withdrawn" if why else "_expired"
    why_logged = why or "the request expired"
    pledges = db.session.scalars(select(Pledge).where(
        Pledge.need_id == need.id, Pledge.status.in_((S.PENDING, S.AWAITING_TRANSFER, S.PAID)))
        .order_by(Pledge.id)).all()
    for pledge in pledges:
        if pledge.status is S.PENDING and pledge.checkout_session_id:
            _close_checkout(pledge, why=why_logged)
        elif pledge.status in (S.PENDING, S.AWAITING_TRANSFER):
            change_quietly(pledge, "cancel", reason=why_logged)
        elif pledge.status is S.PAID:
            if pledge.allow_redirect and redirect_pledge(pledge, why=why_logged,
                                                         notice=f"pledge.redirected{notice}") is not None:
                continue  # redirect_pledge() tells the patron where the money went
            give_back(pledge, why=why_logged)
        if pledge.status in (S.CANCELLED, S.REFUND_PENDING):
            kind = "pledge.cancelled" if pledge.status is S.CANCELLED else "pledge.refunding"
            tell(pledge, kind + notice)


def settle_unpaid_of_fulfilled_need(need: Need) -> None:
    """The need was met without them: money pledges not paid yet are cancelled, and their patrons told."""
    for pledge in db.session.scalars(select(Pledge).where(
            Pledge.need_id == need.id, Pledge.kind == PledgeKind.MONEY,
            Pledge.status.in_((S.PENDING, S.AWAITING_TRANSFER))).order_by(Pledge.id)).all():
        if pledge.status is S.PENDING and pledge.checkout_session_id:
            _close_checkout(pledge, why="the request was met")
        else:
            change_quietly(pledge, "cancel", reason="the request was met")
        if pledge.status is S.CANCELLED:
            tell(pledge, "pledge.cancelled_met")


def _close_checkout(pledge: Pledge, *, why: str) -> None:
    """Expire the open checkout at Stripe, then cancel; if it was paid meanwhile, its webhook (or the
    sweep) finds the pledge cancelled and refunds it."""
    try:
        gateway.expire_checkout(pledge.checkout_session_id)
    except gateway.PaymentError:
        current_app.logger.warning("could not expire checkout of pledge %s; the sweep will retry", pledge.id)
    change_quietly(pledge, "cancel", reason=why)


def give_back(pledge: Pledge, *, why: str, actor=None) -> None:
    """Refund a paid pledge: through Stripe for a card, by hand (staff confirm) for a transfer. `actor` is
    the staff member who decided it; None when the need closed."""
    change_pledge(pledge, "refund", actor=actor, reason=why)
    if pledge.provider is PaymentProvider.STRIPE and payment_intent_of(pledge):
        send_refund(pledge)


def payment_intent_of(pledge: Pledge) -> str | None:
    """The card payment behind a pledge: its own, or for redirected money the one it was first paid with.

    Fix: a redirect's successor has no payment_intent_id of its own (the column is unique and the card
    was charged for the first need), so when its new need closed too its refund was never sent, nor
    retried by the sweep: the money stayed in refund_pending for good. It goes back through the original
    payment; that payment's charge.refunded finds the successor through the redirected pledge."""
    hops = 0
    while pledge.payment_intent_id is None and pledge.redirected_from is not None and hops < 20:
        pledge, hops = pledge.redirected_from, hops + 1
    return pledge.payment_intent_id


def send_refund(pledge: Pledge) -> bool:
    """Ask Stripe to refund what is left of the pledge; the charge.refunded event records it."""
    try:
        gateway.refund(pledge_id=pledge.id, payment_intent_id=payment_intent_of(pledge),
                        amount=pledge.amount - pledge.amount_refunded)
    except gateway.PaymentError:
        current_app.logger.warning("refund of pledge %s failed; the sweep will retry", pledge.id)
        return False
    return True


def similar_need(pledge: Pledge) -> Need | None:
    """Where a redirected pledge goes: an open need of the same office with room for the whole amount,
    of the same category first, then the most urgent and the oldest."""
    source = pledge.need
    left = pledge.amount - pledge.amount_refunded  # fix: what moves is what was not refunded
    return db.session.scalars(
        select(Need).where(
            Need.id != source.id, Need.office_id == source.office_id, Need.status.in_(OPEN_STATES),
            Need.hidden_at.is_(None), Need.money_goal.is_not(None),
            Need.money_raised + Need.money_reserved <= Need.money_goal - left)
        .order_by((Need.category != source.category), Need.urgency_rank, Need.created_at, Need.id)
        .limit(1)
    ).first()


def redirect_pledge(pledge: Pledge, *, why: str, notice: str = "pledge.redirected_withdrawn") -> Pledge | None:
    """Move a paid pledge to a similar need of the same office (the patron agreed when pledging)."""
    # Fix: a partly refunded pledge moves only what is left of it. The target used to be credited with
    # the full amount while its new pledge holds amount - amount_refunded, so the target's money_raised
    # no longer added up from its pledges (and could reach the goal with money that had been given back).
    lock_need_then_pledge(pledge)
    left = pledge.amount - pledge.amount_refunded
    for _attempt in range(3):  # another patron may take the room first: try the next need
        target = similar_need(pledge)
        if target is None:
            return None
        moved = db.session.execute(
            update(Need).where(Need.id == target.id, Need.status.in_(OPEN_STATES), Need.hidden_at.is_(None),
                               Need.money_raised + Need.money_reserved <= Need.money_goal - left)
            .values(money_reserved=Need.money_reserved + left).execution_options(synchronize_session=False))
        if moved.rowcount == 1:
            break
    else:
        return None
    change_pledge(pledge, "redirect", actor=None, reason=why)
    # The money arrives on the target as any pledge does: reserved above (under the goal's cap), then
    # moved to raised by the state machine's own transition, audited like every other.
    successor = Pledge(
        need_id=target.id, patron_id=pledge.patron_id, office_id=target.office_id, kind=PledgeKind.MONEY,
        amount=left, status=S.PENDING, anonymous=pledge.anonymous,
        allow_redirect=pledge.allow_redirect, provider=pledge.provider, redirected_from_id=pledge.id)
    db.session.add(successor)
    db.session.flush()
    audit.record("pledge.redirected_in", successor, actor=None, object_type="pledge", to_state=S.PENDING,
                 office_id=target.office_id,
                 details={"note": "moved_from_pledge", "from_pledge": pledge.id, "from_need": pledge.need_id})
    change_pledge(successor, "receive_redirect", actor=None,
                  details={"note": "moved_from_pledge", "from_pledge": pledge.id, "from_need": pledge.need_id})
    successor.paid_at = pledge.paid_at  # paid once, when the patron paid for the first request
    if pledge.patron is not None:
        notify(pledge.patron, notice,
               params={"amount": format_money(successor.amount), "title": pledge.need.title, "target": target.title,
                       }, link=f"/needs/{target.id}")
    return successor
