"""Households: the family's private data, its children by birth year, its consent."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Float, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.dbtypes import UTCDateTime, enum_column, utcnow
from marketplace.accounts.models import ADULT_AGE
from marketplace.core.extensions import db

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.offices.models import Office

# Kazakhstan's definition of a large family: four or more children under 18.
LARGE_FAMILY_CHILDREN = 4


class HouseholdStatus(str, enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    NEEDS_INFO = "needs_info"
    VERIFIED = "verified"
    REJECTED = "rejected"


class Household(db.Model):
    """One family account's household; everything here but the coarse point is private."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"), index=True)
    status: Mapped[HouseholdStatus] = mapped_column(
        enum_column(HouseholdStatus, "status"), default=HouseholdStatus.DRAFT, index=True
    )
    adults: Mapped[int] = mapped_column(SmallInteger, default=1)
    single_parent: Mapped[bool] = mapped_column(default=False)
    disability: Mapped[bool] = mapped_column(default=False)
    other_circumstances: Mapped[str | None] = mapped_column(String(500))
    # The children's birth years sorted and joined ("2012,2015,2018"): the duplicate finder's index.
    children_signature: Mapped[str | None] = mapped_column(String(200), index=True)
    # Private: shown only to the family, its office's staff, admins and (later) an accepted helper.
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    phone_digits: Mapped[str | None] = mapped_column(String(20), index=True)  # for the duplicate finder
    address: Mapped[str | None] = mapped_column(String(255))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # Public: the settlement and a point rounded to about a kilometre.
    settlement: Mapped[str | None] = mapped_column(String(120))
    region_code: Mapped[str | None] = mapped_column(String(32), index=True)
    public_latitude: Mapped[float | None] = mapped_column(Float)
    public_longitude: Mapped[float | None] = mapped_column(Float)
    status_reason: Mapped[str | None] = mapped_column(String(1000))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    consent_given_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_version: Mapped[str | None] = mapped_column(String(20))
    erasure_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    office: Mapped[Office | None] = relationship()
    children: Mapped[list[Child]] = relationship(
        back_populates="household", cascade="all, delete-orphan", order_by="Child.birth_year"
    )

    __table_args__ = (
        Index("ix_households_lat_lon", "latitude", "longitude"),
        Index("ix_households_office_status", "office_id", "status"),
    )

    def children_under_18(self, today: date | None = None) -> int:
        year = (today or date.today()).year
        return sum(1 for child in self.children if year - child.birth_year < ADULT_AGE)

    @property
    def is_large_family(self) -> bool:
        return self.children_under_18() >= LARGE_FAMILY_CHILDREN

    @property
    def is_verified(self) -> bool:
        return self.status is HouseholdStatus.VERIFIED

    def __repr__(self) -> str:
        return f"<Household {self.id} {self.status.value}>"


class Child(db.Model):
    """A child, recorded by birth year only (no name, no date of birth)."""

    __tablename__ = "children"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    birth_year: Mapped[int] = mapped_column(Integer)

    household: Mapped[Household] = relationship(back_populates="children")


class ConsentRecord(db.Model):
    """Recorded consent to the processing of personal data (Kazakhstan's personal-data law)."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(20))
    text_shown: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(5))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
