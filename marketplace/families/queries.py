"""Read-only selects about households."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.core.extensions import db
from marketplace.families.models import Household
from marketplace.files.models import StoredFile


def evidence_of(household: Household | None) -> list[StoredFile]:
    """The household's own documents, oldest first (a need's photos are listed on the need)."""
    if household is None:
        return []
    return list(db.session.scalars(
        select(StoredFile).where(StoredFile.household_id == household.id, StoredFile.need_id.is_(None))
        .order_by(StoredFile.created_at)
    ))
