"""Who may pledge, see pledges, and act on them."""
from __future__ import annotations

from marketplace.core.roles import Role
from marketplace.core.authz import policy
from marketplace.core.roles import has_role, is_admin, is_authenticated, works_for


@policy("pledge.create")
def can_pledge(user, need) -> bool:
    """Patrons pledge; the pledge service checks the need is open and what is still missing."""
    return need is not None and has_role(user, Role.PATRON)


@policy("pledge.view")
def can_view_pledge(user, pledge) -> bool:
    """The patron, the office's staff and admins; the family sees goods pledged to it on its own pages."""
    return is_authenticated(user) and (pledge.patron_id == user.id or works_for(user, pledge.office_id))


@policy("pledge.cancel")
def can_cancel_pledge(user, pledge) -> bool:
    return is_authenticated(user) and (pledge.patron_id == user.id or works_for(user, pledge.office_id))


@policy("pledge.staff")
def can_handle_pledges(user, office_id) -> bool:
    """Confirm transfers, goods received and refunds for one office."""
    return works_for(user, office_id)


@policy("pledge.confirm_goods")
def can_confirm_goods(user, pledge) -> bool:
    """The office, or the family that received the goods."""
    family = is_authenticated(user) and pledge.need.household.user_id == user.id
    return family or works_for(user, pledge.office_id)


@policy("payment.webhook")
def signed_by_provider(_user, event) -> bool:
    """Stripe is no user: a webhook is allowed once its signature over the raw body checked out."""
    return event is not None


@policy("patron.profile")
def can_keep_patron_profile(user, _obj=None) -> bool:
    return has_role(user, Role.PATRON) or is_admin(user)
