"""The pledge's lifecycle, in one place: who may move a pledge from which state to which.

Money by card:      pending → paid (only from the provider's webhook) → delivered | refund_pending → refunded
                    pending → cancelled (checkout expired or abandoned, the need closed, the patron withdrew)
Money by transfer:  awaiting_transfer → paid (staff confirm) → … as above; awaiting_transfer → cancelled
Goods:              pending → delivered (the office or the family confirm); pending → cancelled
Paid money on a need that closes: → refunded (refund_pending first when a card refund is under way), or
→ redirected to a similar need of the same office where the patron agreed.
The counters on the need (reserved, raised, pledged quantities) move in `services`, after the status has
changed by compare-and-set, so that only the one request that made the change moves them.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.core.dbtypes import utcnow
from marketplace.core.lifecycle import StateMachine, Transition
from marketplace.pledges.models import PaymentProvider, Pledge, PledgeKind, PledgeStatus as S
from marketplace.core.roles import is_authenticated, works_for


def by_system(actor, pledge: Pledge) -> bool:
    """The payment webhook, the sweep job and reactions to the need act with no user."""
    return actor is None


def by_office(actor, pledge: Pledge) -> bool:
    return works_for(actor, pledge.office_id)


def office_or_system(actor, pledge: Pledge) -> bool:
    return by_system(actor, pledge) or by_office(actor, pledge)


def is_patron(actor, pledge: Pledge) -> bool:
    return is_authenticated(actor) and pledge.patron_id == actor.id


def _open_card_checkout(pledge: Pledge) -> bool:
    return pledge.status is S.PENDING and pledge.provider is PaymentProvider.STRIPE


def may_cancel(actor, pledge: Pledge) -> bool:
    """The patron, the system, or the office; not the office while the patron may be paying by card."""
    if is_patron(actor, pledge) or by_system(actor, pledge):
        return True
    return by_office(actor, pledge) and not _open_card_checkout(pledge)


def returned_by_hand_or_reported(actor, pledge: Pledge) -> bool:
    """Stripe's charge.refunded records a card refund; staff confirm only money they returned themselves."""
    return by_system(actor, pledge) or (by_office(actor, pledge) and pledge.provider is PaymentProvider.OFFLINE)


def goods_receiver(actor, pledge: Pledge) -> bool:
    """Goods are confirmed by whoever received them: the office, or the family itself."""
    if pledge.kind is not PledgeKind.GOODS:
        return by_system(actor, pledge)  # money is "delivered" when its need is fulfilled
    family = is_authenticated(actor) and pledge.need.household.user_id == actor.id
    return family or by_office(actor, pledge)


def _record(pledge: Pledge, transition: Transition, actor, reason: str | None) -> None:
    now = utcnow()
    if transition.target is S.PAID:
        pledge.paid_at = now
    elif transition.target is S.DELIVERED:
        pledge.delivered_at = now
    if transition.target in (S.CANCELLED, S.REFUNDED, S.REDIRECTED):
        pledge.closed_at = now
    if reason:
        pledge.status_reason = reason


PLEDGE_LIFECYCLE = StateMachine(
    "pledge",
    [
        Transition("pay", frozenset({S.PENDING}), S.PAID, by_system, label=_l("Paid")),
        Transition("confirm_transfer", frozenset({S.AWAITING_TRANSFER}), S.PAID, by_office,
                   label=_l("Confirm the money arrived")),
        Transition("deliver", frozenset({S.PENDING, S.PAID}), S.DELIVERED, goods_receiver,
                   label=_l("Confirm received")),
        Transition("cancel", frozenset({S.PENDING, S.AWAITING_TRANSFER}), S.CANCELLED, may_cancel,
                   label=_l("Cancel the pledge")),
        Transition("refund", frozenset({S.PAID}), S.REFUND_PENDING, office_or_system, reason_required=True,
                   label=_l("Refund")),
        # A payment that arrives after its pledge was cancelled is given back, never kept.
        Transition("refund_late_payment", frozenset({S.CANCELLED}), S.REFUND_PENDING, by_system),
        # The provider reports the refund (charge.refunded); staff confirm a transfer they returned by hand.
        Transition("refunded", frozenset({S.PAID, S.REFUND_PENDING, S.DELIVERED}), S.REFUNDED,
                   returned_by_hand_or_reported,
                   label=_l("Confirm the money was returned")),
        Transition("redirect", frozenset({S.PAID}), S.REDIRECTED, by_system),
        # ... and the same money arriving on the similar need, as a new pledge there.
        Transition("receive_redirect", frozenset({S.PENDING}), S.PAID, by_system),
    ],
    on_apply=[_record],
)
