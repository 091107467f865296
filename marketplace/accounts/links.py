"""Signed links sent by e-mail: a password reset, a sign-up's confirmation, a new e-mail address's confirmation.

Each link names the account and the end of its password hash, so that it dies when the password changes
(and a confirmation link dies when a newer sign-up replaces the unconfirmed one). Links are signed, never
stored, and valid for their own time.
"""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from marketplace.accounts.models import AccountStatus, User
from marketplace.core.extensions import db

RESET = "password-reset"
CONFIRM_SIGNUP = "confirm-signup"
CONFIRM_EMAIL = "confirm-email-change"
# How long each kind of link works (the config key with its seconds).
MAX_AGE_SETTING = {RESET: "PASSWORD_RESET_MAX_AGE", CONFIRM_SIGNUP: "SIGNUP_CONFIRM_MAX_AGE",
                   CONFIRM_EMAIL: "EMAIL_CHANGE_MAX_AGE"}


def _serializer(kind: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=kind)


def make_token(kind: str, user: User, **extra) -> str:
    """A signed token of this kind for `user`; `extra` travels with it (the new address of a change)."""
    return _serializer(kind).dumps({"uid": user.id, "ph": user.password_hash[-16:], **extra})


def read_token(kind: str, token: str) -> tuple[User, dict] | None:
    """The account and the token's data, if the token is of this kind, fresh and its password unchanged."""
    try:
        data = _serializer(kind).loads(token, max_age=current_app.config[MAX_AGE_SETTING[kind]])
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        return None
    user = db.session.get(User, data["uid"])
    if user is None or user.password_hash[-16:] != data.get("ph"):
        return None
    return user, data


def reset_token(user: User) -> str:
    """A signed token for a reset link; it dies once the password changes."""
    return make_token(RESET, user)


def user_for_reset_token(token: str) -> User | None:
    """The account a reset token is for, if it is valid, fresh and unused."""
    found = read_token(RESET, token)
    if found is None or not found[0].is_active:
        return None
    return found[0]


def user_for_signup_token(token: str) -> User | None:
    """The unconfirmed account a sign-up's link is for (a confirmed one's link has done its work)."""
    found = read_token(CONFIRM_SIGNUP, token)
    if found is None or found[0].status is not AccountStatus.UNCONFIRMED:
        return None
    return found[0]


def email_change_for_token(token: str) -> tuple[User, str] | None:
    """The active account and the new address an e-mail change's link confirms; once the account has moved
    off the address the link was made on, the link has done its work."""
    found = read_token(CONFIRM_EMAIL, token)
    if found is None:
        return None
    user, data = found
    if not user.is_active or not isinstance(data.get("email"), str) or data.get("old") != user.email:
        return None
    return user, data["email"]
