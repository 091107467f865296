"""Read-only selects about needs (the catalogue's own are in catalogue.py)."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.core.extensions import db
from marketplace.files.models import StoredFile
from marketplace.needs.models import Need


def files_of(need: Need) -> list[StoredFile]:
    """The files attached to a need (its photos), oldest first."""
    return list(db.session.scalars(
        select(StoredFile).where(StoredFile.need_id == need.id).order_by(StoredFile.created_at)
    ))
