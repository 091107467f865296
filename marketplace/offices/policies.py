"""Who may see and change offices, and which offices a list shows."""
from __future__ import annotations

from sqlalchemy import Select

from marketplace.core.authz import policy
from marketplace.core.roles import is_admin, works_for
from marketplace.offices.models import Office


@policy("office.view")
def can_view_office(user, office) -> bool:
    return office is not None and (office.is_active or is_admin(user))


@policy("office.manage")
def can_manage_offices(user, _office) -> bool:
    """Create, edit, import and export offices: the council's admins only."""
    return is_admin(user)


@policy("office.work")
def can_work_in_office(user, office) -> bool:
    """Staff act only within their own office; admins everywhere."""
    return office is not None and works_for(user, office.id)


def office_scope(user, stmt: Select) -> Select:
    """Limit an office query to those the user may see: admins see closed offices too."""
    return stmt if is_admin(user) else stmt.where(Office.is_active.is_(True))
