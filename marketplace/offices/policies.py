"""Who may see and change offices, and which offices a list shows."""
from __future__ import annotations

from sqlalchemy import Select

from marketplace.core.roles import Role
from marketplace.core.authz import policy
from marketplace.offices.models import Office


@policy("office.view")
def can_view_office(user, office) -> bool:
    return office is not None and (office.is_active or _is_admin(user))


@policy("office.manage")
def can_manage_offices(user, _office) -> bool:
    """Create, edit, import and export offices: the council's admins only."""
    return _is_admin(user)


@policy("office.work")
def can_work_in_office(user, office) -> bool:
    """Staff act only within their own office; admins everywhere."""
    if not user.is_authenticated or office is None:
        return False
    return user.role is Role.ADMIN or (user.role is Role.STAFF and user.office_id == office.id)


def _is_admin(user) -> bool:
    return bool(user.is_authenticated and user.role is Role.ADMIN)


def office_scope(user, stmt: Select) -> Select:
    """Limit an office query to those the user may see: admins see closed offices too."""
    return stmt if _is_admin(user) else stmt.where(Office.is_active.is_(True))
