"""The catalogue's map: the matching needs inside the box a map shows, as counts per coarse place (merged into
cells when there are many), read apart from the list and only when the map is shown."""
from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import func, select

from marketplace import geo
from marketplace.core.extensions import db
from marketplace.needs.catalogue import Filters, Origin, filtered
from marketplace.needs.models import Need
from marketplace.needs.services import open_needs

# The map shows at most this many places; past it, places are merged into cells about CELL_PX pixels wide.
MAP_POINTS_LIMIT = 300
CELL_PX = 48


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
