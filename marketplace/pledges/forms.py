"""The patron's forms (a money pledge, a goods pledge, the home point) and pledge states in plain words."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, StopValidation

from marketplace.core.form_tokens import OnceTokenMixin
from marketplace.needs.catalogue import RADIUS_CHOICES_KM
from marketplace.pledges.models import GoodsDelivery, Pledge, PledgeKind, PledgeStatus as S
from marketplace.core.requests_guard import bounded_id

MAX_TENGE = 10**9  # far above any goal; beyond it a number is a typing slip, not a gift
MAX_QUANTITY = 100_000
# What people type around a number: "5 000", "5 000 ₸", "5000 тг" (a no-break space from a phone keyboard).
_NUMBER_NOISE = str.maketrans("", "", " \u00a0\u202f\u2009_'’")

# A pledge's state in the patron's words; some depend on whether it is money or goods.
_STATUS_LABELS = {
    S.AWAITING_TRANSFER: _l("Waiting for your transfer or cash at the office"),
    S.PAID: _l("Paid — thank you"),
    S.CANCELLED: _l("Cancelled"),
    S.REFUND_PENDING: _l("Being returned to you"),
    S.REFUNDED: _l("Returned to you"),
    S.REDIRECTED: _l("Moved to a similar request"),
}
_MONEY_LABELS = {S.PENDING: _l("Waiting for the card payment"), S.DELIVERED: _l("Paid and spent on the request")}
_GOODS_LABELS = {S.PENDING: _l("Promised — the office is waiting for the goods"), S.DELIVERED: _l("Received")}

DELIVERY_LABELS = {
    GoodsDelivery.OFFICE: _l("I will bring it to the office"),
    GoodsDelivery.VOLUNTEER: _l("A volunteer is needed to carry it"),
}


def pledge_status_label(pledge: Pledge) -> str:
    """The pledge's state in the current language."""
    own = _MONEY_LABELS if pledge.kind is PledgeKind.MONEY else _GOODS_LABELS
    return str(own.get(pledge.status) or _STATUS_LABELS[pledge.status])


def kind_label(pledge: Pledge) -> str:
    return _("Money") if pledge.kind is PledgeKind.MONEY else _("Goods")


def whole_number(maximum: int, too_big):
    """A validator: digits only (spaces and a trailing ₸ allowed), from 1 to `maximum`; sets field.data."""

    def check(form, field) -> None:
        text = (field.raw_data[0] if field.raw_data else "") or ""
        text = text.translate(_NUMBER_NOISE).removesuffix("₸").removesuffix("тг").removesuffix("tg")
        if not text:
            raise StopValidation(_("Enter a whole number, for example 5000."))
        if not (text.isascii() and text.isdigit()) or len(text) > 15:
            raise StopValidation(_("Enter a whole number, for example 5000."))
        number = int(text)
        if number < 1:
            raise StopValidation(_("Enter a number above zero."))
        if number > maximum:
            raise StopValidation(str(too_big))
        field.data = number

    return check


# How a money pledge is paid, when the site takes cards (without Stripe every money pledge is a transfer).
PAY_BY_CARD, PAY_BY_TRANSFER = "card", "transfer"
PAYMENT_LABELS = {
    PAY_BY_CARD: _l("By card"),
    PAY_BY_TRANSFER: _l("By bank transfer or in cash at the office"),
}


class MoneyPledgeForm(OnceTokenMixin, FlaskForm):
    amount = StringField(
        _l("Amount in tenge"),
        validators=[whole_number(MAX_TENGE, _l("That is more than any request asks for. Check the amount."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    anonymous = BooleanField(_l("Pledge anonymously"),
                             description=_l("Your name is not shown to the family; the office still sees it."))
    allow_redirect = BooleanField(
        _l("If this request is cancelled, my money may go to a similar request of the same office"))
    # Shown only when cards are taken; card is preselected, and a form sent without it pays by card.
    payment = RadioField(_l("How you pay"), default=PAY_BY_CARD, choices=list(PAYMENT_LABELS.items()),
                         validate_choice=False)

    def validate_payment(self, field) -> None:
        if field.data not in PAYMENT_LABELS:
            raise StopValidation(_("Choose how you pay."))

    def by_card(self) -> bool:
        """Whether the patron chose to pay by card (the service still takes none without Stripe)."""
        return self.payment.data == PAY_BY_CARD


class GoodsPledgeForm(OnceTokenMixin, FlaskForm):
    item = SelectField(_l("What you will give"), coerce=lambda value: bounded_id(value) if value != "" else None,
                       validate_choice=False)
    quantity = StringField(
        _l("How many"),
        validators=[whole_number(MAX_QUANTITY, _l("That is more than any request asks for. Check the number."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    delivery = RadioField(_l("How it arrives"), default=GoodsDelivery.OFFICE.value,
                          choices=[(d.value, label) for d, label in DELIVERY_LABELS.items()],
                          validators=[InputRequired(message=_l("Choose how the goods arrive."))], validate_choice=False)
    anonymous = BooleanField(_l("Pledge anonymously"),
                             description=_l("Your name is not shown to the family; the office still sees it."))

    def __init__(self, items, *args, **kwargs):
        """`items`: the need's goods lines; every line is accepted, only lines still missing are offered."""
        super().__init__(*args, **kwargs)
        self.item_ids = {item.id for item in items}
        self.offer(items)

    def offer(self, items) -> None:
        """Show the lines with something still missing, each with how many."""
        self.item.choices = [("", _("Choose…"))] + [
            (item.id, _("%(name)s — %(n)d still missing", name=item.name, n=item.missing))
            for item in items if item.missing > 0]

    def validate_item(self, field) -> None:
        if field.data not in self.item_ids:
            raise StopValidation(_("Choose one of the goods this request asks for."))

    def validate_delivery(self, field) -> None:
        if field.data not in GoodsDelivery._value2member_map_:
            raise StopValidation(_("Choose how the goods arrive."))


class HomePointForm(FlaskForm):
    place = StringField(
        _l("Your settlement or address"),
        validators=[DataRequired(message=_l("Write your settlement or address.")), Length(max=120)],
        description=_l("Only you see it. It is used to show requests near you."),
    )
    radius_km = SelectField(_l("How far from it"), coerce=int, default=25,
                            choices=[(km, _l("%(km)d km", km=km)) for km in RADIUS_CHOICES_KM])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
