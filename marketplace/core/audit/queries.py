"""Reading the audit log: one object's history as the reader may see it."""
from __future__ import annotations

from sqlalchemy import Select, select

from marketplace.core.audit.models import AuditEntry
from marketplace.core.audit.policies import audit_scope
from marketplace.core.extensions import db

HISTORY_LIMIT = 50


def history_of(reader, object_type: str, object_id: int, *, limit: int = HISTORY_LIMIT) -> list[AuditEntry]:
    """The audit entries about one object that `reader` may read, newest first."""
    stmt = audit_scope(reader, select(AuditEntry)).where(
        AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
    return list(db.session.scalars(stmt.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit)))


def entries_readable_by(reader, *, action_prefix: str = "") -> Select:
    """A select of the audit entries `reader` may read whose action starts with `action_prefix`, newest first."""
    stmt = audit_scope(reader, select(AuditEntry))
    if action_prefix:
        stmt = stmt.where(AuditEntry.action.like(f"{action_prefix}%"))
    return stmt.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
