"""The audit log: who did what to which object, from what state to what state, and why."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.dbtypes import UTCDateTime, utcnow
from marketplace.core.extensions import db

if TYPE_CHECKING:
    from marketplace.accounts.models import User


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # A copy of who acted, kept when the account is later erased.
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int | None]
    office_id: Mapped[int | None] = mapped_column(index=True)
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    # What a person wrote (a reason, a question, a token's name), as typed.
    reason: Mapped[str | None] = mapped_column(String(1000))
    # What the code knows about the change, as data the pages put into words (core/audit/words.py):
    # {"fields": ["adults", "address"]}, {"need_id": 34, "amount": 700000, "currency": "KZT"}, {"note": ...}.
    details: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    ip_address: Mapped[str | None] = mapped_column(String(45))

    actor: Mapped["User | None"] = relationship("User")

    __table_args__ = (Index("ix_audit_entries_object", "object_type", "object_id"),)
