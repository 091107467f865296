"""The six roles, and predicates about who someone is in relation to an office; policies, scopes and
state machines build on them."""
from __future__ import annotations

import enum
from typing import Any


class Role(str, enum.Enum):
    FAMILY = "family"
    VOLUNTEER = "volunteer"
    PATRON = "patron"
    PARTNER = "partner"
    STAFF = "staff"
    ADMIN = "admin"


def is_authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_admin(user: Any) -> bool:
    return is_authenticated(user) and user.role is Role.ADMIN


def is_staff_of(user: Any, office_id: int | None) -> bool:
    """Staff of exactly this office (admins are not staff of an office)."""
    return is_authenticated(user) and user.role is Role.STAFF and office_id is not None and user.office_id == office_id


def works_for(user: Any, office_id: int | None) -> bool:
    """Staff of this office, or an admin (who acts for every office)."""
    return is_admin(user) or is_staff_of(user, office_id)


def has_role(user: Any, *roles: Role) -> bool:
    return is_authenticated(user) and user.role in roles
