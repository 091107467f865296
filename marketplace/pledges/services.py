"""Pledge operations: reserve, pay, deliver, cancel, refund and redirect, and the payment events.

The rule behind every one: a pledge's status changes first, by compare-and-set in its state machine, and
only the request that made that change moves the need's counters, by one conditional UPDATE whose WHERE
clause holds the cap (paid + reserved never above the goal; pledged goods never above the quantity). So
any number of patrons, webhooks and staff can act at once and the numbers still add up.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from marketplace.core import audit
from marketplace.core.dbtypes import utcnow
from marketplace.core.extensions import db
from marketplace.core.money import format_money
from marketplace.core.lifecycle import IllegalTransition
from marketplace.needs.models import Need, NeedItem, NeedStatus
from marketplace.needs.progress import sync_progress
from marketplace.pledges import payments
from marketplace.pledges.lifecycle import PLEDGE_LIFECYCLE
from marketplace.pledges.models import (
    GoodsDelivery,
    PaymentEvent,
    PaymentProvider,
    Pledge,
    PledgeKind,
    PledgeStatus as S,
)

OPEN = (NeedStatus.VERIFIED, NeedStatus.IN_PROGRESS)
MIN_AMOUNT = 100_00  # 100 ₸: below this the card fee costs more than the gift
# Statuses whose money counts on the need: reserved (promised, not yet paid) or raised (paid).
_RESERVING = frozenset({S.PENDING, S.AWAITING_TRANSFER})
_RAISED = frozenset({S.PAID, S.DELIVERED})
# Statuses whose goods count as pledged on the item line (and, delivered, as received).
_GOODS_HELD = frozenset({S.PENDING, S.DELIVERED})


class PledgeRefused(Exception):
    """A pledge that cannot be made or changed, with the reason in the patron's language; nothing changed."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


# --- making a pledge -----------------------------------------------------------------------------

def _open_need_or_refuse(need: Need) -> None:
    if need.status not in OPEN or need.hidden_at is not None:
        raise PledgeRefused(_("This request no longer takes pledges."), code="need_closed")


def _refuse_what_does_not_fit(need: Need) -> None:
    """A money pledge too big for what is still open: say how much is, or that nothing is."""
    if need.money_open <= 0:
        raise PledgeRefused(_("Thank you, but this request is already fully covered."), code="fully_covered")
    raise PledgeRefused(_("Only %(amount)s is still missing; please pledge at most that.",
                          amount=format_money(need.money_open)), code="over_goal")


