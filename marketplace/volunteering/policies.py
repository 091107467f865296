"""Who may take and act on volunteer tasks."""
from __future__ import annotations

from marketplace.core.roles import Role
from marketplace.core.authz import policy
from marketplace.core.roles import has_role


@policy("claim.create")
def can_try_to_claim(user, need) -> bool:
    """Any volunteer may ask; the claim service decides (skills, vetting, free slots) and says why not."""
    return need is not None and has_role(user, Role.VOLUNTEER)
