"""Making and changing a pledge: reserve money or goods, open a card checkout, move a pledge through its
lifecycle; and what a patron does with one (withdraw it) or for their search (the home point).

The rule behind every one: a pledge's status changes first, by compare-and-set in its state machine, and
only the request that made that change moves the need's counters, by one conditional UPDATE whose WHERE
clause holds the cap (paid + reserved never above the goal; pledged goods never above the quantity). So
any number of patrons, webhooks and staff can act at once and the numbers still add up.

What follows from a pledge once it exists lives next door: `settlement` (refunds, redirects, a closed
need), `payment_events` (the Stripe webhook) and `sweep` (what the webhook missed). Everything here
flushes and never commits: the request commits once.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from marketplace.core import audit
from marketplace.core.extensions import db
from marketplace.core.lifecycle import IllegalTransition
from marketplace.core.money import format_money, to_minor
from marketplace.needs.models import OPEN_STATES, Need, NeedItem
from marketplace.needs.progress import sync_progress
from marketplace.payments import gateway
from marketplace.pledges.lifecycle import PLEDGE_LIFECYCLE
from marketplace.pledges.models import (
    GoodsDelivery,
    PatronProfile,
    PaymentProvider,
    Pledge,
    PledgeKind,
    PledgeStatus as S,
)

MIN_AMOUNT = to_minor(100)  # 100 ₸: below this the card fee costs more than the gift
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
    if need.status not in OPEN_STATES or need.hidden_at is not None:
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
        .where(Need.id == need.id, Need.status.in_(OPEN_STATES), Need.hidden_at.is_(None),
               Need.money_goal.is_not(None),
               # goal - amount ≥ 0 here, so no sum can overflow a 32-bit integer whatever the goal
               Need.money_raised + Need.money_reserved <= Need.money_goal - amount)
        .values(money_reserved=Need.money_reserved + amount)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(need, attribute_names=["money_raised", "money_reserved", "status", "hidden_at"])
    if reserved.rowcount != 1:
        _open_need_or_refuse(need)
        _refuse_what_does_not_fit(need)
    if card is None or not gateway.card_payments_enabled():  # no cards without Stripe, whatever was asked
        card = gateway.card_payments_enabled()
    pledge = Pledge(
        need_id=need.id, patron_id=patron.id, office_id=need.office_id, kind=PledgeKind.MONEY, amount=amount,
        status=S.PENDING if card else S.AWAITING_TRANSFER, anonymous=anonymous, allow_redirect=allow_redirect,
        provider=PaymentProvider.STRIPE if card else PaymentProvider.OFFLINE, form_token=form_token,
    )
    db.session.add(pledge)
    db.session.flush()  # a second pledge from the same form meets the unique token here (IntegrityError)
    audit.record("pledge.create", pledge, actor=patron, object_type="pledge", to_state=pledge.status,
                 office_id=need.office_id, details={"need_id": need.id, "amount": amount, "currency": "KZT"})
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
        session = gateway.create_checkout(
            pledge_id=pledge.id, need_id=need.id, amount=pledge.amount, title=need.title, expires_at=expires_at,
            success_url=success_url, cancel_url=cancel_url, email=pledge.patron.email if pledge.patron else None)
    except gateway.PaymentError as exc:
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
    # The need's row first, as everywhere (see lock_need_then_pledge): a volunteer delivery writes to it below.
    db.session.execute(select(Need.id).where(Need.id == need.id).with_for_update(key_share=True))
    db.session.refresh(need, attribute_names=["status", "hidden_at", "volunteer_slots", "slots_filled"])
    _open_need_or_refuse(need)
    taken = db.session.execute(
        update(NeedItem)
        .where(NeedItem.id == item.id, NeedItem.quantity_pledged + quantity <= NeedItem.quantity,
               select(Need.id).where(Need.id == need.id, Need.status.in_(OPEN_STATES),
                                     Need.hidden_at.is_(None)).exists())
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
                 office_id=need.office_id, details={"need_id": need.id, "quantity": quantity, "item": item.name})
    sync_progress(need)
    return pledge


# --- changing a pledge ---------------------------------------------------------------------------

def change_pledge(pledge: Pledge, transition: str, *, actor, reason: str | None = None,
                  details: dict | None = None) -> Pledge:
    """Move a pledge through its lifecycle and move the need's counters by the difference it makes."""
    lock_need_then_pledge(pledge)
    before = holding(pledge)
    PLEDGE_LIFECYCLE.apply(pledge, transition, actor=actor, reason=reason, details=details)
    shift_counters(pledge, before)
    if transition in ("pay", "confirm_transfer") and pledge.receipt_number is None:
        pledge.receipt_number = pledge.number  # the receipt carries the number the transfer mentioned
    if pledge.kind is PledgeKind.GOODS and transition == "cancel" and pledge.delivery is GoodsDelivery.VOLUNTEER:
        # The volunteer place the delivery opened closes again, unless a volunteer already took it.
        db.session.execute(update(Need).where(Need.id == pledge.need_id, Need.volunteer_slots > Need.slots_filled)
                           .values(volunteer_slots=Need.volunteer_slots - 1)
                           .execution_options(synchronize_session=False))
    need = db.session.get(Need, pledge.need_id)
    db.session.refresh(need, attribute_names=["money_raised", "money_reserved", "volunteer_slots", "slots_filled",
                                              "status"])
    sync_progress(need)
    return pledge


