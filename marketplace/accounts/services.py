"""Account operations: each changes state, writes the audit log and flushes; the view commits."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from marketplace.accounts.lifecycle import ACCOUNT_LIFECYCLE, ADMIN_DECISIONS
from marketplace.core import audit
from marketplace.core.lifecycle import IllegalTransition, ReasonRequired
from marketplace.core.roles import Role
from marketplace.accounts.models import AccountStatus, PatronKind, User, UserSession
from marketplace.accounts.passwords import dummy_verify, hash_password, needs_rehash, verify_password
from marketplace.accounts.sessions import revoke_all_sessions
from marketplace.core.dbtypes import utcnow
from marketplace.core.extensions import db


class AccountError(Exception):
    """An operation that cannot be done, with a message for the user."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_by_email(email: str) -> User | None:
    """The account with this e-mail, whatever its letter case."""
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def is_valid_bin(value: str) -> bool:
    """Kazakhstan's 12-digit IIN/BIN with its control digit (weights 1..11, then 3..11,1,2)."""
    if not re.fullmatch(r"\d{12}", value or ""):
        return False
    digits = [int(c) for c in value]
    for weights in (range(1, 12), [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]):
        control = sum(d * w for d, w in zip(digits[:11], weights)) % 11
        if control != 10:
            return control == digits[11]
    return False


@dataclass(frozen=True)
class SignupData:
    role: Role
    email: str
    password: str
    full_name: str
    phone: str | None = None
    locale: str | None = None
    organisation_name: str | None = None
    patron_kind: PatronKind | None = None
    bin: str | None = None


def sign_up(data: SignupData) -> User:
    """Create a self-service account; an NGO partner waits for an admin's approval."""
    if data.role not in (Role.FAMILY, Role.VOLUNTEER, Role.PATRON, Role.PARTNER):
        raise AccountError("role not open for sign-up")
    if find_by_email(data.email) is not None:
        raise AccountError(_("An account with this e-mail already exists. Log in or reset the password."))
    status = AccountStatus.PENDING_APPROVAL if data.role is Role.PARTNER else AccountStatus.ACTIVE
    user = User(
        email=normalise_email(data.email),
        password_hash=hash_password(data.password),
        role=data.role,
        status=status,
        full_name=data.full_name.strip(),
        phone=data.phone or None,
        locale=data.locale,
        organisation_name=(data.organisation_name or "").strip() or None,
        patron_kind=data.patron_kind if data.role is Role.PATRON else None,
        bin=data.bin or None,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("account.sign_up", user, actor=user, to_state=status)
    return user


def create_user(
    *, role: Role, email: str, full_name: str, password: str | None, office_id: int | None = None, actor=None
) -> User:
    """Create a staff or admin account (admins only); without a password it must be set by e-mail."""
    if find_by_email(email) is not None:
        raise AccountError(_("An account with this e-mail already exists."))
    user = User(
        email=normalise_email(email),
        password_hash=hash_password(password or secrets.token_urlsafe(32)),
        role=role,
        status=AccountStatus.ACTIVE,
        full_name=full_name.strip(),
        office_id=office_id if role is Role.STAFF else None,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("account.create", user, actor=actor, to_state=AccountStatus.ACTIVE, office_id=user.office_id)
    return user


def authenticate(email: str, password: str) -> User | None:
    """The account for these credentials, or None; takes as long whether or not it exists."""
    user = find_by_email(email)
    if user is None:
        dummy_verify(password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def change_password(
    user: User, new_password: str, *, actor=None, reason: str = "changed", keep_session: UserSession | None = None
) -> None:
    """Set a new password and end every session of the user but `keep_session` (the one changing it)."""
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    revoke_all_sessions(user, keep=keep_session)
    audit.record("account.password_" + reason, user, actor=actor or user)


def update_profile(user: User, *, full_name: str, phone: str | None, locale: str | None) -> list[str]:
    """Change the user's own details; the audit entry names the fields (not their values)."""
    changes = {"full_name": full_name.strip(), "phone": phone, "locale": locale}
    changed = [name for name, value in changes.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, changes[name])
    if changed:
        audit.record("account.update_profile", user, actor=user, reason="changed: " + ", ".join(changed))
    return changed


def set_language(user: User, code: str) -> None:
    """Remember the language a user chose (not audited: it is no personal data)."""
    user.locale = code


def log_out_everywhere(user: User) -> int:
    """End every session of the user, this one included."""
    count = revoke_all_sessions(user)
    audit.record("account.sessions_revoked", user, actor=user, reason=f"{count} sessions")
    return count


def can_transition(user: User, transition: str) -> bool:
    """Whether the account's state allows this admin decision now (for the buttons)."""
    return transition in ADMIN_DECISIONS and user.status in ACCOUNT_LIFECYCLE[transition].sources


def change_account_status(user: User, transition: str, *, actor: User, reason: str | None = None) -> None:
    """Approve, reject, disable or enable an account; disabling ends all its sessions."""
    if not can_transition(user, transition):
        raise AccountError(_("This account cannot be changed that way in its current state."))
    if user.id == actor.id and transition == "disable":
        raise AccountError(_("You cannot disable your own account."))
    try:
        ACCOUNT_LIFECYCLE.apply(user, transition, actor=actor, reason=reason)
    except (IllegalTransition, ReasonRequired) as exc:
        raise AccountError(str(exc)) from exc


def assign_office(user: User, office_id: int | None, *, actor: User) -> None:
    """Attach a staff account to the one office it works for."""
    if user.role is not Role.STAFF:
        raise AccountError(_("Only staff accounts belong to an office."))
    before = user.office_id
    user.office_id = office_id
    audit.record(
        "account.assign_office", user, actor=actor, from_state=str(before) if before else None,
        to_state=str(office_id) if office_id else None, office_id=office_id,
    )


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def reset_token(user: User) -> str:
    """A signed token for a reset link; it dies once the password changes."""
    return _reset_serializer().dumps({"uid": user.id, "ph": user.password_hash[-16:]})


def user_for_reset_token(token: str) -> User | None:
    """The account a reset token is for, if it is valid, fresh and unused."""
    try:
        data = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(User, data.get("uid"))
    if user is None or not user.is_active or user.password_hash[-16:] != data.get("ph"):
        return None
    return user
