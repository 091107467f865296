"""What a user may see of a list: one function narrows every office-bound query.

Staff see their own office's rows, admins every office's, anyone else only what `own` grants them (a family
its own household's rows, a visitor the public ones) or nothing. Each list passes its office column, so that a new list cannot forget
the rule and a change to it (the partners' assigned cases) is made here once.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, false

from marketplace.core.roles import Role, is_admin, is_authenticated


def office_scope(user: Any, stmt: Select, office_column: Any, *,
                 own: Callable[[Select], Select] | None = None) -> Select:
    """`stmt` narrowed to what `user` may see: staff their office's rows, admins all, anyone else (visitors too) `own(stmt)`, or nothing."""
    if is_admin(user):
        return stmt
    if is_authenticated(user) and user.role is Role.STAFF:
        if user.office_id is None:
            return stmt.where(false())
        return stmt.where(office_column == user.office_id)
    if own is not None:
        return own(stmt)
    return stmt.where(false())


def staff_office_id(user: Any, requested: int | None) -> int | None:
    """The office a staff page is about: staff always their own; an admin the one asked for (or none)."""
    if is_admin(user):
        return requested
    if is_authenticated(user) and user.role is Role.STAFF:
        return user.office_id
    return None
