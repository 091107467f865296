"""Read-only selects about accounts and their sessions."""
from __future__ import annotations

from sqlalchemy import Select, func, or_, select

from marketplace.accounts.models import AccountStatus, User, UserSession
from marketplace.core.extensions import db
from marketplace.core.roles import Role


def open_sessions_of(user: User) -> list[UserSession]:
    """The user's sessions that are not revoked, the one seen last first."""
    return list(db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .order_by(UserSession.last_seen_at.desc())
    ))


def users_matching(text: str | None = None, role: Role | None = None,
                   status: AccountStatus | None = None) -> Select:
    """A select of the users with `text` in their name, e-mail or organisation, of a role and a status, newest first."""
    stmt = select(User)
    if text:
        pattern = f"%{text.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(User.full_name).like(pattern), func.lower(User.email).like(pattern),
                              func.lower(User.organisation_name).like(pattern)))
    if role is not None:
        stmt = stmt.where(User.role == role)
    if status is not None:
        stmt = stmt.where(User.status == status)
    return stmt.order_by(User.created_at.desc())


def pending_approval_count() -> int:
    """How many accounts (organisations) wait for an administrator's approval."""
    return db.session.scalar(
        select(func.count()).select_from(User).where(User.status == AccountStatus.PENDING_APPROVAL)
    )


def staff_without_office_count() -> int:
    """How many staff accounts have no office yet."""
    return db.session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.STAFF, User.office_id.is_(None))
    )


def actor_ids_matching(text: str) -> Select:
    """A select of the ids of the accounts with `text` in their name, e-mail or organisation, for the audit
    log's "who" filter. Families are left out: the log never names a family, so it is not searched by name."""
    return users_matching(text).where(User.role != Role.FAMILY).with_only_columns(User.id).order_by(None)
