"""Read helpers for the patron's pages: their pledges, their totals, proof of delivery, the CSV export."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import selectinload

from marketplace.core.extensions import db
from marketplace.core.money import tenge_number
from marketplace.families.models import Household
from marketplace.needs.models import Need, NeedStatus
from marketplace.pledges.forms import kind_label, pledge_status_label
from marketplace.pledges.models import PatronProfile, Pledge, PledgeKind, PledgeStatus as S

# Money the patron has given and that is still given (a redirected pledge lives on as its successor).
GIVEN = (S.PAID, S.DELIVERED)
# What a need's public "N patrons" counts: pledges that hold part of its goal.
HOLDING = (S.PENDING, S.AWAITING_TRANSFER, S.PAID, S.DELIVERED)
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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


def home_point_of(user) -> PatronProfile | None:
    return db.session.scalar(select(PatronProfile).where(PatronProfile.user_id == user.id))


def receipt_number_of(pledge: Pledge) -> str | None:
    """A redirected gift keeps the receipt issued when it was paid."""
    if pledge.receipt_number:
        return pledge.receipt_number
    return pledge.redirected_from.receipt_number if pledge.redirected_from is not None else None


# --- the CSV export ------------------------------------------------------------------------------

def safe_cell(value) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def pledges_csv(pledges, header: list[str]) -> str:
    """The user's pledges as CSV text with a BOM (so spreadsheet programs read the Cyrillic right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in header])
    for p in pledges:
        writer.writerow([safe_cell(cell) for cell in (
            p.id, p.created_at.date().isoformat(), p.need.title, kind_label(p),
            tenge_number(p.amount),
            p.item.name if p.item is not None else "", p.quantity if p.quantity is not None else "",
            pledge_status_label(p), receipt_number_of(p) or "")])
    return "\ufeff" + buffer.getvalue()