def pledge_money(need: Need, patron, *, amount: int, anonymous: bool = False, allow_redirect: bool = False,
                 card: bool | None = None, form_token: str | None = None) -> Pledge:
    """Reserve `amount` (tiyn) of the need's goal for the patron: by card when Stripe is configured (unless
    `card=False`: a transfer), else as a transfer staff will confirm. Raises PledgeRefused (nothing changed)
    when it does not fit."""
    _open_need_or_refuse(need)
    if not need.money_goal:
        raise PledgeRefused(_("This request does not ask for money."), code="no_money_goal")
    if amount < MIN_AMOUNT:
        raise PledgeRefused(_("The smallest pledge is %(amount)s.", amount=format_money(MIN_AMOUNT)),
                            code="too_small")
    if amount > need.money_goal:  # also keeps the arithmetic below inside the database's integers
        # Fix: told like any pledge that does not fit, from the counters as they are now (the copy the
        # caller holds may be stale, and a covered need was answered "Only 0 ₸ is still missing").
        db.session.refresh(need, attribute_names=["money_raised", "money_reserved"])
        _refuse_what_does_not_fit(need)
    reserved = db.session.execute(
        update(Need)
        .where(Need.id == need.id, Need.status.in_(OPEN), Need.hidden_at.is_(None), Need.money_goal.is_not(None),
               # goal - amount ≥ 0 here, so no sum can overflow a 32-bit integer whatever the goal
               Need.money_raised + Need.money_reserved <= Need.money_goal - amount)
        .values(money_reserved=Need.money_reserved + amount)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(need, attribute_names=["money_raised", "money_reserved", "status", "hidden_at"])
    if reserved.rowcount != 1:
        _open_need_or_refuse(need)
        _refuse_what_does_not_fit(need)
    if card is None or not payments.card_payments_enabled():  # no cards without Stripe, whatever was asked
        card = payments.card_payments_enabled()
    pledge = Pledge(
        need_id=need.id, patron_id=patron.id, office_id=need.office_id, kind=PledgeKind.MONEY, amount=amount,
        status=S.PENDING if card else S.AWAITING_TRANSFER, anonymous=anonymous, allow_redirect=allow_redirect,
        provider=PaymentProvider.STRIPE if card else PaymentProvider.OFFLINE, form_token=form_token,
    )
    db.session.add(pledge)
    db.session.flush()  # a second pledge from the same form meets the unique token here (IntegrityError)
    audit.record("pledge.create", pledge, actor=patron, object_type="pledge", to_state=pledge.status,
                 office_id=need.office_id, reason=f"need #{need.id}: {amount} tiyn")
    return pledge


def start_checkout(pledge: Pledge, *, success_url: str, cancel_url: str) -> str:
    """Open (or, on a retry, find again) the pledge's Stripe Checkout Session; its page's address.
    Called after the reservation is committed; if Stripe cannot be reached the pledge is cancelled."""
    if pledge.checkout_url and pledge.status is S.PENDING:
        return pledge.checkout_url
    minutes = current_app.config["CHECKOUT_MINUTES"]
    # From the pledge, not the clock: a retry after a lost answer must send the very same parameters, or
    # Stripe refuses the idempotency key instead of replaying the session it made. The extra minute keeps
    # the expiry past Stripe's 30-minute minimum when the session is created a few seconds after the pledge.
    expires_at = pledge.created_at.replace(microsecond=0) + timedelta(minutes=minutes + 1)
    need = pledge.need
    try:
        session = payments.create_checkout(
            pledge_id=pledge.id, need_id=need.id, amount=pledge.amount, title=need.title, expires_at=expires_at,
            success_url=success_url, cancel_url=cancel_url, email=pledge.patron.email if pledge.patron else None)
    except payments.PaymentError as exc:
        change_pledge(pledge, "cancel", actor=None, reason="the card payment service could not be reached")
        raise PledgeRefused(_("Card payments are unavailable just now. Please try again later."),
                            code="provider_unavailable") from exc
    pledge.checkout_session_id, pledge.checkout_url = session.id, session.url
    pledge.checkout_expires_at = expires_at
    return session.url


def pledge_from_form(patron, form_token: str | None) -> Pledge | None:
    """The patron's pledge already made from this form (a double tap, a resent form), if any."""
    if not form_token:
        return None
    return db.session.scalar(select(Pledge).where(Pledge.form_token == form_token, Pledge.patron_id == patron.id))


def pledge_goods(need: Need, patron, *, item_id: int, quantity: int, delivery: GoodsDelivery,
                 anonymous: bool = False, form_token: str | None = None) -> Pledge:
    """Promise `quantity` of one of the need's goods lines; never more than is still missing. A
    delivery by volunteer opens one more volunteer place on the need."""
    _open_need_or_refuse(need)
    item = db.session.get(NeedItem, item_id)
    if item is None or item.need_id != need.id:
        raise PledgeRefused(_("Choose one of the goods this request asks for."), code="no_such_item")
    if quantity < 1:
        raise PledgeRefused(_("Pledge at least one."), code="too_small")
    # The need's row first, as everywhere (see _read_locked): a volunteer delivery writes to it below.
    db.session.execute(select(Need.id).where(Need.id == need.id).with_for_update(key_share=True))
    db.session.refresh(need, attribute_names=["status", "hidden_at", "volunteer_slots", "slots_filled"])
    _open_need_or_refuse(need)
    taken = db.session.execute(
        update(NeedItem)
        .where(NeedItem.id == item.id, NeedItem.quantity_pledged + quantity <= NeedItem.quantity,
               select(Need.id).where(Need.id == need.id, Need.status.in_(OPEN), Need.hidden_at.is_(None)).exists())
        .values(quantity_pledged=NeedItem.quantity_pledged + quantity)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(item, attribute_names=["quantity_pledged"])
    if taken.rowcount != 1:
        db.session.refresh(need, attribute_names=["status", "hidden_at"])
        _open_need_or_refuse(need)
        if item.missing <= 0:
            raise PledgeRefused(_("Thank you, but all of “%(name)s” is already pledged.", name=item.name),
                                code="fully_covered")
        raise PledgeRefused(_("Only %(n)d of “%(name)s” are still missing; please pledge at most that.",
                              n=item.missing, name=item.name), code="over_goal")
    pledge = Pledge(need_id=need.id, patron_id=patron.id, office_id=need.office_id, kind=PledgeKind.GOODS,
                    item_id=item.id, quantity=quantity, delivery=delivery, status=S.PENDING, anonymous=anonymous,
                    form_token=form_token)
    db.session.add(pledge)
    db.session.flush()
    if delivery is GoodsDelivery.VOLUNTEER:
        db.session.execute(update(Need).where(Need.id == need.id).values(volunteer_slots=Need.volunteer_slots + 1)
                           .execution_options(synchronize_session=False))
        db.session.refresh(need, attribute_names=["volunteer_slots", "slots_filled"])
    audit.record("pledge.create", pledge, actor=patron, object_type="pledge", to_state=pledge.status,
                 office_id=need.office_id, reason=f"need #{need.id}: {quantity} × {item.name}")
    _sync(need)
    return pledge


# --- changing a pledge ---------------------------------------------------------------------------

def change_pledge(pledge: Pledge, transition: str, *, actor, reason: str | None = None) -> Pledge:
    """Move a pledge through its lifecycle and move the need's counters by the difference it makes."""
    _read_locked(pledge)
    before = _holding(pledge)
    PLEDGE_LIFECYCLE.apply(pledge, transition, actor=actor, reason=reason)
    _shift_counters(pledge, before)
    if transition in ("pay", "confirm_transfer") and pledge.receipt_number is None:
        pledge.receipt_number = f"SW-{pledge.paid_at:%Y}-{pledge.id:07d}"
    if pledge.kind is PledgeKind.GOODS and transition == "cancel" and pledge.delivery is GoodsDelivery.VOLUNTEER:
        # The volunteer place the delivery opened closes again, unless a volunteer already took it.
        db.session.execute(update(Need).where(Need.id == pledge.need_id, Need.volunteer_slots > Need.slots_filled)
                           .values(volunteer_slots=Need.volunteer_slots - 1)
                           .execution_options(synchronize_session=False))
    need = db.session.get(Need, pledge.need_id)
    db.session.refresh(need, attribute_names=["money_raised", "money_reserved", "volunteer_slots", "slots_filled",
                                              "status"])
    _sync(need)
    return pledge


def _read_locked(pledge: Pledge) -> None:
    """Lock the pledge's row (its need's row first) and read its status and refunded amount
    afresh; the locks hold until the transaction ends.

    Fix: what a pledge holds on its need used to be computed from the copy loaded at the start of the
    request. On PostgreSQL another request (a charge.refunded webhook, the office cancelling the need)
    may commit in between, and the counters then moved by a stale difference: two partial refunds
    reported at once were counted twice, and a cancel racing a partial refund drove money_raised below
    zero (the CHECK constraint failed the cancel) and asked Stripe to refund more than was left.
    (SQLite already refuses a writer whose snapshot went stale: "database is locked", a 409.)

    The order is the need, then the pledge, everywhere: the office cancelling a need holds the need's
    row before it settles the pledges one by one, while the webhook used to hold a pledge's row before it
    reached the need's, and the two deadlocked. The pledge's lock is FOR UPDATE because paying it writes
    unique columns (payment_intent_id, receipt_number), which PostgreSQL locks that strongly anyway; the
    webhook takes it before storing the event row, whose foreign key would otherwise hold a KEY SHARE
    lock on the pledge that a second event's request then waited on (another deadlock).
    """
    # Goods too: cancelling a goods pledge touches its item line and, for a volunteer delivery, the need.
    db.session.execute(select(Need.id).where(Need.id == pledge.need_id).with_for_update(key_share=True))
    db.session.refresh(pledge, attribute_names=["status", "amount_refunded"], with_for_update=True)


def _holding(pledge: Pledge) -> tuple[int, int, int, int]:
    """(money reserved, money raised, goods pledged, goods received) that the pledge holds on its need."""
    if pledge.kind is PledgeKind.MONEY:
        reserved = pledge.amount if pledge.status in _RESERVING else 0
        raised = pledge.amount - pledge.amount_refunded if pledge.status in _RAISED else 0
        return reserved, raised, 0, 0
    pledged = pledge.quantity if pledge.status in _GOODS_HELD else 0
    received = pledge.quantity if pledge.status is S.DELIVERED else 0
    return 0, 0, pledged, received


def _shift_counters(pledge: Pledge, before: tuple[int, int, int, int]) -> None:
    after = _holding(pledge)
    d_reserved, d_raised, d_pledged, d_received = (a - b for a, b in zip(after, before, strict=True))
    if d_reserved or d_raised:
        # Only a payment (reserved → raised, total unchanged), a release or a refund moves money here: none
        # can pass the goal. A redirected payment arriving on another need goes through _redirect_to.
        db.session.execute(update(Need).where(Need.id == pledge.need_id).values(
            money_reserved=Need.money_reserved + d_reserved, money_raised=Need.money_raised + d_raised)
            .execution_options(synchronize_session=False))
    if (d_pledged or d_received) and pledge.item_id is not None:
        db.session.execute(update(NeedItem).where(NeedItem.id == pledge.item_id).values(
            quantity_pledged=NeedItem.quantity_pledged + d_pledged,
            quantity_received=NeedItem.quantity_received + d_received)
            .execution_options(synchronize_session=False))


def _sync(need: Need) -> None:
    sync_progress(need)


# --- a closed need: cancel, refund or redirect ---------------------------------------------------

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
            _quietly(pledge, "cancel", reason=why_logged)
        elif pledge.status is S.PAID:
            if pledge.allow_redirect and redirect(pledge, why=why_logged,
                                                  notice=f"pledge.redirected{notice}") is not None:
                continue  # redirect() tells the patron where the money went
            give_back(pledge, why=why_logged)
        if pledge.status in (S.CANCELLED, S.REFUND_PENDING):
            kind = "pledge.cancelled" if pledge.status is S.CANCELLED else "pledge.refunding"
            _tell(pledge, kind + notice)


def settle_unpaid_of_fulfilled_need(need: Need) -> None:
    """The need was met without them: money pledges not paid yet are cancelled, and their patrons told."""
    for pledge in db.session.scalars(select(Pledge).where(
            Pledge.need_id == need.id, Pledge.kind == PledgeKind.MONEY,
            Pledge.status.in_((S.PENDING, S.AWAITING_TRANSFER))).order_by(Pledge.id)).all():
        if pledge.status is S.PENDING and pledge.checkout_session_id:
            _close_checkout(pledge, why="the request was met")
        else:
            _quietly(pledge, "cancel", reason="the request was met")
        if pledge.status is S.CANCELLED:
            _tell(pledge, "pledge.cancelled_met")


def _close_checkout(pledge: Pledge, *, why: str) -> None:
    """Expire the open checkout at Stripe, then cancel; if it was paid meanwhile, its webhook (or the
    sweep) finds the pledge cancelled and refunds it."""
    try:
        payments.expire_checkout(pledge.checkout_session_id)
    except payments.PaymentError:
        current_app.logger.warning("could not expire checkout of pledge %s; the sweep will retry", pledge.id)
    _quietly(pledge, "cancel", reason=why)


def give_back(pledge: Pledge, *, why: str, actor=None) -> None:
    """Refund a paid pledge: through Stripe for a card, by hand (staff confirm) for a transfer. `actor` is
    the staff member who decided it; None when the need closed."""
    change_pledge(pledge, "refund", actor=actor, reason=why)
    if pledge.provider is PaymentProvider.STRIPE and _payment_intent_of(pledge):
        send_refund(pledge)


def _payment_intent_of(pledge: Pledge) -> str | None:
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
        payments.refund(pledge_id=pledge.id, payment_intent_id=_payment_intent_of(pledge),
                        amount=pledge.amount - pledge.amount_refunded)
    except payments.PaymentError:
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
            Need.id != source.id, Need.office_id == source.office_id, Need.status.in_(OPEN),
            Need.hidden_at.is_(None), Need.money_goal.is_not(None),
            Need.money_raised + Need.money_reserved <= Need.money_goal - left)
        .order_by((Need.category != source.category), Need.urgency_rank, Need.created_at, Need.id)
        .limit(1)
    ).first()


