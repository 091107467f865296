"""Pledges: a patron's promise of money (by card or by transfer) or goods toward a need, and the payment
provider's events, each stored once under its id."""
from __future__ import annotations

import enum
import re
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.dbtypes import UTCDateTime, enum_column, utcnow
from marketplace.core.extensions import db

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.needs.models import Need, NeedItem


def pledge_number(pledge_id: int, year: int) -> str:
    """A pledge's number, SW-2026-0000005: the reference a patron writes on a transfer and, once the money
    arrived, its receipt's number. Letters, digits and hyphens only: bank forms refuse a `#`."""
    return f"SW-{year:04d}-{pledge_id:07d}"


# A number as staff type or paste it: "SW-2026-0000005", "sw 2026 5", inside a bank statement's purpose;
# or the reference pledges carried before it ("SW pledge #5"), or just the pledge's id ("5", "№5").
_SEPARATORS = r"[\s\-‐‑–—_/.]*"
_NUMBER_IN_TEXT = re.compile(rf"\bSW{_SEPARATORS}(\d{{4}}){_SEPARATORS}(\d{{1,9}})\b", re.IGNORECASE)
_OLD_REFERENCE = re.compile(r"\bSW\s*pledge\s*(?:#|№|No\.?)?\s*(\d{1,9})\b", re.IGNORECASE)
_ID_ALONE = re.compile(r"(?:#|№|No\.?)?\s*(\d{1,9})", re.IGNORECASE)


def read_pledge_number(text: str) -> tuple[int | None, int] | None:
    """(year, pledge id) of the pledge number in `text`; the year is None when only the id was given."""
    text = (text or "").strip()
    if found := _NUMBER_IN_TEXT.search(text):
        return int(found[1]), int(found[2])
    if found := _OLD_REFERENCE.search(text) or _ID_ALONE.fullmatch(text):
        return None, int(found[1])
    return None


class PledgeKind(str, enum.Enum):
    MONEY = "money"
    GOODS = "goods"


class PledgeStatus(str, enum.Enum):
    PENDING = "pending"  # money: the card checkout is open; goods: promised, on their way
    AWAITING_TRANSFER = "awaiting_transfer"  # money without a card: staff confirm the transfer or cash
    PAID = "paid"
    DELIVERED = "delivered"  # goods received; money spent on the need and the need fulfilled
    CANCELLED = "cancelled"
    REFUND_PENDING = "refund_pending"
    REFUNDED = "refunded"
    REDIRECTED = "redirected"  # paid money moved to a similar need of the same office


# What each status holds on the need (reserved, raised, goods pledged or received) is decided in one
# place: `services._holding`.


class PaymentProvider(str, enum.Enum):
    STRIPE = "stripe"  # a card through Stripe Checkout
    OFFLINE = "offline"  # a bank transfer or cash at the office, confirmed by staff


class GoodsDelivery(str, enum.Enum):
    OFFICE = "office"  # the patron brings the goods to the office
    VOLUNTEER = "volunteer"  # a volunteer is needed to carry them


class Pledge(db.Model):
    __tablename__ = "pledges"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    # Money records outlive an erased patron account: the pledge stays, the name goes.
    patron_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"), index=True)
    kind: Mapped[PledgeKind] = mapped_column(enum_column(PledgeKind, "kind"))
    status: Mapped[PledgeStatus] = mapped_column(enum_column(PledgeStatus, "status"), index=True)
    # Money in KZT minor units (tiyn); goods as a quantity of one of the need's lines.
    amount: Mapped[int | None] = mapped_column(Integer)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("need_items.id", ondelete="SET NULL"))
    quantity: Mapped[int | None] = mapped_column(Integer)
    delivery: Mapped[GoodsDelivery | None] = mapped_column(enum_column(GoodsDelivery, "delivery"))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    allow_redirect: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    provider: Mapped[PaymentProvider | None] = mapped_column(enum_column(PaymentProvider, "provider"))
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    checkout_url: Mapped[str | None] = mapped_column(String(2000))
    checkout_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    amount_refunded: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    receipt_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    redirected_from_id: Mapped[int | None] = mapped_column(ForeignKey("pledges.id", ondelete="SET NULL"))
    # The random token of the form it was sent from: a double tap (or a resent form) finds this pledge
    # again instead of making a second one.
    form_token: Mapped[str | None] = mapped_column(String(32), unique=True)
    status_reason: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    need: Mapped[Need] = relationship()
    patron: Mapped[User | None] = relationship()
    item: Mapped[NeedItem | None] = relationship()
    redirected_from: Mapped[Pledge | None] = relationship(remote_side=[id])

    __table_args__ = (
        CheckConstraint(
            "(kind = 'money' AND amount > 0 AND item_id IS NULL AND quantity IS NULL)"
            " OR (kind = 'goods' AND quantity > 0 AND amount IS NULL)",
            name="money_or_goods",
        ),
        CheckConstraint("amount_refunded >= 0 AND (amount IS NULL OR amount_refunded <= amount)",
                        name="refund_within_amount"),
    )

    @property
    def is_money(self) -> bool:
        return self.kind is PledgeKind.MONEY

    @property
    def number(self) -> str:
        """The pledge's number from the moment it is made (see `pledge_number`); its year is the UTC year
        it was made in, so the number never changes, whatever the display timezone."""
        return pledge_number(self.id, self.created_at.year)


class PaymentEvent(db.Model):
    """A payment provider's event, stored under its unique id in the same transaction as its effect:
    a second delivery of the same event meets the unique index and changes nothing."""

    __tablename__ = "payment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    pledge_id: Mapped[int | None] = mapped_column(ForeignKey("pledges.id", ondelete="SET NULL"), index=True)
    outcome: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PatronProfile(db.Model):
    """A patron's home point (private): "needs near me" starts from it."""

    __tablename__ = "patron_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    place: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    radius_km: Mapped[float] = mapped_column(Float, default=25.0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
