"""The public catalogue of open needs: filters, ordering, distance and pages, shared by the page and the API.

Everything here starts from `open_needs()`, so no filter can widen what the public sees.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import Select, bindparam, func, select, tuple_
from sqlalchemy.orm import joinedload, selectinload

from marketplace import geo
from marketplace.core.extensions import db
from marketplace.geo.regions import REGION_CODES
from marketplace.needs.labels import KINDS
from marketplace.needs.listing import settlement_key
from marketplace.needs.models import URGENCY_RANK, Category, Need, Urgency
from marketplace.needs.services import is_public, open_needs

RADIUS_CHOICES_KM = (5, 10, 25, 50, 100)
MAX_RADIUS_KM = 1000.0
MAX_PER_PAGE = 100
# Matches are counted up to this many ("more than 1,000"), and numbered pages reach this deep: past it, pages
# follow each other "after this one" in the catalogue's order, and a list nearest first ends there.
COUNT_CAP = 1_000
MAX_PAGE = 10_000  # what a page number may say (pages past COUNT_CAP come through `after`)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# The map shows at most this many places; past it, places are merged into cells about CELL_PX pixels wide.
MAP_POINTS_LIMIT = 300
CELL_PX = 48
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
    """One page of the catalogue: its needs, how many match (counted only up to COUNT_CAP), and where the
    pages before and after it start."""

    items: list[Need]
    total: int  # at most COUNT_CAP; more exist when not `exact`
    page: int
    per_page: int
    distances: dict[int, float] = field(default_factory=dict)
    exact: bool = True
    has_next: bool = False
    has_prev: bool = False
    # "after this one" / "before this one": where the next and previous pages start, for lists in the
    # catalogue's own order (none for a list nearest first, whose pages are numbered up to COUNT_CAP).
    next_after: str | None = None
    prev_before: str | None = None

    @property
    def pages(self) -> int | None:
        """How many pages, when the count is exact."""
        if not self.exact:
            return None
        return max(1, math.ceil(self.total / self.per_page)) if self.total else 0

    @property
    def last_page(self) -> int:
        """The last page a number reaches (the count's, or COUNT_CAP's)."""
        return max(1, math.ceil(min(self.total, COUNT_CAP) / self.per_page))

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


@dataclass(frozen=True)
class Cursor:
    """A need's place in the catalogue's order (most urgent, then newest), written into page links."""

    urgency_rank: int
    created_at: datetime
    need_id: int

    PATTERN = re.compile(r"([0-2])-(\d{1,17})-(\d{1,10})")

    @classmethod
    def of(cls, need: Need) -> Cursor:
        return cls(need.urgency_rank, need.created_at, need.id)

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """ValueError for anything a page link of ours could not have written."""
        match = cls.PATTERN.fullmatch(text or "")
        if match is None:
            raise ValueError(text)
        micros = int(match[2])
        try:
            created = EPOCH + timedelta(microseconds=micros)
        except OverflowError as error:
            raise ValueError(text) from error
        return cls(int(match[1]), created, int(match[3]))

    def __str__(self) -> str:
        return f"{self.urgency_rank}-{_micros(self.created_at)}-{self.need_id}"


@dataclass(frozen=True)
class MapPoint:
    """One coarse place on the map (or, zoomed out, a cell of several) and how many matching needs are there."""

    latitude: float
    longitude: float
    settlement: str | None
    count: int
    first_id: int  # the need shown when it is alone there
    cell: bool = False  # several places merged: the map zooms in on it


@dataclass(frozen=True)
class Box:
    """A map's visible box, in degrees."""

    west: float
    south: float
    east: float
    north: float

    @classmethod
    def parse(cls, text: str) -> Box:
        """"west,south,east,north" as Leaflet's toBBoxString() writes it; ValueError otherwise."""
        parts = (text or "").split(",")
        if len(parts) != 4:
            raise ValueError(text)
        west, south, east, north = (float(part) for part in parts)
        if not all(math.isfinite(v) for v in (west, south, east, north)) or not (
                -180 <= west <= east <= 180 and -90 <= south <= north <= 90):
            raise ValueError(text)
        return cls(west, south, east, north)


