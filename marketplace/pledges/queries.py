"""Read helpers: the patron's pledges, totals, proof of delivery and CSV export; the staff's work queues;
the goods a family sees promised to its request."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Select, and_, false, func, not_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from marketplace.core import csv_cells
from marketplace.core.extensions import db
from marketplace.core.money import tenge_number
from marketplace.core.scopes import office_scope
from marketplace.families.models import Household
from marketplace.needs.models import Need, NeedStatus
from marketplace.offices.models import Office, office_name_columns, reader_name
from marketplace.pledges.forms import kind_label, pledge_status_label
from marketplace.pledges.labels import labels_context, patron_shown
from marketplace.pledges.lifecycle import PLEDGE_LIFECYCLE
from marketplace.pledges.models import (
    PatronProfile, PaymentProvider, Pledge, PledgeKind, PledgeStatus as S, pledge_number, read_pledge_number,
)

# Money the patron has given and that is still given (a redirected pledge lives on as its successor).
GIVEN = (S.PAID, S.DELIVERED)
# What a need's public "N patrons" counts: pledges that hold part of its goal.
HOLDING = (S.PENDING, S.AWAITING_TRANSFER, S.PAID, S.DELIVERED)


def pledges_of(user) -> Select:
    """The user's pledges, newest first."""
    return (select(Pledge).where(Pledge.patron_id == user.id)
            # The list links a need only while it is public, which reads its household and the family's account.
            .options(selectinload(Pledge.need).selectinload(Need.household).selectinload(Household.user),
                     selectinload(Pledge.item))
            .order_by(Pledge.created_at.desc(), Pledge.id.desc()))


def reached_need():
    """Pledges that did reach their need: money paid (or moved on), goods received."""
    return or_(and_(Pledge.kind == PledgeKind.MONEY, Pledge.status.in_((*GIVEN, S.REDIRECTED))),
               and_(Pledge.kind == PledgeKind.GOODS, Pledge.status == S.DELIVERED))


@dataclass(frozen=True)
class Totals:
    money: int  # tiyn paid and not returned
    needs: int  # requests supported with money paid or goods received
    goods: int  # pieces of goods received


def totals_of(user) -> Totals:
    money = db.session.scalar(
        select(func.coalesce(func.sum(Pledge.amount - Pledge.amount_refunded), 0))
        .where(Pledge.patron_id == user.id, Pledge.kind == PledgeKind.MONEY, Pledge.status.in_(GIVEN)))
    needs = db.session.scalar(
        select(func.count(func.distinct(Pledge.need_id))).where(
            Pledge.patron_id == user.id,
            or_(and_(Pledge.kind == PledgeKind.MONEY, Pledge.status.in_(GIVEN)),
                and_(Pledge.kind == PledgeKind.GOODS, Pledge.status == S.DELIVERED))))
    goods = db.session.scalar(
        select(func.coalesce(func.sum(Pledge.quantity), 0))
        .where(Pledge.patron_id == user.id, Pledge.kind == PledgeKind.GOODS, Pledge.status == S.DELIVERED))
    return Totals(money=int(money or 0), needs=int(needs or 0), goods=int(goods or 0))


def delivered_needs(user, limit: int = 20) -> list[Need]:
    """Needs the user helped that the office has marked met, newest first: their outcome is the proof."""
    supported = select(Pledge.need_id).where(Pledge.patron_id == user.id, reached_need())
    return list(db.session.scalars(
        select(Need).where(Need.id.in_(supported), Need.status.in_((NeedStatus.FULFILLED, NeedStatus.CLOSED)))
        .order_by(Need.closed_at.desc().nulls_last(), Need.id.desc()).limit(limit)))


def supporters_count(need: Need) -> int:
    """How many patrons hold a pledge on the need (for its public page; no names)."""
    return db.session.scalar(select(func.count(func.distinct(Pledge.patron_id))).where(
        Pledge.need_id == need.id, Pledge.status.in_(HOLDING))) or 0


def successor_of(pledge: Pledge) -> Pledge | None:
    """Where a redirected pledge's money went."""
    return db.session.scalar(select(Pledge).where(Pledge.redirected_from_id == pledge.id))


def all_pledges_of(user) -> list[Pledge]:
    """Every pledge of the user, newest first (for the CSV export)."""
    return list(db.session.scalars(pledges_of(user)))


def home_point_of(user) -> PatronProfile | None:
    return db.session.scalar(select(PatronProfile).where(PatronProfile.user_id == user.id))


def receipt_number_of(pledge: Pledge) -> str | None:
    """A redirected gift keeps the receipt issued when it was paid."""
    if pledge.receipt_number:
        return pledge.receipt_number
    return pledge.redirected_from.receipt_number if pledge.redirected_from is not None else None


# --- the CSV export ------------------------------------------------------------------------------

def pledges_csv(pledges, header: list[str]) -> str:
    """The user's pledges as CSV text with a BOM (so spreadsheet programs read the Cyrillic right)."""
    buffer = io.StringIO()
    writer = csv_cells.writer(buffer)
    writer.writerow(header)
    for p in pledges:
        writer.writerow([
            p.number, p.created_at.date().isoformat(), p.need.title, kind_label(p), tenge_number(p.amount),
            p.item.name if p.item is not None else "", p.quantity, pledge_status_label(p), receipt_number_of(p)])
    return "\ufeff" + buffer.getvalue()


