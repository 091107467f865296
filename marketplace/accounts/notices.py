"""Security letters to an account's own address, in its language: what changed, when, and what to do if it
was not the owner (OWASP ASVS 2.2.3). Links in them are built from PUBLIC_URL, never from the request."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

from marketplace.core.dbtypes import utcnow
from marketplace.core.urls import external_url
from marketplace.notifications import queue_email

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.accounts.sessions import Revoked


@dataclass(frozen=True)
class Mailbox:
    """An address the account does not have yet (a new one) or no longer has (the old one): the letter is in
    the account's language and greets its owner."""

    email: str
    locale: str | None
    display_name: str


def _mailbox(user: User, email: str) -> Mailbox:
    return Mailbox(email=email, locale=user.locale, display_name=user.display_name)


def _send(recipient, subject, kind: str, **context) -> None:
    if recipient.email.endswith(".invalid"):  # an erased account's shell has no mailbox
        return
    queue_email(recipient, subject, "account_notice", kind=kind, when=utcnow(),
                reset_link=external_url("accounts.forgot_password"), **context)


def password_changed(user: User, revoked: Revoked, *, by_reset: bool) -> None:
    subject = _l("Your Social Window password was reset") if by_reset else _l("Your Social Window password was changed")
    _send(user, subject, "password_reset" if by_reset else "password_changed", revoked=revoked)


def token_created(user: User, name: str) -> None:
    _send(user, _l("A new API token for your Social Window account"), "token_created", token_name=name,
          tokens_link=external_url("accounts.tokens"))


def confirm_new_address(user: User, new_email: str, confirm_link: str) -> None:
    """The link that moves the account goes to the new address."""
    _send(_mailbox(user, new_email), _l("Confirm your new e-mail address for Social Window"), "email_confirm",
          confirm_link=confirm_link)


def email_change_requested(user: User, new_email: str) -> None:
    """The old address hears that a change was asked."""
    _send(user, _l("A change of your Social Window e-mail address was asked"), "email_change_requested",
          new_email=new_email)


def address_asked_for_another_account(owner: User) -> None:
    """Someone asked to move their account to an address that has one: its owner is told, in the owner's language,
    with neither the asker's name nor a link; the asker's page says what it says for a free address."""
    _send(owner, _l("Someone tried to use your e-mail address on Social Window"), "address_taken")


def email_changed(user: User, old_email: str) -> None:
    _send(_mailbox(user, old_email), _l("Your Social Window e-mail address was changed"), "email_changed",
          new_email=user.email)


def confirm_signup(user: User, confirm_link: str) -> None:
    _send(user, _l("Confirm your e-mail address for Social Window"), "signup_confirm", confirm_link=confirm_link)


def signup_with_taken_address(owner: User) -> None:
    """Someone signed up with the address of an existing account: the owner hears it, the visitor learns nothing."""
    _send(owner, _l("Someone tried to sign up with your e-mail address"), "signup_taken",
          login_link=external_url("accounts.login"))
