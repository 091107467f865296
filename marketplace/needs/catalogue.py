"""The public catalogue of open needs: filters, ordering, distance and pages, shared by the page and the API.

Everything here starts from `open_needs()`, so no filter can widen what the public sees.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import Select, bindparam, func, select, tuple_, union_all
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from marketplace import geo
from marketplace.core.extensions import db
from marketplace.geo.regions import REGION_CODES
from marketplace.needs.labels import KINDS
from marketplace.needs.listing import settlement_key
from marketplace.needs.models import URGENCY_RANK, Category, Need, NeedItem, Urgency
from marketplace.needs.services import is_public, open_needs

RADIUS_CHOICES_KM = (5, 10, 25, 50, 100)
MAX_RADIUS_KM = 1000.0
MAX_PER_PAGE = 100
# Matches are counted up to this many ("more than 1,000"), and numbered pages reach this deep: past it, pages
# follow each other "after this one" in the catalogue's order, and a list nearest first ends there.
COUNT_CAP = 1_000
MAX_PAGE = 10_000  # what a page number may say (pages past COUNT_CAP come through `after`)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
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
    """Load what a card shows with the needs: the verifying office in the same query (the goods lines come after,
    `_with_goods_lines`). Narrowing the columns with load_only made the options' cache key cost more than it saved."""
    return stmt.options(joinedload(Need.office))


def _with_goods_lines(needs: list[Need]) -> None:
    """The goods lines of a page's needs in one query, asked only of the needs that have some (`Need.has_goods`),
    and set on every need so that none loads them again: cheaper than selectinload's machinery for a page."""
    with_goods = [need.id for need in needs if need.has_goods]
    lines: dict[int, list[NeedItem]] = {}
    if with_goods:
        for item in db.session.scalars(select(NeedItem).where(NeedItem.need_id.in_(with_goods)).order_by(NeedItem.id)):
            lines.setdefault(item.need_id, []).append(item)
    for need in needs:
        if "items" not in need.__dict__:  # a need the session already held with its lines keeps them
            set_committed_value(need, "items", lines.get(need.id, []))


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
        results = _nearest_first(filters, origin, page, per_page)
    elif before is None and after is None:
        results = _numbered_page(filtered(filters), page, per_page)
    else:
        results = _by_cursor(filtered(filters), page, per_page, after, before)
    _with_goods_lines(results.items)
    return results


def _by_cursor(stmt: Select, page: int, per_page: int, after: Cursor | None, before: Cursor | None) -> Results:
    """The page after (or before) a cursor in the catalogue's order, with the capped count."""
    total, exact = capped_count(stmt)
    if before is not None:
        rows = _keyset(stmt, before, forward=False, limit=per_page + 1)
        has_prev, rows = len(rows) > per_page, rows[:per_page][::-1]
        has_next = True
    else:
        rows = _keyset(stmt, after, forward=True, limit=per_page + 1)
        has_next, rows, has_prev = len(rows) > per_page, rows[:per_page], True
    return Results(items=rows, total=total, page=page, per_page=per_page, exact=exact, has_next=has_next,
                   has_prev=has_prev, next_after=str(Cursor.of(rows[-1])) if has_next and rows else None,
                   prev_before=str(Cursor.of(rows[0])) if has_prev and rows and (after or before) else None)


