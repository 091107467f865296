"""Real distances, bounding boxes, and nearest-row queries over indexed latitude/longitude columns."""

from __future__ import annotations

import math
from typing import Any

from geopy.distance import ELLIPSOIDS
from pyproj import Geod
from sqlalchemy import Float, Select, bindparam, func, inspect
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.sql.elements import ColumnElement

# On WGS-84 the meridional radius of curvature is smallest at the equator and the prime-vertical one is
# never below the equatorial radius, so these bound how far a path of a given length can move in
# latitude and in longitude; a box built from them can only be too big, never too small.
_MIN_MERIDIONAL_RADIUS_KM = 6335.439
_EQUATORIAL_RADIUS_KM = 6378.137
# Those radii of curvature stay within 0.56% of the mean radius, in every direction, so a great-circle
# distance on the mean sphere is within 1% of the geodesic one either way: cheap enough to rule most
# rows out before paying for the exact distance.
_MEAN_RADIUS_KM = 6371.0088
_SPHERE_SLACK = 0.01
_RADIANS = math.pi / 180.0
_TWO_R = 2 * _MEAN_RADIUS_KM

# The nearest-N search starts with a box this size around the point and doubles it; past the last size
# the box spans all of Kazakhstan (about 3,000 km from Atyrau's west to Zaysan's east) from anywhere in it.
START_RADIUS_KM = 25.0
WHOLE_COUNTRY_KM = 3_200.0

Box = tuple[float, float, float, float]

# geopy's WGS-84 ellipsoid (its axes are in kilometres; PROJ takes metres).
_WGS84 = Geod(a=ELLIPSOIDS["WGS-84"][0] * 1000.0, f=ELLIPSOIDS["WGS-84"][2])
_inverse = _WGS84.inv


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic (WGS-84) distance between two points in kilometres. Karney's algorithm, the one geopy's
    `geodesic` runs in pure Python through geographiclib, here in PROJ's C port: the same distance to a
    few nanometres, fifty times faster, which matters where a search ranks many points."""
    return _inverse(lon1, lat1, lon2, lat2)[2] / 1000.0


def bounding_box(lat: float, lon: float, radius_km: float) -> Box:
    """(min_lat, max_lat, min_lon, max_lon) containing every point within radius_km of (lat, lon)."""
    if radius_km < 0:
        raise ValueError("radius_km must not be negative")
    dlat = math.degrees(radius_km / _MIN_MERIDIONAL_RADIUS_KM)
    min_lat, max_lat = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    # A degree of longitude shrinks towards the poles, so the box's width is set by the latitude
    # farthest from the equator that the circle reaches; a circle reaching a pole takes every longitude.
    widest = max(abs(min_lat), abs(max_lat))
    parallel_km = _EQUATORIAL_RADIUS_KM * math.cos(math.radians(widest))
    if widest >= 90.0 or parallel_km <= 0 or radius_km / parallel_km >= math.pi:
        return (min_lat, max_lat, -180.0, 180.0)
    dlon = math.degrees(radius_km / parallel_km)
    if lon - dlon < -180.0 or lon + dlon > 180.0:
        # One box cannot wrap across the antimeridian; taking every longitude there is still correct,
        # and Kazakhstan is nowhere near it.
        return (min_lat, max_lat, -180.0, 180.0)
    return (min_lat, max_lat, lon - dlon, lon + dlon)


COARSE_DECIMALS = 2


def coarse_point(lat: float, lon: float) -> tuple[float, float]:
    """A point rounded to two decimals (about 1 km) for public pages, which never show a family's home."""
    return (round(lat, COARSE_DECIMALS), round(lon, COARSE_DECIMALS))


def coarse_values(low: float, high: float) -> list[float]:
    """Every value a coordinate of a coarse point can take from `low` to `high`, in order, with one more on each
    side (floating point may put a value a hair's breadth either side of a bound; the caller keeps its range)."""
    scale = 10**COARSE_DECIMALS
    return [round(k / scale, COARSE_DECIMALS)
            for k in range(math.ceil(low * scale) - 1, math.floor(high * scale) + 2)]


SMALL_START_KM = 1.0


