"""Who may read the audit log, and which entries."""
from __future__ import annotations

from sqlalchemy import Select

from marketplace.core.audit.models import AuditEntry
from marketplace.core.authz import policy
from marketplace.core.roles import Role, has_role
from marketplace.core.scopes import office_scope


@policy("audit.view")
def can_view_audit(user, _obj) -> bool:
    return has_role(user, Role.ADMIN, Role.STAFF)


def audit_scope(user, stmt: Select) -> Select:
    """Admins see every entry; staff only those of their own office; others nothing."""
    return office_scope(user, stmt, AuditEntry.office_id)