# --- the staff's list ------------------------------------------------------------------------------

def work_queues() -> dict:
    """The pledges waiting for a staff member's hand; "recent" is everything else."""
    return {
        "transfers": and_(Pledge.kind == PledgeKind.MONEY, Pledge.status == S.AWAITING_TRANSFER),
        "goods": and_(Pledge.kind == PledgeKind.GOODS, Pledge.status == S.PENDING),
        "refunds": and_(Pledge.status == S.REFUND_PENDING, Pledge.provider.is_not(None),
                        Pledge.provider == PaymentProvider.OFFLINE),
    }


def tab_condition(tab: str):
    queues = work_queues()
    return queues[tab] if tab in queues else not_(or_(*queues.values()))


def tab_order(tab: str):
    if tab == "recent":
        changed = func.coalesce(Pledge.closed_at, Pledge.delivered_at, Pledge.paid_at, Pledge.created_at)
        return (changed.desc(), Pledge.id.desc())
    return (Pledge.created_at, Pledge.id)  # the longest waiting first


def _staff_scope(user, stmt: Select, *, office_id: int | None, need_id: int | None) -> Select:
    """`stmt` narrowed to what the user may see (core.scopes), then to one need or an admin's chosen office."""
    stmt = office_scope(user, stmt, Pledge.office_id)
    if need_id is not None:
        return stmt.where(Pledge.need_id == need_id)
    if office_id is not None:  # staff are already held to their office; this is an admin's choice of one
        return stmt.where(Pledge.office_id == office_id)
    return stmt  # an admin looking at every office


def queue_counts(user, *, office_id: int | None, need_id: int | None) -> dict[str, int]:
    """How many pledges wait in each work queue of the staff's list."""
    counted = _staff_scope(user, select(func.count(Pledge.id)), office_id=office_id, need_id=need_id)
    return {name: db.session.scalar(counted.where(condition)) or 0 for name, condition in work_queues().items()}


def staff_tab(user, tab: str, *, office_id: int | None, need_id: int | None) -> Select:
    """The pledges of one tab of the staff's list, in its order."""
    return (_staff_scope(user, select(Pledge), office_id=office_id, need_id=need_id)
            .where(tab_condition(tab))
            # The household too: whether the family may confirm goods is part of each row's buttons.
            .options(joinedload(Pledge.need).joinedload(Need.household), joinedload(Pledge.patron),
                     joinedload(Pledge.item))
            .order_by(*tab_order(tab)))


def numbered(text: str):
    """The condition "this pledge has the number (or receipt number) in `text`": the number as the patron
    wrote it on the transfer, the receipt's number, the old reference "SW pledge #5", or the id alone."""
    typed = (text or "").strip().upper()
    conditions = [Pledge.receipt_number == typed] if typed else []
    found = read_pledge_number(text)
    if found is not None:
        year, pledge_id = found
        if year is None:
            conditions.append(Pledge.id == pledge_id)
        elif 1 <= year < 9999:
            # The number's year is the UTC year the pledge was made in (Pledge.number); a receipt issued
            # before numbers were given at once may carry the year it was paid in instead.
            made = and_(Pledge.created_at >= datetime(year, 1, 1, tzinfo=timezone.utc),
                        Pledge.created_at < datetime(year + 1, 1, 1, tzinfo=timezone.utc))
            conditions += [and_(Pledge.id == pledge_id, made), Pledge.receipt_number == pledge_number(pledge_id, year)]
    return or_(*conditions) if conditions else false()


def staff_search(user, text: str, *, office_id: int | None, need_id: int | None) -> Select:
    """The pledges of the staff's list (in every tab) that carry the number in `text`, newest first."""
    return (_staff_scope(user, select(Pledge), office_id=office_id, need_id=need_id)
            .where(numbered(text))
            .options(joinedload(Pledge.need).joinedload(Need.household), joinedload(Pledge.patron),
                     joinedload(Pledge.item))
            .order_by(Pledge.created_at.desc(), Pledge.id.desc()))


def office_names(ids) -> dict[int, str]:
    """The names of these offices in the reader's language, by id (for a list of every office's pledges)."""
    if not ids:
        return {}
    rows = db.session.execute(select(Office.id, *office_name_columns()).where(Office.id.in_(ids)))
    return {row.id: reader_name(row) for row in rows}


# --- the family's side -----------------------------------------------------------------------------

def goods_pledged_to(need: Need, user) -> dict:
    """For the family's page of its need: the goods promised or received (the patron by name only when
    they did not ask to stay anonymous; never an e-mail or phone) and which of them `user` may mark
    received. Money shows as totals only."""
    if not need.items:
        return {"goods_pledges": []}
    pledges = db.session.scalars(
        select(Pledge).where(Pledge.need_id == need.id, Pledge.kind == PledgeKind.GOODS,
                             Pledge.status.in_((S.PENDING, S.DELIVERED)))
        .options(joinedload(Pledge.patron), joinedload(Pledge.item)).order_by(Pledge.created_at, Pledge.id)
    ).all()
    receivable = {p.id for p in pledges if PLEDGE_LIFECYCLE.can(user, p, "deliver")}
    return {"goods_pledges": pledges, "receivable": receivable, "patron_shown": patron_shown, **labels_context()}
