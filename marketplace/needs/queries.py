"""Read-only selects about needs (the catalogue's own are in catalogue.py)."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.core.audit.models import AuditEntry
from marketplace.core.audit.queries import owner_history
from marketplace.core.extensions import db
from marketplace.files.models import StoredFile
from marketplace.needs.lifecycle import NEED_LIFECYCLE
from marketplace.needs.models import Need

# What a family reads of its own request's history: its steps, not the office's moderation or internal work
# (hiding, outcome photos, a task's requirements).
FAMILY_SEES = frozenset({"need.create", "need.update", "need.transfer"} | {
    f"{NEED_LIFECYCLE.object_type}.{name}" for name in NEED_LIFECYCLE.transitions})


def files_of(need: Need) -> list[StoredFile]:
    """The files attached to a need (its photos), oldest first."""
    return list(db.session.scalars(
        select(StoredFile).where(StoredFile.need_id == need.id).order_by(StoredFile.created_at)
    ))


def family_history(need: Need) -> list[AuditEntry]:
    """The request's history as its family reads it (the caller checked the family owns it), newest first."""
    return owner_history(NEED_LIFECYCLE.logged_as, need.id, actions=FAMILY_SEES)
