"""The configured geocoder: the offline gazetteer, or Nominatim with the gazetteer behind it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from geopy.exc import GeopyError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from .gazetteer import Gazetteer, default_gazetteer

log = logging.getLogger(__name__)

GEOCODERS = ("offline", "nominatim")
# Nominatim's address parts that name a settlement, most specific first.
_SETTLEMENT_KEYS = ("city", "town", "village", "hamlet", "municipality", "suburb")


@dataclass(frozen=True, slots=True)
class GeoPoint:
    """A geocoded point with a readable label, its settlement and the code of its region."""

    latitude: float
    longitude: float
    label: str
    settlement: str | None
    region_code: str | None


class UnknownPlace(ValueError):
    """No geocoder could place the given text in Kazakhstan."""


class FallbackGeocoder(Geocoder):
    """An online geocoder, rate-limited, that hands over to the offline gazetteer when it fails or finds nothing."""

    def __init__(
        self,
        online: Geocoder,
        offline: Gazetteer,
        *,
        online_options: Mapping[str, Any] | None = None,
        min_delay_seconds: float = 1.0,
    ) -> None:
        super().__init__()
        self.online = online
        self.offline = offline
        self.online_options = dict(online_options or {})
        # Nominatim's policy is one request a second. No retries: a person is waiting on a form, and the
        # gazetteer's answer now beats a street-level one after ten seconds of back-off. The limit is per
        # process; production geocodes in one RQ worker, so that is the whole site's rate.
        self.rate_limited = RateLimiter(
            self._ask_online, min_delay_seconds=min_delay_seconds, max_retries=0, swallow_exceptions=False
        )

    def _ask_online(self, query: str, **kwargs: Any) -> Any:
        # Looked up on each call, not bound once, so a test can replace online.geocode.
        return self.online.geocode(query, **kwargs)

    def geocode(  # type: ignore[override]
        self, query: str, exactly_one: bool = True, *, language: str | None = None, **kwargs: Any
    ) -> Location | list[Location] | None:
        """Ask the online geocoder; on any error or no result, answer from the gazetteer."""
        options = {**self.online_options, **kwargs, "exactly_one": exactly_one}
        if language:
            options["language"] = language
        try:
            found = self.rate_limited(query, **options)
        except (GeopyError, OSError) as error:
            # The error text may hold the request URL, i.e. someone's address: log only its kind.
            log.warning("online geocoder failed (%s), using the gazetteer", type(error).__name__)
            found = None
        if found:
            located = [self._with_region(location, language) for location in _as_list(found)]
            return located[0] if exactly_one else located
        return self.offline.geocode(query, exactly_one=exactly_one, language=language)

    def reverse(  # type: ignore[override]
        self, query: Any, exactly_one: bool = True, *, language: str | None = None, **kwargs: Any
    ) -> Location | list[Location] | None:
        """The nearest settlement from the gazetteer: naming a region needs no network."""
        return self.offline.reverse(query, exactly_one=exactly_one, language=language)

    def _with_region(self, location: Location, language: str | None) -> Location:
        """Add the gazetteer's settlement and region to an online result, which knows neither code."""
        raw = dict(location.raw or {})
        address = raw.get("address") or {}
        nearest = self.offline.settlement_near(location.point)
        settlement = next((address[key] for key in _SETTLEMENT_KEYS if address.get(key)), None)
        raw.setdefault("source", "online")
        raw["settlement"] = settlement or (nearest.label(language) if nearest else None)
        raw["region"] = nearest.region_code if nearest else None
        return Location(location.address, location.point, raw)


def _as_list(found: Location | list[Location]) -> list[Location]:
    return found if isinstance(found, list) else [found]


def build_geocoder(config: Mapping[str, Any]) -> Geocoder:
    """The geocoder that a Flask config (GEOCODER, NOMINATIM_USER_AGENT, NOMINATIM_DOMAIN) asks for."""
    kind = str(config.get("GEOCODER") or "offline").strip().lower()
    if kind == "offline":
        return default_gazetteer()
    if kind != "nominatim":
        raise ValueError(f"GEOCODER must be one of {', '.join(GEOCODERS)}, not {kind!r}")
    user_agent = config.get("NOMINATIM_USER_AGENT")
    if not user_agent:
        raise ValueError("GEOCODER='nominatim' needs NOMINATIM_USER_AGENT: the usage policy requires one")
    options: dict[str, Any] = {"user_agent": user_agent, "timeout": 5}
    if config.get("NOMINATIM_DOMAIN"):
        options["domain"] = config["NOMINATIM_DOMAIN"]
    return FallbackGeocoder(
        Nominatim(**options),
        default_gazetteer(),
        online_options={"country_codes": "kz", "addressdetails": True},
    )


def to_geopoint(location: Location, *, at: tuple[float, float] | None = None) -> GeoPoint:
    """A GeoPoint from a geopy Location whose raw data carries 'settlement' and 'region'."""
    raw = location.raw or {}
    latitude, longitude = at or (location.latitude, location.longitude)
    return GeoPoint(
        latitude=latitude,
        longitude=longitude,
        label=location.address,
        settlement=raw.get("settlement"),
        region_code=raw.get("region"),
    )
