"""Reception offices of the single social window."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.dbtypes import UTCDateTime, utcnow
from marketplace.core.extensions import db

if TYPE_CHECKING:
    from marketplace.accounts.models import User


class Office(db.Model):
    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(32), index=True)
    settlement: Mapped[str] = mapped_column(String(120), index=True)
    address: Mapped[str] = mapped_column(String(255))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    opening_hours: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    # Where patrons send money pledged by bank transfer (Kazakh payment order fields): the recipient,
    # its BIN, the account (IBAN, stored without spaces), the bank and its BIC, and the beneficiary code.
    bank_recipient: Mapped[str | None] = mapped_column(String(200))
    bank_bin: Mapped[str | None] = mapped_column(String(12))
    bank_iban: Mapped[str | None] = mapped_column(String(34))
    bank_name: Mapped[str | None] = mapped_column(String(200))
    bank_bic: Mapped[str | None] = mapped_column(String(11))
    bank_kbe: Mapped[str | None] = mapped_column(String(2))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    staff: Mapped[list[User]] = relationship(back_populates="office")

    # The nearby search narrows on this index before ranking by exact distance.
    __table_args__ = (Index("ix_offices_lat_lon", "latitude", "longitude"),)

    def __repr__(self) -> str:
        return f"<Office {self.code} {self.name}>"

    @property
    def takes_transfers(self) -> bool:
        """Whether the office has given the bank details a patron needs for a transfer."""
        return bool(self.bank_recipient and self.bank_iban and self.bank_bic and self.bank_name)

    @property
    def bank_iban_grouped(self) -> str:
        """The account number in groups of four, as printed on a bank's documents."""
        iban = self.bank_iban or ""
        return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