def nearby(
    session: Session | scoped_session[Any],
    stmt: Select[Any],
    lat_col: ColumnElement[float] | Any,
    lon_col: ColumnElement[float] | Any,
    lat: float,
    lon: float,
    *,
    radius_km: float | None = None,
    limit: int | None = 10,
) -> list[tuple[Any, float]]:
    """Rows of stmt nearest to (lat, lon) as (object, km), nearest first, within radius_km if given."""
    if limit is not None and limit <= 0:
        return []
    search = _Search(session, stmt, lat_col, lon_col, lat, lon)
    if radius_km is not None:
        # In a dense city a 25 km circle holds thousands of rows: widen from a small circle instead, and
        # stop as soon as `limit` rows lie within it (the same exactness argument as below).
        if limit is not None:
            radius = min(SMALL_START_KM, radius_km)
            while radius < radius_km:
                found = search.within(radius, limit)
                if len(found) >= limit:
                    return search.load(found)
                radius *= _growth(len(found), limit)
        return search.load(search.within(radius_km, limit))
    # Why widen instead of scanning: ranking needs exact geodesic distances, which the database cannot
    # index, but a box can be. A row inside the box yet farther than the box's inscribed radius r might
    # still be beaten by a row outside it, while every row within r is certainly inside; so once at
    # least `limit` rows lie within r, no other row can enter the top `limit` and the answer equals a
    # ranking of the whole table. Doubling r keeps it to a few indexed queries, however sparse the rows.
    if limit is not None:
        radius = START_RADIUS_KM
        while radius <= WHOLE_COUNTRY_KM:
            found = search.within(radius, limit)
            if len(found) >= limit:
                return search.load(found)
            radius *= 2
    # Fewer than `limit` rows in the whole country: only ranking every row with coordinates is exact.
    return search.load(search.everything(limit))


def _growth(found: int, wanted: int) -> float:
    """How much to widen a circle holding `found` of `wanted` rows: rows grow with the area, so a circle
    √(wanted/found) times wider should hold them all where the rows are spread evenly; a quarter more for
    luck, and never less than double, never more than eightfold (an empty circle says little)."""
    if found == 0:
        return 8.0
    return min(8.0, max(2.0, 1.25 * math.sqrt(wanted / found)))


def count_within(
    session: Session | scoped_session[Any],
    stmt: Select[Any],
    lat_col: ColumnElement[float] | Any,
    lon_col: ColumnElement[float] | Any,
    lat: float,
    lon: float,
    radius_km: float,
) -> int:
    """How many rows of stmt lie within radius_km (exact geodesic), reading only their coordinates
    through the indexed box, one row per distinct point: public points are rounded to about a kilometre,
    so a city's thousands of rows share a few hundred points. The cheap sphere distance settles every
    point but those near the edge."""
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius_km)
    points = (stmt.with_only_columns(lat_col, lon_col, func.count()).order_by(None)
              .where(lat_col.between(min_lat, max_lat), lon_col.between(min_lon, max_lon))
              .group_by(lat_col, lon_col))
    count = 0
    for row_lat, row_lon, rows in session.execute(points):
        approx = _sphere_km(lat, lon, row_lat, row_lon)
        if approx * (1 + _SPHERE_SLACK) <= radius_km:
            count += rows
        elif approx * (1 - _SPHERE_SLACK) <= radius_km and distance_km(lat, lon, row_lat, row_lon) <= radius_km:
            count += rows
    return count


def _entity_key(stmt: Select[Any]) -> Any | None:
    """The key column when stmt selects exactly one mapped entity with a one-column primary key."""
    descriptions = stmt.column_descriptions
    if len(descriptions) != 1:
        return None
    entity, expr = descriptions[0].get("entity"), descriptions[0].get("expr")
    if entity is None or expr is not entity:
        return None
    key = inspect(entity).primary_key
    return key[0] if len(key) == 1 else None


def _sphere_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on the mean sphere (haversine): about fifty times cheaper than geodesic."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * _MEAN_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


