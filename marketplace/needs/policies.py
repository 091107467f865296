"""Who may see and act on needs (the household's own rules are in families/policies.py)."""
from __future__ import annotations

from marketplace.core.roles import Role
from marketplace.core.authz import policy
from marketplace.core.roles import has_role, is_admin, works_for
from marketplace.families.policies import owns_household


@policy("need.create")
def can_create_need(user, household) -> bool:
    return has_role(user, Role.FAMILY) and owns_household(user, household)


@policy("need.edit_own")
def can_edit_own_need(user, need) -> bool:
    return need is not None and owns_household(user, need.household)


@policy("need.view_private")
def can_view_private_need(user, need) -> bool:
    """The whole need with its conversation and evidence: the family, its office, admins."""
    return need is not None and (owns_household(user, need.household) or works_for(user, need.office_id))


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
    return need is not None and (owns_household(user, need.household) or works_for(user, need.office_id))
