"""Who may do what with accounts."""
from __future__ import annotations

from marketplace.core.roles import Role
from marketplace.core.authz import policy


def is_admin(user) -> bool:
    return bool(user.is_authenticated and user.role is Role.ADMIN)


@policy("account.sign_up")
def can_sign_up(user, _obj) -> bool:
    return not user.is_authenticated


@policy("account.log_in")
def can_log_in(user, _obj) -> bool:
    return True  # logging in again as someone else is allowed; the old session is ended


@policy("account.reset_password")
def can_reset_password(_user, _obj) -> bool:
    return True


@policy("account.log_out")
def can_log_out(user, _obj) -> bool:
    return user.is_authenticated


@policy("account.edit_own")
def can_edit_own(user, account) -> bool:
    return user.is_authenticated and account is not None and account.id == user.id


@policy("account.list")
def can_list_accounts(user, _obj) -> bool:
    return is_admin(user)


@policy("account.manage")
def can_manage_account(user, account) -> bool:
    """Admins manage every account (approve, disable, assign an office, create staff)."""
    return is_admin(user)


@policy("language.set")
def can_set_language(_user, _obj) -> bool:
    return True
