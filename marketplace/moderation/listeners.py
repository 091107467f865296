"""Flags follow the family they are about to its new office, whose staff handle them."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.core.extensions import db
from marketplace.families.models import Household
from marketplace.families.signals import office_changed
from marketplace.moderation.models import Flag, FlagStatus, FlagTarget
from marketplace.needs.models import Need


@office_changed.connect
def move_flags_with_household(household: Household, *, from_office_id, office_id, actor) -> None:
    """Open flags about the family or any of its requests move to its new office."""
    need_ids = list(db.session.scalars(select(Need.id).where(Need.household_id == household.id)))
    flags = db.session.scalars(select(Flag).where(Flag.status == FlagStatus.OPEN, (
        ((Flag.target_type == FlagTarget.USER) & (Flag.target_id == household.user_id))
        | ((Flag.target_type == FlagTarget.NEED) & Flag.target_id.in_(need_ids or [-1]))
    ))).all()
    for flag in flags:
        flag.office_id = office_id
