"""Read-only selects about offices."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.core.extensions import db
from marketplace.offices.models import Office


def open_offices() -> list[Office]:
    """Every open office, by name (for the pickers on the family's and the volunteer's forms)."""
    return list(db.session.scalars(select(Office).where(Office.is_active.is_(True)).order_by(Office.name)))
