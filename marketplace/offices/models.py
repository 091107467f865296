"""Reception offices of the single social window."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.dbtypes import UTCDateTime, utcnow
from marketplace.core.extensions import db
from marketplace.core.language import current_locale
from marketplace.geo.regions import language_of

if TYPE_CHECKING:
    from marketplace.accounts.models import User


class Office(db.Model):
    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    # The name in Russian, always given; in Kazakh and English when the office has one (else Russian shows).
    name: Mapped[str] = mapped_column(String(200))
    name_kk: Mapped[str | None] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
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
    def display_name(self) -> str:
        """The name in the reader's language (the page's, or the e-mail's); Russian when there is none."""
        return reader_name(self)

    @property
    def takes_transfers(self) -> bool:
        """Whether the office has given the bank details a patron needs for a transfer."""
        return bool(self.bank_recipient and self.bank_iban and self.bank_bic and self.bank_name)

    @property
    def bank_iban_grouped(self) -> str:
        """The account number in groups of four, as printed on a bank's documents."""
        iban = self.bank_iban or ""
        return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


TRANSLATED_NAMES = {"kk": "name_kk", "en": "name_en"}


def office_name_columns() -> tuple:
    """The columns `reader_name` reads, for a select of rows rather than offices."""
    return Office.name, Office.name_kk, Office.name_en


def name_in(office, language: str | object | None) -> str:
    """The name of `office` (an Office, or a row with its name, name_kk and name_en) in `language`,
    falling back to the Russian name when it has none in that language."""
    column = TRANSLATED_NAMES.get(language_of(language))
    return (getattr(office, column) if column else None) or office.name


def reader_name(office) -> str:
    """The name of `office` (an Office or such a row) in the reader's language: the request's, the one an
    e-mail is written in (`force_locale`), Russian outside both."""
    return name_in(office, current_locale())
