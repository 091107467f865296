"""Geography for Social Window: geocoding, regions, distances and nearest-row queries.

Knows no domain model: callers hand in an SQLAlchemy select() and the columns holding coordinates.
"""

from __future__ import annotations

from flask import Flask, current_app
from flask_babel import get_locale
from geopy.geocoders.base import Geocoder
from geopy.point import Point

from .gazetteer import Gazetteer, Settlement, default_gazetteer
from .geocoding import FallbackGeocoder, GeoPoint, UnknownPlace, build_geocoder, to_geopoint
from .nearest_places import nearest_points
from .proximity import bounding_box, coarse_point, count_within, distance_km, nearby
from .regions import REGIONS, Region, region_choices, region_name

__all__ = [
    "REGIONS",
    "FallbackGeocoder",
    "GeoPoint",
    "Gazetteer",
    "Region",
    "Settlement",
    "UnknownPlace",
    "bounding_box",
    "coarse_point",
    "distance_km",
    "gazetteer",
    "geocode",
    "geocode_or_raise",
    "init_app",
    "nearby",
    "nearest_points",
    "count_within",
    "region_choices",
    "region_name",
    "reverse_geocode",
    "settlement_name",
]

EXTENSION = "geo"
# Longer text is no address; capping it bounds the gazetteer's scan and the online request alike.
MAX_QUERY_LENGTH = 300


def init_app(app: Flask) -> None:
    """Build the geocoder chosen by app.config['GEOCODER'] and keep it on app.extensions['geo']; templates get
    `{{ office.settlement|settlement(office.region_code) }}`."""
    app.extensions[EXTENSION] = build_geocoder(app.config)
    app.add_template_filter(settlement_name, "settlement")


def settlement_name(name: str | None, region_code: str | None = None, language: str | None = None) -> str:
    """A settlement's name as the reader writes it ("Актобе" → "Ақтөбе" on a Kazakh page) when the gazetteer knows
    it (in `region_code`, when given: several places share a name); otherwise the name as it was typed."""
    if not name:
        return name or ""
    found = default_gazetteer().find_settlement(name, region_code)
    return found.label(language or get_locale()) if found else name


def _geocoder() -> Geocoder:
    # An app that never called init_app gets the offline default, the same as GEOCODER='offline'.
    return current_app.extensions.get(EXTENSION) or default_gazetteer()


def gazetteer() -> Gazetteer:
    """The offline gazetteer, for autocomplete (search) and region listings."""
    return default_gazetteer()


def geocode(text: str | None, language: str | None = None) -> GeoPoint | None:
    """The point that the configured geocoder finds for the text, or None for empty or unknown text."""
    query = (text or "").strip()[:MAX_QUERY_LENGTH]
    if not query:
        return None
    location = _geocoder().geocode(query, exactly_one=True, language=language)
    return to_geopoint(location) if location else None


def geocode_or_raise(text: str | None, language: str | None = None) -> GeoPoint:
    """Like geocode(), but raise UnknownPlace where geocode() would return None."""
    point = geocode(text, language)
    if point is None:
        raise UnknownPlace(text or "")
    return point


def reverse_geocode(lat: float, lon: float, language: str | None = None) -> GeoPoint | None:
    """A point placed on the map, labelled with its nearest settlement and region (offline, instant)."""
    settlement = default_gazetteer().settlement_near(Point(lat, lon))
    if settlement is None:
        return None
    return GeoPoint(lat, lon, settlement.address(language), settlement.label(language), settlement.region_code)