class _Search:
    """One nearest-row search; remembers distances so widening the box never recomputes one.

    When the statement selects one mapped entity with a single-column key, the boxes read only
    (key, latitude, longitude) and the winners are loaded afterwards in one query by key: building an
    ORM object for each of the hundreds of rows in a city's box costs far more than ranking them.
    """

    def __init__(
        self,
        session: Session | scoped_session[Any],
        stmt: Select[Any],
        lat_col: Any,
        lon_col: Any,
        lat: float,
        lon: float,
    ) -> None:
        self.session, self.lat_col, self.lon_col = session, lat_col, lon_col
        self.lat, self.lon = lat, lon
        self.width = len(stmt.column_descriptions)  # an entity counts once, not per column
        self.key = _entity_key(stmt)
        self.source = stmt
        if self.key is not None:
            self.stmt = stmt.with_only_columns(self.key, lat_col, lon_col)
        else:
            self.stmt = stmt.add_columns(lat_col, lon_col)
        self._from = FromPoint(lat, lon)
        self._box: Select[Any] | None = None

    def within(self, radius_km: float, limit: int | None) -> list[tuple[Any, float]]:
        """The nearest `limit` rows inside the circle, read through its bounding box."""
        min_lat, max_lat, min_lon, max_lon = bounding_box(self.lat, self.lon, radius_km)
        if self._box is None:
            # Built once per search with the corners as parameters: each widening step then reuses the
            # compiled statement instead of building and keying a new one.
            self._box = self.stmt.where(
                self.lat_col.between(bindparam("box_min_lat", type_=Float), bindparam("box_max_lat", type_=Float)),
                self.lon_col.between(bindparam("box_min_lon", type_=Float), bindparam("box_max_lon", type_=Float)))
        corners = {"box_min_lat": min_lat, "box_max_lat": max_lat, "box_min_lon": min_lon, "box_max_lon": max_lon}
        return self._ranked(self._box, radius_km, limit, corners)

    def everything(self, limit: int | None) -> list[tuple[Any, float]]:
        """The nearest `limit` rows among all that have coordinates."""
        return self._ranked(self.stmt.where(self.lat_col.is_not(None), self.lon_col.is_not(None)), None, limit)

    def _ranked(self, stmt: Select[Any], radius_km: float | None, limit: int | None,
                params: dict[str, float] | None = None) -> list[tuple[Any, float]]:
        if self.key is not None:
            # (key, latitude, longitude) only: plain rows through the connection, no ORM objects to build.
            rows = self.session.connection().execute(stmt, params or {}).all()
        else:
            # unique(): a joined eager load would otherwise repeat an object once per related row.
            rows = self.session.execute(stmt, params or {}).unique().all()
        # Public points are rounded to about a kilometre, so a city's box holds hundreds of rows on a few
        # dozen points: rank the points, and every row on a point shares its distance. A point's rows
        # keep the statement's own order, which breaks ties (the catalogue orders by urgency).
        at_point: dict[tuple[float, float], list[tuple[int, Any]]] = {}
        found = at_point.get
        if self.key is not None or self.width == 1:
            pairs = ((row[0], (row[1], row[2])) for row in rows)
        else:
            pairs = ((tuple(row[:self.width]), (row[-2], row[-1])) for row in rows)
        for order, (obj, point) in enumerate(pairs):
            on_point = found(point)
            if on_point is None:
                at_point[point] = [(order, obj)]
            else:
                on_point.append((order, obj))
        sphere = self._from.sphere
        points = sorted((sphere(*point), point) for point in at_point)
        kept: list[tuple[float, int, Any]] = []
        worst = math.inf  # the exact distance of the `limit`-th nearest row kept so far
        # Points come in order of their cheap distance, whose lower bound only grows: once it passes the
        # radius, or the worst of a full top `limit`, no later point can count, and the exact distance is
        # computed only for the few points before that.
        for approx, point in points:
            lower = approx * (1 - _SPHERE_SLACK)
            if radius_km is not None and lower > radius_km:
                break
            if lower > worst:
                break
            km = self._from.exact(*point)
            if radius_km is not None and km > radius_km:
                continue
            kept.extend((km, order, obj) for order, obj in at_point[point])
            if limit is not None and len(kept) >= limit:
                kept.sort(key=lambda item: item[:2])
                del kept[limit:]
                worst = kept[-1][0]
        kept.sort(key=lambda item: item[:2])
        return [(obj, km) for km, _, obj in kept[:limit]]

    def load(self, winners: list[tuple[Any, float]]) -> list[tuple[Any, float]]:
        """The winners as the caller's statement selects them: where the boxes read only keys, the objects
        through the original statement (its scope and eager loads) in rank order; a row that left the
        scope in between is left out."""
        if self.key is None or not winners:
            return winners
        loaded = {self._key_of(obj): obj
                  for obj in self.session.scalars(self.source.where(self.key.in_([key for key, _ in winners])))
                  .unique()}
        return [(loaded[key], km) for key, km in winners if key in loaded]

    def _key_of(self, obj: Any) -> Any:
        return getattr(obj, self.key.key)


class FromPoint:
    """Distances from one point: the cheap sphere with the point's terms computed once, and the exact geodesic,
    each point's computed once however often a search asks."""

    def __init__(self, lat: float, lon: float) -> None:
        self.lat, self.lon = lat, lon
        self._phi1 = math.radians(lat)
        self._cos_phi1 = math.cos(self._phi1)
        self._exact: dict[tuple[float, float], float] = {}

    def sphere(self, row_lat: float, row_lon: float) -> float:
        """_sphere_km from the point."""
        phi2 = row_lat * _RADIANS
        h = (math.sin((phi2 - self._phi1) / 2) ** 2
             + self._cos_phi1 * math.cos(phi2) * math.sin((row_lon - self.lon) * _RADIANS / 2) ** 2)
        return _TWO_R * math.asin(min(1.0, math.sqrt(h)))

    def exact(self, row_lat: float, row_lon: float) -> float:
        key = (row_lat, row_lon)
        km = self._exact.get(key)
        if km is None:
            km = self._exact[key] = distance_km(self.lat, self.lon, row_lat, row_lon)
        return km