def public_need(need_id: int) -> Need | None:
    """The need if the public may see it, else None (whether it is missing, hidden or unverified)."""
    need = db.session.get(Need, need_id) if 0 < need_id <= MAX_ID else None
    return need if need is not None and is_public(need) else None


def filtered(filters: Filters, stmt: Select | None = None) -> Select:
    """Listed needs matching the filters (unordered). Every filter is a term on the need's own row, most of
    them the first column of a partial index in the catalogue's order (models.Need's indexes)."""
    stmt = open_needs(stmt if stmt is not None else select(Need))
    if filters.category is not None:
        stmt = stmt.where(Need.category == filters.category)
    if filters.urgency is not None:
        stmt = stmt.where(Need.urgency_rank == URGENCY_RANK[filters.urgency])
    if filters.region is not None:
        stmt = stmt.where(Need.region_code == filters.region)
    if filters.kind == "money":
        stmt = stmt.where(Need.money_goal > 0)
    elif filters.kind == "goods":
        stmt = stmt.where(Need.has_goods == True)  # noqa: E712  (kept by needs/listing.py)
    elif filters.kind == "volunteer":
        stmt = stmt.where(Need.volunteer_slots > 0)
    if filters.settlement:
        stmt = stmt.where(Need.settlement_key == searched_settlement_key(filters.settlement))
    return stmt


def searched_settlement_key(text: str) -> str | None:
    """The key of the settlement a visitor typed: a name of a place in any language or letter case ("almaty",
    "Алма-Ата"), a text naming one ("Алматы, Казахстан") or the start of a name ("Алм", as the suggestions
    complete it: the biggest such place) finds that place; other text finds the needs whose settlement is
    spelt so, in any letter case. One key, so the filter is one ordered range of its index."""
    text = text.strip()[:SETTLEMENT_MAX_LENGTH]
    gazetteer = geo.gazetteer()
    if gazetteer.find_settlement(text) is None:
        location = gazetteer.geocode(text, exactly_one=True)
        if location is not None:
            return f"g{location.raw['geonameid']}"
        completed = gazetteer.search(text, limit=1)
        if completed:
            return f"g{completed[0].geonameid}"
    return settlement_key(text)


def _with_cards(stmt: Select) -> Select:
    """Load what a card shows: the verifying office in the same query, the goods lines in one more, never one
    query per card."""
    return stmt.options(selectinload(Need.items), joinedload(Need.office))


def clamp_page(page: int) -> int:
    return min(max(1, page), MAX_PAGE)


def _most_urgent_first(stmt: Select) -> Select:
    return stmt.order_by(Need.urgency_rank, Need.created_at.desc(), Need.id.desc())


def _least_urgent_first(stmt: Select) -> Select:
    return stmt.order_by(Need.urgency_rank.desc(), Need.created_at, Need.id)


def search(filters: Filters, origin: Origin | None = None, *, page: int = 1, per_page: int = 20,
           after: Cursor | None = None, before: Cursor | None = None) -> Results:
    """One page of matching needs: nearest first from an origin, else most urgent and then newest first.

    In the catalogue's order a page starts after (or ends before) a cursor from a page link, or at its number
    within the first COUNT_CAP; `page` is then only what the page calls itself. Nearest first, pages are
    numbered up to COUNT_CAP; needs without a public point cannot be ranked and are left out, and needs at the
    same distance (the same settlement) stay most urgent first, so pages never overlap.
    """
    page, per_page = clamp_page(page), min(max(1, per_page), MAX_PER_PAGE)
    if origin is not None:
        return _nearest_first(filters, origin, page, per_page)
    stmt = filtered(filters)
    total, exact = capped_count(stmt)
    if before is not None:
        rows = _keyset(stmt, before, forward=False, limit=per_page + 1)
        has_prev, rows = len(rows) > per_page, rows[:per_page][::-1]
        has_next = True
    elif after is not None:
        rows = _keyset(stmt, after, forward=True, limit=per_page + 1)
        has_next, rows, has_prev = len(rows) > per_page, rows[:per_page], True
    else:
        offset = (page - 1) * per_page
        if offset >= min(total, COUNT_CAP):
            return Results(items=[], total=total, page=page, per_page=per_page, exact=exact)  # past the end
        rows = list(db.session.scalars(_with_cards(_most_urgent_first(stmt)).limit(per_page + 1).offset(offset)))
        has_next, has_prev, rows = len(rows) > per_page, page > 1, rows[:per_page]
    return Results(items=rows, total=total, page=page, per_page=per_page, exact=exact, has_next=has_next,
                   has_prev=has_prev, next_after=str(Cursor.of(rows[-1])) if has_next and rows else None,
                   prev_before=str(Cursor.of(rows[0])) if has_prev and rows and (after or before) else None)


