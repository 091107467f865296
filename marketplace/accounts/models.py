"""Accounts: users of every role, their server-side sessions and their personal API tokens."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.dbtypes import UTCDateTime, enum_column, utcnow
from marketplace.core.extensions import db
from marketplace.core.roles import Role

if TYPE_CHECKING:
    from marketplace.offices.models import Office


# The age of majority in Kazakhstan: a child below it, an adult from it (families count children by it, and a
# volunteer below it takes tasks only with a parent's consent).
ADULT_AGE = 18

# Roles a person may choose at sign-up; staff and admins are created by an admin.
SELF_SERVICE_ROLES = (Role.FAMILY, Role.VOLUNTEER, Role.PATRON, Role.PARTNER)


class AccountStatus(str, enum.Enum):
    UNCONFIRMED = "unconfirmed"  # signed up, the e-mail address not yet confirmed: cannot log in
    PENDING_APPROVAL = "pending_approval"
    ACTIVE = "active"
    REJECTED = "rejected"
    DISABLED = "disabled"


class PatronKind(str, enum.Enum):
    PERSON = "person"
    COMPANY = "company"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Always stored lower-cased (see accounts.services.normalise_email).
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), index=True)
    status: Mapped[AccountStatus] = mapped_column(
        enum_column(AccountStatus, "status"), default=AccountStatus.ACTIVE
    )
    full_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    locale: Mapped[str | None] = mapped_column(String(5))
    organisation_name: Mapped[str | None] = mapped_column(String(255))
    patron_kind: Mapped[PatronKind | None] = mapped_column(enum_column(PatronKind, "patron_kind"))
    bin: Mapped[str | None] = mapped_column(String(12))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"), index=True)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    # Soft moderation by staff: a hidden user's needs and profile leave public pages (audited).
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hidden_reason: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    office: Mapped[Office | None] = relationship(back_populates="staff", foreign_keys=[office_id])
    sessions: Mapped[list[UserSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    # Set by the session loader: the server-side session this request runs under.
    current_session = None  # the UserSession of this request (not a column)

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled and rejected accounts cannot log in
        return self.status in (AccountStatus.ACTIVE, AccountStatus.PENDING_APPROVAL)

    def get_id(self) -> str:
        """Flask-Login stores the session's token, not the user id, so that it can be revoked."""
        if self.current_session is None:
            raise RuntimeError("log the user in through accounts.services.start_session")
        return self.current_session.token

    @property
    def display_name(self) -> str:
        return self.organisation_name or self.full_name

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class UserSession(db.Model):
    """A login on one device; revoking it ends that login even if the cookie was copied."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    user: Mapped[User] = relationship(back_populates="sessions")

    # The raw token exists only in memory right after login (it is put in the cookie).
    token = None  # str | None, not a column

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None


class ApiToken(db.Model):
    """A personal token for the phone app; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # shown in the list so the owner can tell tokens apart
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
