"""Who may read the audit log, and which entries."""
from __future__ import annotations

from sqlalchemy import Select, false

from marketplace.core.roles import Role
from marketplace.core.audit.models import AuditEntry
from marketplace.core.authz import policy


@policy("audit.view")
def can_view_audit(user, _obj) -> bool:
    return bool(user.is_authenticated and user.role in (Role.ADMIN, Role.STAFF))


def audit_scope(user, stmt: Select) -> Select:
    """Admins see every entry; staff only those of their own office; others nothing."""
    if not user.is_authenticated:
        return stmt.where(false())
    if user.role is Role.ADMIN:
        return stmt
    if user.role is Role.STAFF and user.office_id is not None:
        return stmt.where(AuditEntry.office_id == user.office_id)
    return stmt.where(false())
