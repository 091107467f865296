"""Needs: what a family asks for, with its goal, its lifecycle and its conversation with staff."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Index, Integer, Numeric, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.dbtypes import UTCDateTime, enum_column, utcnow
from marketplace.core.extensions import db

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.families.models import Household
    from marketplace.offices.models import Office


class NeedStatus(str, enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    NEEDS_INFO = "needs_info"
    VERIFIED = "verified"  # open: public and waiting for help
    REJECTED = "rejected"
    IN_PROGRESS = "in_progress"
    FULFILLED = "fulfilled"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


# The state groups of a need, named once: every list, rule and lifecycle uses these.
OPEN_STATES = frozenset({NeedStatus.VERIFIED, NeedStatus.IN_PROGRESS})  # public and taking help
PUBLIC_STATES = frozenset({*OPEN_STATES, NeedStatus.FULFILLED})  # shown in the catalogue (when not hidden)
BEFORE_FULFILLED = frozenset({NeedStatus.DRAFT, NeedStatus.SUBMITTED, NeedStatus.NEEDS_INFO, *OPEN_STATES})


class Category(str, enum.Enum):
    FOOD = "food"
    CLOTHING = "clothing"
    SCHOOL = "school"
    MEDICINE = "medicine"
    HOUSEHOLD_REPAIR = "household_repair"
    FURNITURE = "furniture"
    TRANSPORT = "transport"
    TUTORING = "tutoring"
    DOCUMENTS = "documents"
    PSYCHOLOGICAL = "psychological"
    OTHER = "other"


class Urgency(str, enum.Enum):
    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"


# Partial indexes over the listed needs only (SQLite keeps booleans as 0/1 and matches the term as written).
LISTED_ONLY = {"postgresql_where": text("listed"), "sqlite_where": text("listed = 1")}
# The catalogue's kinds of help as terms on the need's row (catalogue.filtered writes the same).
# (PostgreSQL's, SQLite's: SQLite keeps booleans as 0/1 and matches the term as written.)
# PostgreSQL's as it prints them back (pg_indexes), so the migrations' test can compare what was created.
KIND_TERMS = {"money": ("(money_goal > 0)", "money_goal > 0"), "goods": ("has_goods", "has_goods = 1"),
              "volunteer": ("(volunteer_slots > 0)", "volunteer_slots > 0")}

# Sort keys: the most urgent first.
URGENCY_RANK = {Urgency.CRITICAL: 0, Urgency.HIGH: 1, Urgency.NORMAL: 2}


class Need(db.Model):
    __tablename__ = "needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"), index=True)
    status: Mapped[NeedStatus] = mapped_column(enum_column(NeedStatus, "status"), default=NeedStatus.DRAFT)
    category: Mapped[Category] = mapped_column(enum_column(Category, "category"))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    urgency: Mapped[Urgency] = mapped_column(enum_column(Urgency, "urgency"), default=Urgency.NORMAL)
    urgency_rank: Mapped[int] = mapped_column(Integer, default=2)  # 0 critical … 2 normal, for sorting
    deadline: Mapped[date | None] = mapped_column(Date)
    # What it takes: money in KZT minor units (tiyn), goods lines, volunteer slots, or a mix.
    money_goal: Mapped[int | None] = mapped_column(Integer)
    money_raised: Mapped[int] = mapped_column(Integer, default=0)
    # Held by pledges not yet paid (an open card checkout, a transfer staff have still to confirm):
    # raised plus reserved never exceeds the goal, so no two patrons can pay for the same tenge.
    money_reserved: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    volunteer_slots: Mapped[int] = mapped_column(Integer, default=0)
    volunteer_hours: Mapped[float | None] = mapped_column(Numeric(5, 1, asdecimal=False))
    slots_filled: Mapped[int] = mapped_column(Integer, default=0)
    # What a volunteer needs for the task: skills (comma-separated Skill values) and whether it is
    # inside the family's home (then only a vetted adult may claim it).
    required_skills: Mapped[str | None] = mapped_column(String(200))
    in_home: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The public point, copied from the household's coarse point when the need is verified.
    settlement: Mapped[str | None] = mapped_column(String(120))
    region_code: Mapped[str | None] = mapped_column(String(32))
    public_latitude: Mapped[float | None] = mapped_column(Float)
    public_longitude: Mapped[float | None] = mapped_column(Float)
    # Kept by needs/listing.py, never set by hand: whether the public catalogue lists the need (open, not
    # hidden, of a verified household whose account is active and shown), and its settlement as one key.
    listed: Mapped[bool] = mapped_column(default=False, server_default=false())
    settlement_key: Mapped[str | None] = mapped_column(String(40))
    has_goods: Mapped[bool] = mapped_column(default=False, server_default=false())  # any goods line
    status_reason: Mapped[str | None] = mapped_column(String(1000))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    # Proof of delivery for the patrons who gave: a photo staff took (re-encoded, EXIF stripped) showing
    # what was delivered, never the family.
    outcome_photo_id: Mapped[int | None] = mapped_column(
        ForeignKey("stored_files.id", ondelete="SET NULL", use_alter=True, name="fk_needs_outcome_photo_id_stored_files"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Soft moderation (never a silent delete).
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Whether an admin hid it (then only an admin shows it again), fixed when it was hidden: the
    # hider's account may later be disabled, demoted or erased.
    hidden_by_admin: Mapped[bool] = mapped_column(default=False, server_default=false())
    hidden_reason: Mapped[str | None] = mapped_column(String(1000))
    # The new-request form it came from: the same form sent twice makes one request.
    form_token: Mapped[str | None] = mapped_column(String(32), unique=True)

    household: Mapped[Household] = relationship()
    office: Mapped[Office | None] = relationship()
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    items: Mapped[list[NeedItem]] = relationship(
        back_populates="need", cascade="all, delete-orphan", order_by="NeedItem.id"
    )
    messages: Mapped[list[NeedMessage]] = relationship(
        back_populates="need", cascade="all, delete-orphan", order_by="NeedMessage.created_at"
    )

    __table_args__ = (
        CheckConstraint("money_goal IS NULL OR money_goal > 0", name="money_goal_positive"),
        CheckConstraint("money_raised >= 0", name="money_raised_not_negative"),
        CheckConstraint("money_reserved >= 0 AND (money_goal IS NULL OR money_raised + money_reserved <= money_goal)",
                        name="money_within_goal"),
        CheckConstraint("volunteer_slots >= 0 AND slots_filled >= 0 AND slots_filled <= volunteer_slots",
                        name="slots_within_bounds"),
        # The public catalogue narrows on these before ranking by exact distance.
        Index("ix_needs_status_public_lat_lon", "status", "public_latitude", "public_longitude"),
        Index("ix_needs_office_status", "office_id", "status"),
        Index("ix_needs_status_urgency_created", "status", "urgency_rank", "created_at"),
        # The catalogue's: partial on listed needs, each in the order it shows them (most urgent, then newest),
        # after the column a filter fixes; and the public points a place search reads through its box.
        *(Index(f"ix_needs_listed_{name}", *first, "urgency_rank", text("created_at DESC"), text("id DESC"),
                **LISTED_ONLY) for name, first in (("urgency", ()), ("category", ("category",)),
                                                   ("region", ("region_code",)), ("settlement", ("settlement_key",)))),
        # The kinds of help, each its own partial index in the catalogue's order.
        *(Index(f"ix_needs_listed_{name}", "urgency_rank", text("created_at DESC"), text("id DESC"),
                postgresql_where=text(f"(listed AND {pg})"), sqlite_where=text(f"listed = 1 AND {lite}"))
          for name, (pg, lite) in KIND_TERMS.items()),
        # Nearest first: the needs per place in a box, then a place's needs in the catalogue's order.
        Index("ix_needs_listed_point", "public_latitude", "public_longitude", "urgency_rank", text("created_at DESC"),
              text("id DESC"), **LISTED_ONLY),
    )

    @property
    def kinds(self) -> list[str]:
        """What help this need takes: any of 'money', 'goods', 'volunteer'."""
        kinds = []
        if self.money_goal:
            kinds.append("money")
        if self.items:
            kinds.append("goods")
        if self.volunteer_slots:
            kinds.append("volunteer")
        return kinds

    @property
    def money_missing(self) -> int:
        return max(0, (self.money_goal or 0) - self.money_raised)

    @property
    def money_open(self) -> int:
        """What a new pledge may still promise: the goal less what is paid and what is reserved."""
        return max(0, (self.money_goal or 0) - self.money_raised - self.money_reserved)

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    def __repr__(self) -> str:
        return f"<Need {self.id} {self.status.value}>"


class NeedItem(db.Model):
    """A goods line: what and how many."""

    __tablename__ = "need_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    quantity: Mapped[int] = mapped_column(Integer)
    quantity_pledged: Mapped[int] = mapped_column(Integer, default=0)
    quantity_received: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    unit: Mapped[str | None] = mapped_column(String(20))

    need: Mapped[Need] = relationship(back_populates="items")

    __table_args__ = (
        CheckConstraint("quantity > 0 AND quantity_pledged >= 0 AND quantity_pledged <= quantity",
                        name="quantity_within_bounds"),
        CheckConstraint("quantity_received >= 0 AND quantity_received <= quantity_pledged",
                        name="received_within_pledged"),
    )

    @property
    def missing(self) -> int:
        return self.quantity - self.quantity_pledged


class MessageKind(str, enum.Enum):
    QUESTION = "question"  # staff asks the family for more information
    ANSWER = "answer"  # the family answers
    NOTE = "note"  # staff's outcome or internal note


class NeedMessage(db.Model):
    """The conversation between office staff and the family about one need (private)."""

    __tablename__ = "need_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind, "kind"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    need: Mapped[Need] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()
