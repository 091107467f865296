"""Who may do what with accounts."""
from __future__ import annotations

from typing import TYPE_CHECKING

from marketplace.core.authz import policy
from marketplace.core.roles import Role, has_role, is_authenticated

if TYPE_CHECKING:
    from marketplace.accounts.models import ApiToken


def is_admin(user) -> bool:
    return bool(user.is_authenticated and user.role is Role.ADMIN)


@policy("account.sign_up")
def can_sign_up(user, _obj) -> bool:
    return not user.is_authenticated


@policy("account.confirm_email")
def can_confirm_email(_user, _obj) -> bool:
    return True  # the signed link and, for a sign-up, the password are the proof; anyone may open one


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


@policy("api_token.manage_own")
def can_manage_tokens(user, _obj=None) -> bool:
    """Tokens exist for the volunteers' app, so only volunteers hold them."""
    return has_role(user, Role.VOLUNTEER)


@policy("api_token.revoke")
def can_revoke_token(user, token: ApiToken | None) -> bool:
    """Only the token's owner revokes it (a disabled account's tokens stop working anyway)."""
    return is_authenticated(user) and token is not None and token.user_id == user.id