def _numbered_page(stmt: Select, page: int, per_page: int) -> Results:
    """A page by its number, within the first COUNT_CAP, with the capped count asked in the same query."""
    offset = (page - 1) * per_page
    if offset >= COUNT_CAP:
        total, exact = capped_count(stmt)
        return Results(items=[], total=total, page=page, per_page=per_page, exact=exact)  # past the end
    found = db.session.execute(_with_cards(_most_urgent_first(stmt)).add_columns(capped_count_of(stmt))
                               .limit(per_page + 1).offset(offset)).all()
    if not found:  # past the end, or nothing matches
        total, exact = capped_count(stmt)
        return Results(items=[], total=total, page=page, per_page=per_page, exact=exact)
    rows, counted = [need for need, _ in found[:per_page]], found[0][1]
    has_next = len(found) > per_page
    return Results(items=rows, total=min(counted, COUNT_CAP), page=page, per_page=per_page,
                   exact=counted <= COUNT_CAP, has_next=has_next, has_prev=page > 1,
                   next_after=str(Cursor.of(rows[-1])) if has_next else None)


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
    groups, beyond = geo.nearest_points(db.session, placed, Need.public_latitude, Need.public_longitude,
                                        origin.latitude, origin.longitude, radius_km=origin.radius_km, rows=wanted,
                                        ranked_rows=min(offset + per_page, COUNT_CAP),
                                        coarse=True)  # public points are geo.coarse_point's
    found = sum(count for _, _, count in groups) + beyond
    # With a radius, or with fewer than the page asked for in the whole country, the groups hold the count;
    # else it is asked for with the page's needs.
    counted = origin.radius_km is not None or found < wanted
    total, exact = (min(found, COUNT_CAP), found <= COUNT_CAP) if counted else (min(found, COUNT_CAP), False)
    whole, partly, place_of = _window(groups, offset, min(offset + per_page, total if counted else found))
    items: list[Need] = []
    if whole or partly:
        cards = _needs_of_places(filters, whole, partly)
        if counted:
            items = list(db.session.scalars(cards))
        else:
            loaded = db.session.execute(cards.add_columns(capped_count_of(placed))).all()
            items = [need for need, _ in loaded]
            total, exact = (min(loaded[0][1], COUNT_CAP), loaded[0][1] <= COUNT_CAP) if loaded else (total, exact)
    elif not counted:
        total, exact = capped_count(placed)
    # The places nearest first, each place's needs in the catalogue's order.
    items.sort(key=lambda need: (place_of[need.public_latitude, need.public_longitude], need.urgency_rank,
                                 -_micros(need.created_at), -need.id))
    return Results(items=items, total=total, page=page, per_page=per_page,
                   distances={need.id: groups[place_of[need.public_latitude, need.public_longitude]][0]
                              for need in items}, exact=exact,
                   has_prev=page > 1 and offset < total, has_next=offset + per_page < total)


Place = tuple[float, float]


def _needs_of_places(filters: Filters, whole: list[Place], partly: list[tuple[list[Place], int, int]]) -> Select:
    """The needs a page shows of its places (see _window), with their offices, in one query: a page inside one
    place (the usual page of a city) as that place's slice in the catalogue's order; else by the ids of each
    place's share (a union keeps no order: the caller sorts)."""
    at = tuple_(Need.public_latitude, Need.public_longitude)

    def of(points: list[Place], name: str, stmt: Select) -> Select:
        return stmt.where(at.in_(bindparam(name, [tuple(p) for p in points], expanding=True)))

    if not whole and len(partly) == 1:
        points, skip, take = partly[0]
        return _most_urgent_first(of(points, "part0", _with_cards(filtered(filters)))).limit(take).offset(skip)
    ids = filtered(filters, select(Need.id))
    parts = [of(whole, "places", ids)] if whole else []
    parts += [_most_urgent_first(of(points, f"part{i}", ids)).limit(take).offset(skip).subquery().select()
              for i, (points, skip, take) in enumerate(partly)]
    return _with_cards(filtered(filters)).where(Need.id.in_(union_all(*parts) if len(parts) > 1 else parts[0]))


def _window(groups: list[tuple[float, list[Place], int]], offset: int,
            end: int) -> tuple[list[Place], list[tuple[list[Place], int, int]], dict[Place, int]]:
    """Which places the rows [offset, end) of the ranked groups come from: the places shown whole, the places
    shown in part as (places, rows to skip, rows to take) (the window's first and last), and each place's rank."""
    whole: list[Place] = []
    partly: list[tuple[list[Place], int, int]] = []
    place_of: dict[Place, int] = {}
    start = 0
    for order, (_km, points, count) in enumerate(groups):
        if start >= end:
            break
        if start + count > offset:
            place_of.update((point, order) for point in points)
            skip = max(0, offset - start)
            take = min(count, end - start) - skip
            if skip == 0 and take == count:
                whole.extend(points)
            else:
                partly.append((points, skip, take))
        start += count
    return whole, partly, place_of


def _micros(moment: datetime) -> int:
    """A moment as microseconds since the epoch, whether the database gave it with its zone or without (UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return (aware - EPOCH) // timedelta(microseconds=1)


def capped_count(stmt: Select, cap: int | None = None) -> tuple[int, bool]:
    """How many rows match, counted no further than `cap` (COUNT_CAP): (count, whether that is all of them)."""
    cap = COUNT_CAP if cap is None else cap
    found = db.session.scalar(select(capped_count_of(stmt, cap))) or 0
    return min(found, cap), found <= cap


def capped_count_of(stmt: Select, cap: int | None = None):
    """capped_count's count as a column (up to cap + 1), to ask for in the query of the page itself."""
    cap = COUNT_CAP if cap is None else cap
    return (select(func.count()).select_from(stmt.with_only_columns(Need.id).order_by(None).limit(cap + 1)
                                             .subquery()).scalar_subquery().label("capped_count"))
