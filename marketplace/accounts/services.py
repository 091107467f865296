"""Account operations: each changes state, writes the audit log and flushes; the view commits."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.lifecycle import ACCOUNT_LIFECYCLE, ADMIN_DECISIONS
from marketplace.core import audit
from marketplace.core.lifecycle import IllegalTransition, ReasonRequired
from marketplace.core.roles import Role
from marketplace.accounts.models import AccountStatus, PatronKind, User, UserSession
from marketplace.accounts.passwords import dummy_verify, hash_password, needs_rehash, verify_password
from marketplace.accounts import links, notices
from marketplace.accounts.links import reset_token, user_for_reset_token  # noqa: F401  (the accounts API)
from marketplace.accounts.sessions import Revoked, revoke_all_access
from marketplace.core.urls import external_url
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


@dataclass(frozen=True)
class SignupResult:
    """What a sign-up did: made an account waiting for its e-mail to be confirmed, or found the address taken
    (its owner is told by e-mail). The visitor sees the same "check your e-mail" page either way."""

    user: User | None = None
    owner: User | None = None


def sign_up(data: SignupData) -> SignupResult:
    """Create a self-service account that waits for its address to be confirmed by the e-mailed link.

    A newer sign-up for an address that is still unconfirmed replaces the older one (only the holder of the
    mailbox can finish either), so nobody can reserve someone else's address.
    """
    if data.role not in (Role.FAMILY, Role.VOLUNTEER, Role.PATRON, Role.PARTNER):
        raise AccountError("role not open for sign-up")
    password_hash = hash_password(data.password)  # hashed either way: a taken address costs the same work
    existing = find_by_email(data.email)
    if existing is not None and existing.status is not AccountStatus.UNCONFIRMED:
        return SignupResult(owner=existing)
    user = existing or User(email=normalise_email(data.email), status=AccountStatus.UNCONFIRMED)
    user.created_at = utcnow()  # a replaced sign-up starts its link's life (and `flask sweep-signups`'s clock) anew
    user.password_hash = password_hash
    user.role = data.role
    user.full_name = data.full_name.strip()
    user.phone = data.phone or None
    user.locale = data.locale
    user.organisation_name = (data.organisation_name or "").strip() or None
    user.patron_kind = data.patron_kind if data.role is Role.PATRON else None
    user.bin = data.bin or None
    try:
        with db.session.begin_nested():
            db.session.add(user)
            db.session.flush()
    except IntegrityError:  # the same address signed up a moment ago in another request
        return SignupResult(owner=find_by_email(data.email))
    audit.record("account.sign_up", user, actor=user, to_state=AccountStatus.UNCONFIRMED,
                 details={"note": "replaced_unconfirmed_signup"} if existing is not None else None)
    return SignupResult(user=user)


def confirm_signup(user: User) -> None:
    """The owner opened the link and typed the password: the account is ready (an NGO's waits for the admin)."""
    transition = "confirm_email_for_approval" if user.role is Role.PARTNER else "confirm_email"
    ACCOUNT_LIFECYCLE.apply(user, transition, actor=user)


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
) -> Revoked:
    """Set a new password; end every session of the user but `keep_session` (the one changing it) and every
    API token, and tell the account's address."""
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    revoked = revoke_all_access(user, actor=actor or user, reason="password " + reason, keep=keep_session)
    audit.record("account.password_reset" if reason == "reset" else "account.password_changed", user,
                 actor=actor or user)
    notices.password_changed(user, revoked, by_reset=reason == "reset")
    return revoked


def update_profile(user: User, *, full_name: str, phone: str | None, locale: str | None) -> list[str]:
    """Change the user's own details; the audit entry names the fields (not their values)."""
    changes = {"full_name": full_name.strip(), "phone": phone, "locale": locale}
    changed = [name for name, value in changes.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, changes[name])
    if changed:
        audit.record("account.update_profile", user, actor=user, details={"fields": changed})
    return changed


def set_language(user: User, code: str) -> None:
    """Remember the language a user chose (not audited: it is no personal data)."""
    user.locale = code


def log_out_everywhere(user: User) -> Revoked:
    """End every session of the user, this one included, and every API token."""
    revoked = revoke_all_access(user, actor=user, reason="log out everywhere")
    audit.record("account.sessions_revoked", user, actor=user,
                 details={"sessions": revoked.sessions, "tokens": len(revoked.tokens)})
    return revoked


def request_email_change(user: User, new_email: str) -> str:
    """Start changing the address: a link goes to the new one, a notice to the old one; returns the new one."""
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise AccountError(_("This is already your address."))
    taken = find_by_email(new_email)
    if taken is not None:
        # The same answer on the page; the address's owner hears of it without the asker's name or a link.
        notices.address_asked_for_another_account(taken)
    else:
        notices.confirm_new_address(user, new_email, external_url(
            "accounts.confirm_email_change",
            token=links.make_token(links.CONFIRM_EMAIL, user, email=new_email, old=user.email)))
    notices.email_change_requested(user, new_email)
    audit.record("account.email_change_requested", user, actor=user)
    return new_email


def change_email(user: User, new_email: str) -> None:
    """The new address's link was opened: the account moves to it, and the old address is told."""
    taken = find_by_email(new_email)
    if taken is not None and taken.id != user.id:
        raise AccountError(_("This address already belongs to another account."))
    old_email = user.email
    user.email = normalise_email(new_email)
    audit.record("account.email_changed", user, actor=user)
    notices.email_changed(user, old_email)


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
