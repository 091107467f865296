"""Who may work an office's verification queue, handle flags and hide users."""
from __future__ import annotations

from marketplace.core.authz import policy
from marketplace.core.roles import Role, is_admin, is_authenticated, is_staff_of, works_for
from marketplace.families.services import household_of


@policy("moderation.work")
def can_work_queue(user, office) -> bool:
    """Staff of that office; admins for one office or for all of them (office None)."""
    return is_admin(user) or (office is not None and is_staff_of(user, office.id))


@policy("flag.create")
def can_flag(user, _target) -> bool:
    return is_authenticated(user)


@policy("flag.handle")
def can_handle_flag(user, flag) -> bool:
    return flag is not None and works_for(user, flag.office_id)


@policy("user.moderate")
def can_moderate_user(user, target) -> bool:
    """Hide or unhide a user: admins, and staff for families of their own office."""
    if target is None or not is_authenticated(user):
        return False
    if user.role is Role.ADMIN:
        return True
    if user.role is Role.STAFF and target.role is Role.FAMILY:
        household = household_of(target)
        return household is not None and is_staff_of(user, household.office_id)
    return False
