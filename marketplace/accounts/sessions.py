"""Server-side login sessions: Flask-Login keeps a revocable session token, not the user id."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin, LoginManager, login_user, logout_user
from sqlalchemy import select, update

from marketplace.accounts.models import User, UserSession
from marketplace.accounts.tokens import revoke_all_tokens
from marketplace.core.dbtypes import utcnow
from marketplace.core.extensions import db

# Writing last_seen on every request would turn every page view into a write.
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


class Anonymous(AnonymousUserMixin):
    """A visitor who is not logged in: no role, no office."""

    id = None
    role = None
    office_id = None
    locale = None
    email = None

    def has_role(self, *roles) -> bool:
        return False


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def load_user_from_session(token: str) -> User | None:
    """Find the live session for the token in the cookie; a revoked one logs the visitor out."""
    record = db.session.scalar(
        select(UserSession).where(UserSession.token_hash == token_digest(token), UserSession.revoked_at.is_(None))
    )
    if record is None or not record.user.is_active:
        return None
    now = utcnow()
    if now - record.last_seen_at > LAST_SEEN_RESOLUTION:
        record.last_seen_at = now
        db.session.commit()
    record.token = token
    record.user.current_session = record
    return record.user


def init_login(app: Flask, login_manager: LoginManager) -> None:
    """Configure Flask-Login to load users through their session records."""
    login_manager.init_app(app)
    login_manager.user_loader(load_user_from_session)
    login_manager.anonymous_user = Anonymous
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


def start_session(user: User) -> UserSession:
    """Open a new server-side session for `user` and log them in on this request."""
    token = secrets.token_urlsafe(32)
    record = UserSession(
        user=user,
        token_hash=token_digest(token),
        ip_address=request.remote_addr,
        user_agent=(request.user_agent.string or "")[:255],
    )
    db.session.add(record)
    db.session.flush()
    record.token = token
    user.current_session = record
    user.last_login_at = utcnow()
    login_user(user)
    return record


def end_session(user: User) -> None:
    """Revoke this device's session for good and clear the cookie."""
    if user.current_session is not None:
        user.current_session.revoked_at = utcnow()
    logout_user()


def revoke_all_sessions(user: User, *, keep: UserSession | None = None) -> int:
    """Revoke every live session of `user` (but `keep`); returns how many were ended."""
    stmt = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep.id)
    result = db.session.execute(stmt.values(revoked_at=utcnow()).execution_options(synchronize_session="fetch"))
    return result.rowcount or 0


@dataclass(frozen=True)
class Revoked:
    """What ending all of an account's access stopped: how many sessions, and the API tokens by name."""

    sessions: int = 0
    tokens: list[str] = field(default_factory=list)


def revoke_all_access(user: User, *, actor, reason: str, keep: UserSession | None = None) -> Revoked:
    """End every session (but `keep`) and every API token of `user`: after a new password, "log out
    everywhere" or a disabled account nothing that was issued before still works."""
    return Revoked(revoke_all_sessions(user, keep=keep), revoke_all_tokens(user, actor=actor, reason=reason))
