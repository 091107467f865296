"""Read-only selects behind the staff's decision screens."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from marketplace.accounts.models import User
from marketplace.core.audit.models import AuditEntry
from marketplace.core.extensions import db
from marketplace.families.models import Household
from marketplace.moderation.models import Flag, FlagStatus, FlagTarget
from marketplace.moderation.services import flag_scope
from marketplace.needs.models import Need, NeedMessage


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


def need_for_review(need_id: int) -> Need | None:
    """The need with its household and children, its items and its messages with their authors, or None."""
    return db.session.scalar(
        select(Need).where(Need.id == need_id).options(
            joinedload(Need.household).selectinload(Household.children), selectinload(Need.items),
            selectinload(Need.messages).joinedload(NeedMessage.author),
        )
    )


def open_flag_count_on(reader, need: Need) -> int:
    """How many open flags on this need `reader` may handle."""
    return db.session.scalar(
        flag_scope(reader, select(func.count(Flag.id))).where(
            Flag.status == FlagStatus.OPEN, Flag.target_type == FlagTarget.NEED, Flag.target_id == need.id)
    ) or 0


def open_flags(reader, office_id: int | None = None) -> list[Flag]:
    """The open flags `reader` may handle (of one office, if given) with their reporters, oldest first."""
    stmt = flag_scope(reader, select(Flag)).where(Flag.status == FlagStatus.OPEN)
    if office_id is not None:
        stmt = stmt.where(Flag.office_id == office_id)
    return list(db.session.scalars(stmt.options(joinedload(Flag.reporter)).order_by(Flag.created_at, Flag.id)))


def targets_of(flags: list[Flag]) -> dict[tuple[FlagTarget, int], Need | User]:
    """The flagged needs (with their households) and users of these flags, by (type, id), in two queries."""
    need_ids = {f.target_id for f in flags if f.target_type is FlagTarget.NEED}
    user_ids = {f.target_id for f in flags if f.target_type is FlagTarget.USER}
    targets: dict[tuple[FlagTarget, int], Need | User] = {}
    if need_ids:
        for need in db.session.scalars(select(Need).where(Need.id.in_(need_ids)).options(joinedload(Need.household))):
            targets[(FlagTarget.NEED, need.id)] = need
    if user_ids:
        for user in db.session.scalars(select(User).where(User.id.in_(user_ids))):
            targets[(FlagTarget.USER, user.id)] = user
    return targets
