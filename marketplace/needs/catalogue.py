"""The public catalogue of open needs: filters, ordering, distance and pages, shared by the page and the API.

Everything here starts from `open_needs()`, so no filter can widen what the public sees.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import selectinload

from marketplace import geo
from marketplace.core.extensions import db
from marketplace.geo.regions import REGION_CODES
from marketplace.needs.labels import KINDS
from marketplace.needs.models import Category, Need, NeedItem, Urgency
from marketplace.needs.services import is_public, open_needs

RADIUS_CHOICES_KM = (5, 10, 25, 50, 100)
MAX_RADIUS_KM = 1000.0
MAX_PER_PAGE = 100
# Deeper pages than this are nobody's reading; the cap keeps OFFSET and the distance ranking bounded.
MAX_PAGE = 10_000
# The map shows at most this many needs (grouped by their coarse point); the list pages through the rest.
MAP_POINTS_LIMIT = 500
SETTLEMENT_MAX_LENGTH = 120
# Ids past a 32-bit integer cannot exist; asking the database for one would be an error, not "not found".
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class Filters:
    """What a visitor narrows the catalogue to; None means "any"."""

    category: Category | None = None
    kind: str | None = None  # one of labels.KINDS
    region: str | None = None  # a region code
    settlement: str | None = None  # free text
    urgency: Urgency | None = None

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}")
        if self.region is not None and self.region not in REGION_CODES:
            raise ValueError(f"unknown region {self.region!r}")


@dataclass(frozen=True)
class Origin:
    """The point distances are measured from, and how far to look (None: the whole country)."""

    latitude: float
    longitude: float
    radius_km: float | None = None


@dataclass
class Results:
    """One page of the catalogue; shaped like Flask-SQLAlchemy's pagination for the `pagination` macro."""

    items: list[Need]
    total: int
    page: int
    per_page: int
    distances: dict[int, float] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page)) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


@dataclass(frozen=True)
class MapPoint:
    """One coarse point on the map and the needs shown there (several families may share a point)."""

    latitude: float
    longitude: float
    settlement: str | None
    needs: list[tuple[int, str]]  # (id, title), most relevant first


def public_need(need_id: int) -> Need | None:
    """The need if the public may see it, else None (whether it is missing, hidden or unverified)."""
    need = db.session.get(Need, need_id) if 0 < need_id <= MAX_ID else None
    return need if need is not None and is_public(need) else None


def filtered(filters: Filters, stmt: Select | None = None) -> Select:
    """Open public needs matching the filters (unordered)."""
    stmt = open_needs(stmt if stmt is not None else select(Need))
    if filters.category is not None:
        stmt = stmt.where(Need.category == filters.category)
    if filters.urgency is not None:
        stmt = stmt.where(Need.urgency == filters.urgency)
    if filters.region is not None:
        stmt = stmt.where(Need.region_code == filters.region)
    if filters.kind == "money":
        stmt = stmt.where(Need.money_goal > 0)
    elif filters.kind == "goods":
        stmt = stmt.where(exists().where(NeedItem.need_id == Need.id))
    elif filters.kind == "volunteer":
        stmt = stmt.where(Need.volunteer_slots > 0)
    if filters.settlement:
        stmt = stmt.where(_settlement_matches(filters.settlement))
    return stmt


def _settlement_matches(text: str):
    """Settlement names containing the text in any letter case, or naming the same place in another
    language (Latin "Almaty" finds "Алматы", which is how settlements are stored)."""
    text = text.strip()[:SETTLEMENT_MAX_LENGTH]
    # SQLite folds only ASCII letters in lower()/LIKE, so Cyrillic case variants are spelled out.
    variants = {text, text.lower(), text.upper(), text.capitalize(), text.title()}
    conditions = [Need.settlement.icontains(variant, autoescape=True) for variant in sorted(variants)]
    names = _gazetteer_names(text)
    if names:
        conditions.append(Need.settlement.in_(sorted(names)))
    return or_(*conditions)


def _gazetteer_names(text: str) -> set[str]:
    """Every name (Latin, Russian, Kazakh, historical) of the settlement the offline gazetteer finds."""
    gazetteer = geo.gazetteer()
    location = gazetteer.geocode(text, exactly_one=True)
    if location is None:
        return set()
    settlement = gazetteer.get(location.raw["geonameid"])
    return set(settlement.primary_names) | set(settlement.aliases) if settlement else set()


