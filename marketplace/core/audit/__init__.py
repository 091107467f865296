"""Audit log: one `record()` call per state change or read of personal data."""
from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from marketplace.core.audit.models import AuditEntry
from marketplace.core.extensions import db


def _state(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def record(
    action: str,
    obj: Any = None,
    *,
    actor: Any = None,
    object_type: str | None = None,
    object_id: int | None = None,
    office_id: int | None = None,
    from_state: Any = None,
    to_state: Any = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the current transaction (flushed, never committed here).

    `reason` is what a person wrote; what the code knows (the fields changed, an amount, the objects
    involved, a note) goes in `details`, as data, for the pages to put into the reader's words."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    if obj is not None:
        if getattr(obj, "id", None) is None:
            db.session.flush()
        object_type = object_type or obj.__tablename__.rstrip("s")
        object_id = object_id if object_id is not None else obj.id
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", None) or "system",
        action=action,
        object_type=object_type or "system",
        object_id=object_id,
        office_id=office_id,
        from_state=_state(from_state),
        to_state=_state(to_state),
        reason=reason,
        details=details or None,
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    db.session.flush()
    return entry
