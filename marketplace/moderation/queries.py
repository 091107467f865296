"""Read-only selects behind the staff's decision screens."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from marketplace.core.audit.models import AuditEntry
from marketplace.core.extensions import db
from marketplace.families.models import Household
from marketplace.needs.models import Need


def needs_of(household: Household) -> list[Need]:
    """Every request of a household, newest first."""
    return list(db.session.scalars(
        select(Need).where(Need.household_id == household.id).order_by(Need.created_at.desc(), Need.id.desc())))


def delivery_dates(needs: list[Need]) -> dict[int, datetime]:
    """When each of these requests was last recorded as delivered (by need id)."""
    if not needs:
        return {}
    return dict(db.session.execute(
        select(AuditEntry.object_id, func.max(AuditEntry.created_at))
        .where(AuditEntry.action == "need.fulfil", AuditEntry.object_type == "need",
               AuditEntry.object_id.in_([n.id for n in needs]))
        .group_by(AuditEntry.object_id)
    ).all())
