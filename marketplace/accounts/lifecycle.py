"""An account's lifecycle: the admin's decisions (approve, reject, disable, enable) and erasure."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.accounts.models import AccountStatus as S, User
from marketplace.accounts.sessions import revoke_all_access
from marketplace.core.lifecycle import StateMachine, Transition
from marketplace.core.roles import Role, has_role, is_admin


def by_admin(actor, _user: User) -> bool:
    return is_admin(actor)


def by_the_owner(actor, user: User) -> bool:
    """Only the person who signed up confirms the address: they hold the e-mailed link and the password."""
    return actor is not None and getattr(actor, "id", None) == user.id


def by_office_or_admin(actor, _user: User) -> bool:
    """Erasure is carried out by the family's office (the caller checked which) or an admin."""
    return has_role(actor, Role.STAFF, Role.ADMIN)


def _record(user: User, transition: Transition, actor, reason: str | None) -> None:
    user.status_reason = "erased" if transition.name == "erase" else reason
    if transition.target in (S.DISABLED, S.REJECTED):
        revoke_all_access(user, actor=actor, reason=transition.name)


ACCOUNT_LIFECYCLE = StateMachine(
    "account",
    [
        # The e-mailed link opened and the password typed: a person's account is ready, an NGO's waits for
        # the admin.
        Transition("confirm_email", frozenset({S.UNCONFIRMED}), S.ACTIVE, by_the_owner),
        Transition("confirm_email_for_approval", frozenset({S.UNCONFIRMED}), S.PENDING_APPROVAL, by_the_owner),
        Transition("approve", frozenset({S.PENDING_APPROVAL}), S.ACTIVE, by_admin, label=_l("Approve")),
        Transition("reject", frozenset({S.PENDING_APPROVAL}), S.REJECTED, by_admin, reason_required=True,
                   label=_l("Reject")),
        Transition("disable", frozenset({S.ACTIVE, S.PENDING_APPROVAL}), S.DISABLED, by_admin, reason_required=True,
                   label=_l("Disable")),
        Transition("enable", frozenset({S.DISABLED}), S.ACTIVE, by_admin, label=_l("Enable")),
        # A family's data erased: the account stays as an anonymous, disabled shell.
        Transition("erase", frozenset(S), S.DISABLED, by_office_or_admin),
    ],
    on_apply=[_record],
    audit_object_type="user",
)
# The admin's buttons on an account page, in this order.
ADMIN_DECISIONS = ("approve", "reject", "disable", "enable")