def _keyset(stmt: Select, cursor: Cursor, *, forward: bool, limit: int) -> list[Need]:
    """Up to `limit` needs after (or, backwards, before) the cursor in the catalogue's order: first the rest of
    the cursor's urgency, then the urgencies after it, each an ordered range of one partial index."""
    same = stmt.where(Need.urgency_rank == cursor.urgency_rank)
    if forward:
        same = same.where(tuple_(Need.created_at, Need.id) < tuple_(cursor.created_at, cursor.need_id))
        rest = stmt.where(Need.urgency_rank > cursor.urgency_rank)
        order = _most_urgent_first
    else:
        same = same.where(tuple_(Need.created_at, Need.id) > tuple_(cursor.created_at, cursor.need_id))
        rest = stmt.where(Need.urgency_rank < cursor.urgency_rank)
        order = _least_urgent_first
    rows = list(db.session.scalars(_with_cards(order(same)).limit(limit)))
    if len(rows) < limit:
        rows += db.session.scalars(_with_cards(order(rest)).limit(limit - len(rows)))
    return rows


def _nearest_first(filters: Filters, origin: Origin, page: int, per_page: int) -> Results:
    """Nearest first, reading only what the page shows: the places nearest the point ranked from their counts
    (geo.nearest_points) as far as the page reaches, then the needs of only the places the page covers, each
    place's in the catalogue's order through the points' index. The count: with a radius, the same search
    carried on to COUNT_CAP + 1 needs; at any distance, every matching need with a point, capped."""
    offset = (page - 1) * per_page
    placed = filtered(filters, select(Need.id)).where(Need.public_latitude.is_not(None),
                                                      Need.public_longitude.is_not(None))
    wanted = COUNT_CAP + 1 if origin.radius_km is not None else min(offset + per_page, COUNT_CAP)
    groups = geo.nearest_points(db.session, placed, Need.public_latitude, Need.public_longitude, origin.latitude,
                                origin.longitude, radius_km=origin.radius_km, rows=wanted)
    if origin.radius_km is not None:
        found = sum(count for _, _, count in groups)
        total, exact = min(found, COUNT_CAP), found <= COUNT_CAP
    else:
        total, exact = capped_count(placed)
    end = min(offset + per_page, total)
    whole: list[tuple[float, float]] = []  # places the page shows every need of
    parts: list[tuple[list[tuple[float, float]], int, int]] = []  # (places, skip, take): the page's first or last
    place_of: dict[tuple[float, float], int] = {}
    start = 0
    for order, (_km, points, count) in enumerate(groups):
        if start >= end:
            break
        if start + count > offset:
            place_of.update((point, order) for point in points)
            skip, take = max(0, offset - start), min(count, end - start) - max(0, offset - start)
            if skip == 0 and take == count:
                whole.extend(points)
            else:
                parts.append((points, skip, take))
        start += count
    placed_needs = _with_cards(filtered(filters))
    items: list[Need] = []
    if whole:
        items += db.session.scalars(placed_needs.where(tuple_(Need.public_latitude, Need.public_longitude).in_(
            bindparam("places", [tuple(point) for point in whole], expanding=True))))
    for points, skip, take in parts:
        at = tuple_(Need.public_latitude, Need.public_longitude).in_(
            bindparam("places", [tuple(point) for point in points], expanding=True))
        items += db.session.scalars(_most_urgent_first(placed_needs.where(at)).limit(take).offset(skip))
    # The places nearest first, each place's needs in the catalogue's order.
    items.sort(key=lambda need: (place_of[need.public_latitude, need.public_longitude], need.urgency_rank,
                                 -_micros(need.created_at), -need.id))
    return Results(items=items, total=total, page=page, per_page=per_page,
                   distances={need.id: groups[place_of[need.public_latitude, need.public_longitude]][0]
                              for need in items}, exact=exact,
                   has_prev=page > 1 and offset < total, has_next=offset + per_page < total)


