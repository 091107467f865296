"""Who may see and act on a household and its evidence."""
from __future__ import annotations

from marketplace.core.authz import policy
from marketplace.core.extensions import db
from marketplace.core.roles import Role, has_role, is_authenticated, works_for
from marketplace.families.models import Household


def owns_household(user, household) -> bool:
    """The family whose household it is."""
    return is_authenticated(user) and household is not None and household.user_id == user.id


@policy("household.edit_own")
def can_edit_own_household(user, household) -> bool:
    """A family fills in its own household (its account must be a family account)."""
    return has_role(user, Role.FAMILY) and (household is None or owns_household(user, household))


@policy("household.read_personal")
def can_read_household(user, household) -> bool:
    """The family itself, staff of its office, admins (every read but the family's is audited)."""
    return household is not None and (owns_household(user, household) or works_for(user, household.office_id))


@policy("household.moderate")
def can_moderate_household(user, household) -> bool:
    return household is not None and works_for(user, household.office_id)


@policy("file.read")
def can_read_file(user, stored) -> bool:
    """Evidence: the family, staff of its office and admins only."""
    if stored is None:
        return False
    household = db.session.get(Household, stored.household_id)
    return household is not None and (owns_household(user, household) or works_for(user, household.office_id))
