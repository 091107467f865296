"""Personal API tokens for the volunteers' phone app: shown once, stored only as a SHA-256 digest."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from marketplace.accounts import notices
from marketplace.accounts.models import ApiToken, User
from marketplace.core import audit
from marketplace.core.dbtypes import utcnow
from marketplace.core.extensions import db

TOKEN_MARK = "sw_"
PREFIX_LENGTH = 8
# Writing last_used_at on every API call would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def tokens_of(user) -> list[ApiToken]:
    """The user's tokens, newest first, revoked ones included (they show as revoked)."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def create_token(user, name: str) -> tuple[ApiToken, str]:
    """Make a token for `user`; returns the row and the raw token, which is never stored or shown again."""
    raw = TOKEN_MARK + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name.strip()[:80], token_hash=token_digest(raw), prefix=raw[:PREFIX_LENGTH])
    db.session.add(token)
    db.session.flush()
    audit.record("api_token.create", token, actor=user, object_type="api_token", reason=token.name)
    notices.token_created(user, token.name)
    return token, raw


def revoke_token(token: ApiToken, actor) -> ApiToken:
    """Stop the token working for good; revoking it twice changes nothing."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("api_token.revoke", token, actor=actor, object_type="api_token", reason=token.name)
        db.session.flush()
    return token


def revoke_all_tokens(user, *, actor, reason: str) -> list[str]:
    """Stop every live token of `user` (a new password, "log out everywhere", a disabled account);
    returns their names, for the page and the e-mail that say which ones stopped working."""
    live = list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).order_by(ApiToken.id)))
    now = utcnow()
    for token in live:
        token.revoked_at = now
        audit.record("api_token.revoke", token, actor=actor, object_type="api_token", reason=token.name,
                     details={"note": "access_ended", "because": reason})
    db.session.flush()
    return [token.name for token in live]


def user_for_token(raw: str | None) -> User | None:
    """The active owner of a live token, or None; notes when the token was last used."""
    if not raw or not raw.startswith(TOKEN_MARK):
        return None
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == token_digest(raw), ApiToken.revoked_at.is_(None)))
    if token is None:
        return None
    user = db.session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        # Its own small commit at the start of the request, as the session loader does for last_seen.
        token.last_used_at = now
        db.session.commit()
    return user