def _micros(moment: datetime) -> int:
    """A moment as microseconds since the epoch, whether the database gave it with its zone or without (UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return (aware - EPOCH) // timedelta(microseconds=1)


def capped_count(stmt: Select, cap: int | None = None) -> tuple[int, bool]:
    """How many rows match, counted no further than `cap` (COUNT_CAP): (count, whether that is all of them)."""
    cap = COUNT_CAP if cap is None else cap
    found = db.session.scalar(select(func.count()).select_from(
        stmt.with_only_columns(Need.id).order_by(None).limit(cap + 1).subquery())) or 0
    return min(found, cap), found <= cap


def map_points(filters: Filters, box: Box, zoom: int, origin: Origin | None = None) -> list[MapPoint]:
    """The matching needs inside a map's visible box, one point per coarse place (about a kilometre), read as
    counts per stored point through the points' partial index, never as rows; more than MAP_POINTS_LIMIT
    places are merged into cells a few dozen pixels wide at this zoom. With a radius, only places within it."""
    stmt = (filtered(filters, select(Need.public_latitude, Need.public_longitude, func.count(), func.min(Need.id),
                                     func.min(Need.settlement)))
            .where(Need.public_latitude.between(box.south, box.north),
                   Need.public_longitude.between(box.west, box.east))
            .group_by(Need.public_latitude, Need.public_longitude))
    places: dict[tuple[float, float], MapPoint] = {}
    for lat, lon, count, first_id, settlement in db.session.execute(stmt):
        if origin is not None and origin.radius_km is not None and \
                geo.distance_km(origin.latitude, origin.longitude, lat, lon) > origin.radius_km:
            continue
        # Rounded again here: whatever was stored, the public never gets more than about a kilometre.
        key = geo.coarse_point(lat, lon)
        known = places.get(key)
        if known is None:
            places[key] = MapPoint(key[0], key[1], settlement, count, first_id)
        else:
            places[key] = MapPoint(key[0], key[1], known.settlement or settlement, known.count + count,
                                   min(known.first_id, first_id))
    if len(places) <= MAP_POINTS_LIMIT:
        return sorted(places.values(), key=lambda point: (-point.count, point.latitude, point.longitude))
    return _cells(list(places.values()), zoom)


def _cells(places: list[MapPoint], zoom: int) -> list[MapPoint]:
    """Places merged into square cells of about CELL_PX pixels at `zoom` (a 256-pixel tile spans 360 / 2^zoom
    degrees), each at the weighted middle of its places, coarse as every public point."""
    size = 360.0 / (2 ** zoom) * CELL_PX / 256.0
    cells: dict[tuple[int, int], list[MapPoint]] = {}
    for place in places:
        cells.setdefault((math.floor(place.latitude / size), math.floor(place.longitude / size)), []).append(place)
    merged = []
    for members in cells.values():
        count = sum(member.count for member in members)
        lat = sum(member.latitude * member.count for member in members) / count
        lon = sum(member.longitude * member.count for member in members) / count
        merged.append(MapPoint(*geo.coarse_point(lat, lon), members[0].settlement if len(members) == 1 else None,
                               count, min(member.first_id for member in members), cell=len(members) > 1))
    return sorted(merged, key=lambda point: (-point.count, point.latitude, point.longitude))


def titles_of(points: list[MapPoint]) -> dict[int, str]:
    """The titles of the needs that are alone on their point, in one query."""
    alone = [point.first_id for point in points if point.count == 1]
    if not alone:
        return {}
    return dict(db.session.execute(open_needs(select(Need.id, Need.title)).where(Need.id.in_(alone))).all())


