"""The verification queue: households and needs waiting for a decision, most urgent and oldest first.

Both kinds are ranked together in one UNION query (households count as normal urgency), each half
narrowed by status and office so that it runs on the (office_id, status) indexes; the objects of one
page are then loaded in two queries with what the page shows, so a page costs a fixed number of
queries whatever its length.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from marketplace.core.scopes import office_scope
from sqlalchemy import Select, func, literal, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from marketplace.core.extensions import db
from marketplace.families.models import Household, HouseholdStatus
from marketplace.moderation.models import Flag, FlagStatus
from marketplace.moderation.services import flag_scope
from marketplace.needs.models import URGENCY_RANK, Need, NeedStatus, Urgency
from marketplace.needs.services import needs_visible_to

HOUSEHOLD_RANK = URGENCY_RANK[Urgency.NORMAL]


@dataclass(frozen=True)
class QueueItem:
    kind: str  # "household" or "need"
    obj: Household | Need
    urgency: Urgency
    waiting_since: datetime


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def households_of_office(user, stmt: Select | None = None) -> Select:
    """Households a staff member works on: their office's; admins all; anyone else none."""
    return office_scope(user, stmt if stmt is not None else select(Household), Household.office_id)


def _ranked(user, status_households: HouseholdStatus, status_needs: NeedStatus, office_id: int | None):
    households = households_of_office(user, select(
        literal("household").label("kind"), Household.id.label("id"), literal(HOUSEHOLD_RANK).label("rank"),
        func.coalesce(Household.submitted_at, Household.created_at).label("since"),
    ).where(Household.status == status_households))
    needs = needs_visible_to(user, select(
        literal("need").label("kind"), Need.id.label("id"), Need.urgency_rank.label("rank"),
        func.coalesce(Need.submitted_at, Need.created_at).label("since"),
    ).where(Need.status == status_needs))
    if office_id is not None:
        households = households.where(Household.office_id == office_id)
        needs = needs.where(Need.office_id == office_id)
    return union_all(households, needs).subquery("queue")


def _load(rows) -> list[QueueItem]:
    household_ids = [row.id for row in rows if row.kind == "household"]
    need_ids = [row.id for row in rows if row.kind == "need"]
    households = {h.id: h for h in db.session.scalars(
        select(Household).where(Household.id.in_(household_ids))
        .options(selectinload(Household.children), joinedload(Household.office))
    )} if household_ids else {}
    needs = {n.id: n for n in db.session.scalars(
        select(Need).where(Need.id.in_(need_ids))
        .options(joinedload(Need.household), joinedload(Need.office))
    )} if need_ids else {}
    items = []
    for row in rows:
        if row.kind == "household":
            household = households[row.id]
            items.append(QueueItem("household", household, Urgency.NORMAL,
                                   household.submitted_at or household.created_at))
        else:
            need = needs[row.id]
            items.append(QueueItem("need", need, need.urgency, need.submitted_at or need.created_at))
    return items


def verification_queue(user, *, office_id: int | None = None, page: int = 1, per_page: int = 50) -> QueuePage:
    """Households and needs waiting for the office's decision, most urgent first, then oldest first."""
    queue = _ranked(user, HouseholdStatus.SUBMITTED, NeedStatus.SUBMITTED, office_id)
    total = db.session.scalar(select(func.count()).select_from(queue)) or 0
    page = max(1, page)
    rows = db.session.execute(
        select(queue.c.kind, queue.c.id)
        .order_by(queue.c.rank, queue.c.since, queue.c.kind, queue.c.id)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return QueuePage(_load(rows), total, page, per_page)


def waiting_for_family(user, *, office_id: int | None = None, limit: int = 100) -> tuple[list[QueueItem], int]:
    """Items the office asked a question about, oldest first, and how many there are in all."""
    queue = _ranked(user, HouseholdStatus.NEEDS_INFO, NeedStatus.NEEDS_INFO, office_id)
    total = db.session.scalar(select(func.count()).select_from(queue)) or 0
    rows = db.session.execute(
        select(queue.c.kind, queue.c.id).order_by(queue.c.since, queue.c.kind, queue.c.id).limit(limit)
    ).all()
    return _load(rows), total


def open_flag_count(user, *, office_id: int | None = None) -> int:
    """How many flags of the office are waiting to be handled."""
    stmt = flag_scope(user, select(func.count(Flag.id))).where(Flag.status == FlagStatus.OPEN)
    if office_id is not None:
        stmt = stmt.where(Flag.office_id == office_id)
    return db.session.scalar(stmt) or 0
