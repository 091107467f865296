"""Flags raised by users about a need or a user, handled by office staff."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.core.dbtypes import UTCDateTime, enum_column, utcnow
from marketplace.core.extensions import db


class FlagTarget(str, enum.Enum):
    NEED = "need"
    USER = "user"


class FlagStatus(str, enum.Enum):
    OPEN = "open"
    RESOLVED = "resolved"  # acted upon (e.g. the need was hidden)
    DISMISSED = "dismissed"  # nothing wrong


class Flag(db.Model):
    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    target_type: Mapped[FlagTarget] = mapped_column(enum_column(FlagTarget, "target_type"))
    target_id: Mapped[int] = mapped_column()
    # The office that handles it (the need's office, or the flagged family's office).
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(String(1000))
    status: Mapped[FlagStatus] = mapped_column(enum_column(FlagStatus, "status"), default=FlagStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution_note: Mapped[str | None] = mapped_column(String(1000))

    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    __table_args__ = (
        # One open flag per user and object, enforced by the database on both engines.
        Index(
            "uq_flags_one_open_per_reporter", "reporter_id", "target_type", "target_id", unique=True,
            sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'"),
        ),
        Index("ix_flags_target", "target_type", "target_id"),
    )