def redirect(pledge: Pledge, *, why: str, notice: str = "pledge.redirected_withdrawn") -> Pledge | None:
    """Move a paid pledge to a similar need of the same office (the patron agreed when pledging)."""
    # Fix: a partly refunded pledge moves only what is left of it. The target used to be credited with
    # the full amount while its new pledge holds amount - amount_refunded, so the target's money_raised
    # no longer added up from its pledges (and could reach the goal with money that had been given back).
    _read_locked(pledge)
    left = pledge.amount - pledge.amount_refunded
    for _attempt in range(3):  # another patron may take the room first: try the next need
        target = similar_need(pledge)
        if target is None:
            return None
        moved = db.session.execute(
            update(Need).where(Need.id == target.id, Need.status.in_(OPEN), Need.hidden_at.is_(None),
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
                 office_id=target.office_id, reason=f"from pledge #{pledge.id} on need #{pledge.need_id}")
    change_pledge(successor, "receive_redirect", actor=None, reason=f"moved from pledge #{pledge.id}")
    successor.paid_at = pledge.paid_at  # paid once, when the patron paid for the first request
    from marketplace.notifications import notify

    if pledge.patron is not None:
        notify(pledge.patron, notice,
               params={"amount": format_money(successor.amount), "title": pledge.need.title, "target": target.title,
                       }, link=f"/needs/{target.id}")
    return successor


def _quietly(pledge: Pledge, transition: str, *, reason: str | None = None) -> bool:
    """A system transition that another request may have made first: False (and nothing done) then."""
    try:
        change_pledge(pledge, transition, actor=None, reason=reason)
    except IllegalTransition:
        return False
    return True


# --- payment events (the Stripe webhook) ----------------------------------------------------------

def handle_event(event) -> str:
    """Apply one verified provider event exactly once, in the caller's transaction; what it did, in words.

    The event's id goes into payment_events under a unique index before anything else: a redelivery
    (or the same event racing itself on another worker) meets that index and changes nothing. Events may
    come in any order; each handler reaches the same end state from wherever the pledge is.
    """
    pledge = _pledge_of(event)
    if pledge is not None:
        _read_locked(pledge)  # fix: the locks before the event row (see _read_locked)
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
    return "released" if _quietly(pledge, "cancel", reason="the card checkout expired unpaid") else "already moved"


def _on_charge_refunded(pledge: Pledge, charge) -> str:
    _read_locked(pledge)
    if pledge.status is S.REDIRECTED:
        successor = db.session.scalar(select(Pledge).where(Pledge.redirected_from_id == pledge.id))
        if successor is not None:
            # Fix: the charge's amount_refunded is Stripe's running total for the whole charge, but the
            # successor holds only what was left at the redirect; what had been refunded before it
            # (this pledge's amount_refunded) is not the successor's and was counted twice.
            charge = {**charge, "amount_refunded": max(0, int(charge.get("amount_refunded") or 0)
                                                       - pledge.amount_refunded)}
            return _on_charge_refunded(successor, charge)
    if pledge.status is S.PENDING:  # the refund overtook the payment's own events
        paid(pledge, charge.get("payment_intent"), charge.get("amount"))
    refunded = min(int(charge.get("amount_refunded") or 0), pledge.amount)
    if refunded <= pledge.amount_refunded:
        return "nothing new"
    before = _holding(pledge)
    grown = db.session.execute(
        update(Pledge).where(Pledge.id == pledge.id, Pledge.amount_refunded < refunded)
        .values(amount_refunded=refunded).execution_options(synchronize_session=False))
    if grown.rowcount != 1:
        return "nothing new"
    db.session.refresh(pledge, attribute_names=["amount_refunded"])
    _shift_counters(pledge, before)
    if refunded >= pledge.amount and pledge.status in (S.PAID, S.REFUND_PENDING, S.DELIVERED):
        _quietly(pledge, "refunded", reason="refunded by card")
        _tell(pledge, "pledge.refunded")
    else:
        need = db.session.get(Need, pledge.need_id)
        db.session.refresh(need, attribute_names=["money_raised", "money_reserved", "status"])
        _sync(need)
    return f"refunded {refunded}"


def paid(pledge: Pledge, payment_intent_id: str | None, amount: int | None) -> str:
    """The provider says the pledge's money arrived."""
    _read_locked(pledge)  # before the first write below: the need's row, then the pledge's (see there)
    if payment_intent_id and pledge.payment_intent_id is None:
        pledge.payment_intent_id = payment_intent_id
    if amount is not None and int(amount) != pledge.amount:
        current_app.logger.error("pledge %s: paid %s, expected %s", pledge.id, amount, pledge.amount)
    if pledge.status is S.PENDING:
        if _quietly(pledge, "pay"):
            _tell(pledge, "pledge.paid")
            return "paid"
    if pledge.status is S.CANCELLED and pledge.payment_intent_id:
        # Paid after the pledge lapsed (its reservation may be someone else's now): give it back.
        if _quietly(pledge, "refund_late_payment", reason="paid after the pledge was cancelled"):
            if pledge.amount_refunded >= pledge.amount:
                # Fix: its charge.refunded came first (refunded in Stripe's dashboard before any of the
                # payment's events reached us): nothing is left to send, and asking Stripe to refund 0
                # failed, leaving the pledge in refund_pending for good. End where the other order ends.
                if _quietly(pledge, "refunded", reason="refunded by card"):
                    _tell(pledge, "pledge.refunded")
                return "late payment already refunded"
            send_refund(pledge)
            return "late payment refunded"
    return f"already {pledge.status.value}"


def _tell(pledge: Pledge, kind: str, *, reason: str | None = None) -> None:
    from marketplace.notifications import notify

    if pledge.patron is None:
        return
    what = format_money(pledge.amount) if pledge.is_money else f"{pledge.quantity} × {pledge.item.name if pledge.item else ''}"
    params = {"amount": what, "title": pledge.need.title,
              "receipt": pledge.receipt_number or "", "reason": reason or ""}
    link = f"/pledges/{pledge.id}/receipt" if kind == "pledge.paid" else f"/pledges/{pledge.id}"
    notify(pledge.patron, kind, params=params, link=link)


_HANDLERS = {
    "checkout.session.completed": _on_session_completed,
    "checkout.session.async_payment_succeeded": _on_session_completed,
    "payment_intent.succeeded": _on_intent_succeeded,
    "checkout.session.expired": _on_session_expired,
    "charge.refunded": _on_charge_refunded,
}


# --- the sweep (cron) -----------------------------------------------------------------------------

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
        if _quietly(pledge, "cancel", reason=f"no transfer arrived within {days} days"):
            counts["lapsed"] += 1
            _tell(pledge, "pledge.lapsed")
        db.session.commit()
    for pledge in db.session.scalars(select(Pledge).where(
            Pledge.status == S.REFUND_PENDING, Pledge.provider == PaymentProvider.STRIPE,
            Pledge.payment_intent_id.is_not(None) | Pledge.redirected_from_id.is_not(None))).all():
        if _payment_intent_of(pledge):  # fix: redirected money too (see _payment_intent_of)
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
        charge = payments.latest_charge(original.payment_intent_id)
    except payments.PaymentError:
        return None
    if charge is not None and int(charge.get("amount_refunded") or 0) > original.amount_refunded:
        _on_charge_refunded(original, charge)
        db.session.refresh(pledge, attribute_names=["status"])
        if pledge.status is S.REFUNDED:
            return "refunds_reconciled"
    return "refunds_retried" if send_refund(pledge) else None


def _sweep_checkout(pledge: Pledge) -> str | None:
    """One card checkout past its expiry: "paid" (it was, the webhook was missed), "released", or None."""
    if pledge.checkout_session_id:
        try:
            session = payments.retrieve_checkout(pledge.checkout_session_id)
        except payments.PaymentError:
            return None
        if session.get("status") == "complete" and session.get("payment_status") == "paid":
            outcome = paid(pledge, session.get("payment_intent"), session.get("amount_total"))
            return "paid" if outcome == "paid" else None
        if session.get("status") == "open":
            try:
                if payments.expire_checkout(pledge.checkout_session_id) is None:
                    return None  # completed meanwhile: its webhook (or the next sweep) settles it
            except payments.PaymentError:
                return None  # Stripe did not answer: the next sweep asks again; the others go on now
    return "released" if _quietly(pledge, "cancel", reason="the card checkout expired unpaid") else None
