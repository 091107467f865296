"""Who may see and act on needs, households and their files."""
from __future__ import annotations

from marketplace.core.roles import Role
from marketplace.core.authz import policy
from marketplace.core.roles import has_role, is_admin, is_authenticated, works_for


def _owns_household(user, household) -> bool:
    return is_authenticated(user) and household is not None and household.user_id == user.id


@policy("household.edit_own")
def can_edit_own_household(user, household) -> bool:
    """A family fills in its own household (its account must be a family account)."""
    return has_role(user, Role.FAMILY) and (household is None or _owns_household(user, household))


@policy("household.read_personal")
def can_read_household(user, household) -> bool:
    """The family itself, staff of its office, admins (every read but the family's is audited)."""
    return household is not None and (_owns_household(user, household) or works_for(user, household.office_id))


@policy("household.moderate")
def can_moderate_household(user, household) -> bool:
    return household is not None and works_for(user, household.office_id)


@policy("need.create")
def can_create_need(user, household) -> bool:
    return has_role(user, Role.FAMILY) and _owns_household(user, household)


@policy("need.edit_own")
def can_edit_own_need(user, need) -> bool:
    return need is not None and _owns_household(user, need.household)


@policy("need.view_private")
def can_view_private_need(user, need) -> bool:
    """The whole need with its conversation and evidence: the family, its office, admins."""
    return need is not None and (_owns_household(user, need.household) or works_for(user, need.office_id))


@policy("need.moderate")
def can_moderate_need(user, need) -> bool:
    """Verify, question, reject, hide, cancel: staff of the need's office and admins."""
    return need is not None and works_for(user, need.office_id)


@policy("need.unhide")
def can_unhide_need(user, need) -> bool:
    """Show a hidden request again: the office's staff, unless an admin hid it; then admins only."""
    if need is None or not works_for(user, need.office_id):
        return False
    return is_admin(user) or not need.hidden_by_admin


@policy("need.transition")
def can_try_transition(user, need) -> bool:
    """Asking for a lifecycle change at all; the lifecycle itself decides which one (409 otherwise)."""
    return need is not None and (_owns_household(user, need.household) or works_for(user, need.office_id))


@policy("file.read")
def can_read_file(user, stored) -> bool:
    """Evidence: the family, staff of its office and admins only."""
    if stored is None:
        return False
    from marketplace.families.models import Household
    from marketplace.core.extensions import db

    household = db.session.get(Household, stored.household_id)
    return household is not None and (_owns_household(user, household) or works_for(user, household.office_id))


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
        from marketplace.families.services import household_of

        household = household_of(target)
        return household is not None and household.office_id == user.office_id
    return False
