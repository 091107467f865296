"""Who may work an office's verification queue and flags."""
from __future__ import annotations

from marketplace.core.authz import policy
from marketplace.core.roles import is_admin, is_staff_of


@policy("moderation.work")
def can_work_queue(user, office) -> bool:
    """Staff of that office; admins for one office or for all of them (office None)."""
    return is_admin(user) or (office is not None and is_staff_of(user, office.id))
