"""The places nearest a point, counted per public point: what the catalogue ranks "nearest first" by, reading
counts per place through an index instead of rows."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from sqlalchemy import Float, Select, bindparam, func
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.sql.elements import ColumnElement

from .proximity import _SPHERE_SLACK, WHOLE_COUNTRY_KM, FromPoint, _growth, bounding_box, coarse_values


# The first circle: a public point is a coarse point (0.01°, a cell of 1.1 km by 0.6–0.85 km at Kazakhstan's
# latitudes) or a settlement's, so a circle of the cell's half diagonal holds the point of the cell the origin
# lies in. A city's cell holds thousands of needs, more than a page; a wider first box would count them all.
PLACES_START_KM = 0.7
# Coarse points: a box's latitudes are read as this many exact values at most, each one ordered range of
# longitudes in the points' index, instead of every longitude of the box's band of latitudes.
MAX_COARSE_LATITUDES = 100


class Nearest(NamedTuple):
    """What nearest_points found: the nearest places as (km, [points at that distance], rows there), nearest
    first; and how many more rows it counted beyond them, in no order."""

    groups: list[tuple[float, list[tuple[float, float]], int]]
    beyond: int = 0


def nearest_points(
    session: Session | scoped_session[Any],
    stmt: Select[Any],
    lat_col: ColumnElement[float] | Any,
    lon_col: ColumnElement[float] | Any,
    lat: float,
    lon: float,
    *,
    rows: int,
    radius_km: float | None = None,
    ranked_rows: int | None = None,
    coarse: bool = False,
) -> Nearest:
    """The points of stmt's rows nearest to (lat, lon) until they hold at least `rows` rows (within radius_km
    if given; fewer only when that is every row there is). Only counts per point come back, never the rows:
    public points are rounded to about a kilometre, so a city's thousands of rows sit on a few hundred points,
    which the database groups. With `ranked_rows`, only the places of the first that many rows are ranked by
    exact distance (the rest, up to `rows`, are only counted, in `beyond`): a count to a thousand need not
    rank a thousand rows' places. `coarse` says that every point is a `coarse_point`: a box then names its
    latitudes (see MAX_COARSE_LATITUDES).

    Read through growing boxes from a small circle, with the exactness argument of `nearby`: once the points
    within a circle's radius hold `rows` rows, no point outside it can come before them.
    """
    search = _PointSearch(session, stmt, lat_col, lon_col, lat, lon, coarse=coarse)
    ranked = rows if ranked_rows is None else min(ranked_rows, rows)
    limit = radius_km if radius_km is not None else WHOLE_COUNTRY_KM
    radius = min(PLACES_START_KM, limit)
    while radius < limit:
        found = search.within(radius)
        held = sum(count for _, _, count in found)
        if held >= rows:
            return search.ranked(found, ranked, counted=ranked_rows is not None)
        # Gentler than _growth: a box read here counts every row in it, so overshooting a dense city by
        # eight times the radius would count sixty times the rows needed.
        radius *= min(4.0, _growth(held, rows))
    # At the radius asked for; or, the whole country holding fewer than `rows`, every row with a point.
    found = search.within(radius_km) if radius_km is not None else search.everywhere()
    return search.ranked(found, ranked, counted=ranked_rows is not None)


def _by_distance(points: list[tuple[float, tuple[float, float], int]],
                 rows: int) -> list[tuple[float, list[tuple[float, float]], int]]:
    """Ranked points as groups of one distance, as far as the group that reaches `rows` rows."""
    groups: list[tuple[float, list[tuple[float, float]], int]] = []
    total = 0
    for km, point, count in points:
        if groups and groups[-1][0] == km:
            groups[-1] = (km, [*groups[-1][1], point], groups[-1][2] + count)
        elif total >= rows:
            break  # enough rows, and this point is farther than all of them
        else:
            groups.append((km, [point], count))
        total += count
    return groups


class _PointSearch:
    """One nearest-points search: the grouped count per point, built once with its box as parameters, and the
    exact distance of each point computed once however often the box grows, and only where the cheap one
    cannot settle a question (the edge of a circle, the order of the places ranked)."""

    def __init__(self, session: Session | scoped_session[Any], stmt: Select[Any], lat_col: Any, lon_col: Any,
                 lat: float, lon: float, *, coarse: bool = False) -> None:
        self.session, self.lat, self.lon, self.coarse = session, lat, lon, coarse
        self.grouped = stmt.with_only_columns(lat_col, lon_col, func.count()).order_by(None).group_by(lat_col, lon_col)
        self.placed = self.grouped.where(lat_col.is_not(None), lon_col.is_not(None))
        self.box = self.grouped.where(
            lat_col.between(bindparam("box_min_lat", type_=Float), bindparam("box_max_lat", type_=Float)),
            lon_col.between(bindparam("box_min_lon", type_=Float), bindparam("box_max_lon", type_=Float)))
        self.banded = self.box.where(lat_col.in_(bindparam("box_lats", expanding=True, type_=Float)))
        self.km = FromPoint(lat, lon)

    def within(self, radius: float) -> list[tuple[float, tuple[float, float], int]]:
        """(sphere km, point, rows) of the points within the circle, nearest first by the sphere."""
        min_lat, max_lat, min_lon, max_lon = bounding_box(self.lat, self.lon, radius)
        box = {"box_min_lat": min_lat, "box_max_lat": max_lat, "box_min_lon": min_lon, "box_max_lon": max_lon}
        latitudes = coarse_values(min_lat, max_lat) if self.coarse else []
        if 0 < len(latitudes) <= MAX_COARSE_LATITUDES:
            counts = self.session.connection().execute(self.banded, {**box, "box_lats": latitudes}).all()
        else:
            counts = self.session.connection().execute(self.box, box).all()
        return self._inside(counts, radius)

    def everywhere(self) -> list[tuple[float, tuple[float, float], int]]:
        return self._inside(self.session.connection().execute(self.placed).all(), None)

    def ranked(self, found: list[tuple[float, tuple[float, float], int]], rows: int, *, counted: bool) -> Nearest:
        """The places of the first `rows` rows in exact order, and (when `counted`) the rows of the rest.

        Every place whose sphere distance is within the sphere's error of the place that reaches `rows` gets
        its exact distance: a place farther than that by the sphere is farther by the geodesic too, than every
        place that reaches `rows` before it."""
        held, cut = 0, math.inf
        for approx, _point, count in found:
            held += count
            if held >= rows:
                cut = approx * (1 + _SPHERE_SLACK) / (1 - _SPHERE_SLACK)
                break
        near = sorted((self.km.exact(*point), point, count) for approx, point, count in found if approx <= cut)
        groups = _by_distance(near, rows)
        beyond = sum(count for *_, count in found) - sum(count for *_, count in groups) if counted else 0
        return Nearest(groups, beyond)

    def _inside(self, counts: list[Any], within: float | None) -> list[tuple[float, tuple[float, float], int]]:
        kept = []
        for row_lat, row_lon, count in counts:
            approx = self.km.sphere(row_lat, row_lon)
            if within is not None and approx * (1 - _SPHERE_SLACK) > within:
                continue  # certainly outside
            if within is not None and approx * (1 + _SPHERE_SLACK) > within and self.km.exact(row_lat, row_lon) > within:
                continue  # on the edge, and outside by the exact distance
            kept.append((approx, (row_lat, row_lon), count))
        kept.sort()
        return kept