def lock_need_then_pledge(pledge: Pledge) -> None:
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


def holding(pledge: Pledge) -> tuple[int, int, int, int]:
    """(money reserved, money raised, goods pledged, goods received) that the pledge holds on its need."""
    if pledge.kind is PledgeKind.MONEY:
        reserved = pledge.amount if pledge.status in _RESERVING else 0
        raised = pledge.amount - pledge.amount_refunded if pledge.status in _RAISED else 0
        return reserved, raised, 0, 0
    pledged = pledge.quantity if pledge.status in _GOODS_HELD else 0
    received = pledge.quantity if pledge.status is S.DELIVERED else 0
    return 0, 0, pledged, received


def shift_counters(pledge: Pledge, before: tuple[int, int, int, int]) -> None:
    """Move the need's counters by what the pledge holds now minus what it held `before`."""
    after = holding(pledge)
    d_reserved, d_raised, d_pledged, d_received = (a - b for a, b in zip(after, before, strict=True))
    if d_reserved or d_raised:
        # Only a payment (reserved → raised, total unchanged), a release or a refund moves money here: none
        # can pass the goal. A redirected payment arriving on another need goes through
        # settlement.redirect_pledge.
        db.session.execute(update(Need).where(Need.id == pledge.need_id).values(
            money_reserved=Need.money_reserved + d_reserved, money_raised=Need.money_raised + d_raised)
            .execution_options(synchronize_session=False))
    if (d_pledged or d_received) and pledge.item_id is not None:
        db.session.execute(update(NeedItem).where(NeedItem.id == pledge.item_id).values(
            quantity_pledged=NeedItem.quantity_pledged + d_pledged,
            quantity_received=NeedItem.quantity_received + d_received)
            .execution_options(synchronize_session=False))


def change_quietly(pledge: Pledge, transition: str, *, reason: str | None = None) -> bool:
    """A system transition that another request may have made first: False (and nothing done) then."""
    try:
        change_pledge(pledge, transition, actor=None, reason=reason)
    except IllegalTransition:
        return False
    return True


# --- what a patron does ---------------------------------------------------------------------------

def withdraw_pledge(pledge: Pledge, *, actor, reason: str) -> Pledge:
    """Cancel a pledge not yet paid or delivered (its patron, or its office); what it held is free for others
    again. An open card checkout is closed at Stripe first: PledgeRefused ("paid_meanwhile"), and nothing
    changed, when it was paid meanwhile."""
    if pledge.status is S.PENDING and pledge.checkout_session_id and not _checkout_closed(pledge):
        raise PledgeRefused(_("Your card payment has just gone through and is being confirmed, so the pledge can no "
                              "longer be cancelled."), code="paid_meanwhile")
    return change_pledge(pledge, "cancel", actor=actor, reason=reason)


def _checkout_closed(pledge: Pledge) -> bool:
    """Close the pledge's card checkout before the pledge is withdrawn; False if it was paid meanwhile.
    When Stripe cannot be asked, go ahead: a payment reported later for a cancelled pledge is refunded."""
    try:
        if gateway.expire_checkout(pledge.checkout_session_id) is not None:
            return True
        session = gateway.retrieve_checkout(pledge.checkout_session_id)
    except gateway.PaymentError:
        current_app.logger.warning("could not close the checkout of pledge %s before cancelling it", pledge.id)
        return True
    return session.get("status") != "complete"


def save_home_point(patron, home: PatronProfile | None, *, place: str, latitude: float, longitude: float,
                    radius_km: float) -> list[str]:
    """Keep the patron's home point (private: "requests near me" starts from it); the names of the fields
    that changed, which are all the audit log keeps of it."""
    if home is None:
        home = PatronProfile(user_id=patron.id)
        db.session.add(home)
    new = {"place": place, "latitude": latitude, "longitude": longitude, "radius_km": radius_km}
    changed = [name for name, value in new.items() if getattr(home, name) != value]
    for name in changed:
        setattr(home, name, new[name])
    if changed:
        db.session.flush()
        # The names of the changed fields only: the place itself stays out of the log.
        audit.record("patron.profile_save", home, actor=patron, object_type="patron_profile",
                     details={"fields": changed})
    return changed
