"""A pledge as staff and families read it: its state, its badge, how goods arrive, who gave.

The patron's own words for the same states are in `forms.py` (`pledge_status_label`).
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.pledges.models import GoodsDelivery, Pledge, PledgeStatus as S

# A pledge's state as staff and families read it; some depend on money or goods.
STATUS_LABELS = {
    S.AWAITING_TRANSFER: _l("Waiting for the transfer"),
    S.PAID: _l("Paid"),
    S.CANCELLED: _l("Cancelled"),
    S.REFUND_PENDING: _l("To be returned"),
    S.REFUNDED: _l("Returned to the patron"),
    S.REDIRECTED: _l("Moved to a similar request"),
}
MONEY_LABELS = {S.PENDING: _l("Card payment not finished"), S.DELIVERED: _l("Spent on the request")}
GOODS_LABELS = {S.PENDING: _l("On its way"), S.DELIVERED: _l("Received")}
STATUS_BADGES = {S.AWAITING_TRANSFER: "badge-warn", S.PENDING: "badge-warn", S.PAID: "badge-ok",
                 S.DELIVERED: "badge-ok", S.REFUND_PENDING: "badge-danger", S.CANCELLED: "badge-muted",
                 S.REFUNDED: "badge-muted", S.REDIRECTED: "badge-muted"}
DELIVERY_LABELS = {
    GoodsDelivery.OFFICE: _l("Brought to the office"),
    GoodsDelivery.VOLUNTEER: _l("Carried by a volunteer"),
}


def status_label(pledge: Pledge) -> str:
    """The pledge's state in the current language, as staff and families read it."""
    own = MONEY_LABELS if pledge.is_money else GOODS_LABELS
    return str(own.get(pledge.status) or STATUS_LABELS[pledge.status])


def payment_reference(pledge: Pledge) -> str:
    """What the patron mentions on a bank transfer or when bringing goods (the patron's pages show the
    same): the pledge's number, one form in every language, so staff can match it."""
    return pledge.number


def patron_shown(pledge: Pledge) -> str:
    """The patron as the family sees them."""
    if pledge.anonymous or pledge.patron is None:
        return _("A patron")
    return pledge.patron.display_name


def labels_context() -> dict:
    """What the staff's and the family's pledge templates need to name things."""
    return {"pledge_status": status_label, "pledge_badges": STATUS_BADGES, "delivery_labels": DELIVERY_LABELS,
            "payment_reference": payment_reference}
