"""Read-only selects about offices."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Row, Select, func, select

from marketplace.core.extensions import db
from marketplace.offices.models import Office, office_name_columns, reader_name
from marketplace.offices.policies import office_scope
from marketplace.offices.services import search_stmt


def open_offices() -> list[Office]:
    """Every open office, by its Russian name (for the pickers on the family's and the volunteer's forms)."""
    return list(db.session.scalars(select(Office).where(Office.is_active.is_(True)).order_by(Office.name)))


def office_choices() -> list[tuple[int, str]]:
    """Every office as (id, "settlement — name") in the reader's language, by settlement and Russian name (for
    the admin's pickers)."""
    rows = db.session.execute(select(Office.id, Office.settlement, *office_name_columns())
                              .order_by(Office.settlement, Office.name))
    return [(row.id, f"{row.settlement} — {reader_name(row)}") for row in rows]


def offices_seen_by(user, *, region_code: str | None = None, text: str | None = None) -> Select:
    """A select of the offices `user` may see in a region and with a word in them, unordered."""
    return search_stmt(office_scope(user, select(Office)), region_code=region_code, text=text)


def in_list_order(stmt: Select) -> Select:
    """`stmt` in the order the office lists show: by region, settlement and name."""
    return stmt.order_by(Office.region_code, Office.settlement, Office.name)


def map_points_seen_by(user, *, region_code: str | None = None, text: str | None = None) -> list[Row]:
    """Id, names, settlement and coordinates of each office `user` may see in a region and with a word in them."""
    return db.session.execute(
        search_stmt(office_scope(user, select(Office.id, *office_name_columns(), Office.settlement,
                                               Office.latitude, Office.longitude)),
                    region_code=region_code, text=text)
    ).all()


def count_of(stmt: Select) -> int:
    """How many rows `stmt` finds."""
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def all_offices_matching(text: str | None = None) -> Select:
    """A select of every office, open or closed, with a word in its settlement, name or address, in list order."""
    return in_list_order(search_stmt(select(Office), text=text))


def all_offices_by_code() -> list[Office]:
    """Every office, open or closed, by code (for the CSV export)."""
    return list(db.session.scalars(select(Office).order_by(Office.code)))


def open_office_count() -> int:
    """How many offices are open."""
    return db.session.scalar(select(func.count()).select_from(Office).where(Office.is_active.is_(True)))


def office_count() -> int:
    """How many offices there are, open or closed."""
    return db.session.scalar(select(func.count()).select_from(Office))


def office_names(ids: Iterable[int]) -> dict[int, str]:
    """The names of some offices in the reader's language, by id (for the audit log's "moved to another office")."""
    rows = db.session.execute(select(Office.id, *office_name_columns()).where(Office.id.in_(list(ids))))
    return {row.id: reader_name(row) for row in rows}