def _with_cards(stmt: Select) -> Select:
    """Load what a card shows (goods lines, the verifying office) in two extra queries, not one per card."""
    return stmt.options(selectinload(Need.items), selectinload(Need.office))


def clamp_page(page: int) -> int:
    return min(max(1, page), MAX_PAGE)


def _most_urgent_first(stmt: Select) -> Select:
    return stmt.order_by(Need.urgency_rank, Need.created_at.desc(), Need.id.desc())


def search(filters: Filters, origin: Origin | None = None, *, page: int = 1, per_page: int = 20) -> Results:
    """One page of matching needs: nearest first from an origin, else most urgent and then newest first.

    With an origin, needs without a public point cannot be ranked and are left out; needs at the same
    distance (the same settlement) stay most urgent first, so pages never overlap.
    """
    page, per_page = clamp_page(page), min(max(1, per_page), MAX_PER_PAGE)
    offset = (page - 1) * per_page
    if origin is None:
        stmt = filtered(filters)
        total = _count(stmt)
        if offset >= total:
            return Results(items=[], total=total, page=page, per_page=per_page)
        items = list(db.session.scalars(_with_cards(_most_urgent_first(stmt)).limit(per_page).offset(offset)))
        return Results(items=items, total=total, page=page, per_page=per_page)

    # Rank ids only, then load the page's needs: a wide radius may hold thousands of needs.
    ids = _most_urgent_first(filtered(filters, select(Need.id)))
    if origin.radius_km is not None:
        # Count from coordinates alone, then rank only as far as this page: thousands of needs may lie
        # within a city's radius, and ranking them all would cost hundreds of milliseconds.
        total = geo.count_within(db.session, filtered(filters, select(Need.id)), Need.public_latitude,
                                 Need.public_longitude, origin.latitude, origin.longitude, origin.radius_km)
        ranked = _nearby(ids, origin, limit=min(offset + per_page, total)) if offset < total else []
    else:
        total = _count(filtered(filters).where(Need.public_latitude.is_not(None), Need.public_longitude.is_not(None)))
        ranked = _nearby(ids, origin, limit=min(offset + per_page, total)) if offset < total else []
    window = dict(ranked[offset:offset + per_page])  # id → km, nearest first
    # Loaded through the same scope again: a need hidden a moment ago is not shown.
    page_needs = _with_cards(filtered(filters).where(Need.id.in_(window)))
    loaded = {need.id: need for need in db.session.scalars(page_needs)}
    return Results(items=[loaded[need_id] for need_id in window if need_id in loaded], total=total, page=page,
                   per_page=per_page, distances=window)


def map_points(filters: Filters, origin: Origin | None = None, *, limit: int = MAP_POINTS_LIMIT) -> list[MapPoint]:
    """Coarse points of matching needs for the map (the nearest or most urgent `limit`), one per place."""
    columns = select(Need.id, Need.title, Need.settlement, Need.public_latitude, Need.public_longitude)
    stmt = filtered(filters, columns)
    if origin is not None:
        rows = [row for row, _km in _nearby(_most_urgent_first(stmt), origin, limit=limit)]
    else:
        rows = db.session.execute(_most_urgent_first(
            stmt.where(Need.public_latitude.is_not(None), Need.public_longitude.is_not(None))).limit(limit)).all()
    groups: dict[tuple[float, float], MapPoint] = {}
    for need_id, title, settlement, lat, lon in rows:
        # Rounded again here: whatever was stored, the public never gets more than about a kilometre.
        key = geo.coarse_point(lat, lon)
        if key not in groups:
            groups[key] = MapPoint(key[0], key[1], settlement, [])
        groups[key].needs.append((need_id, title))
    return list(groups.values())


def _nearby(stmt: Select, origin: Origin, *, limit: int | None) -> list:
    return geo.nearby(db.session, stmt, Need.public_latitude, Need.public_longitude, origin.latitude,
                      origin.longitude, radius_km=origin.radius_km, limit=limit)


def _count(stmt: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
