"""An offline geopy geocoder over the settlements of Kazakhstan shipped in data/kz_settlements.tsv."""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from geopy.distance import great_circle
from geopy.geocoders.base import Geocoder
from geopy.location import Location
from geopy.point import Point

from .names import normalise, tokens
from .regions import REGION_CODES, country_name, get_region, language_of

DATA_FILE = "kz_settlements.tsv"
# A settlement farther than this from a point no longer says where the point is (it is abroad).
NEAREST_SETTLEMENT_KM = 300.0

# Words that start a street or house part of an address (folded like the query, so "улица" is "улица"
# and "көшесі" is "кошеси"): a name after one is a street named after a place, not the place.
STREET_WORDS = frozenset(
    normalise(word)
    for word in (
        "ул улица пр просп проспект пер переулок бул бульвар мкр мкрн микрорайон шоссе тупик наб набережная "
        "д дом кв квартира корп көшесі көш даңғылы үй пәтер "
        "st str street ave avenue rd road lane blvd boulevard apt house ul ulitsa prospekt prospect mkr "
        "microdistrict koshesi dangyly"
    ).split()
)
# Words after a name that make it a region or district (Алматы облысы, Жамбылский район), not a place.
AREA_WORDS = frozenset(
    normalise(word)
    for word in "обл область облысы облыс район ауданы аудан oblast oblysy region district rayon raion audany".split()
) | {"р"}  # "р-н" folds to two words, "р н"
# The country's own name would otherwise match the village called Kazakhstan in "Kazakhstan, Taraz".
COUNTRY_WORDS = frozenset(normalise(word) for word in "Казахстан Қазақстан Kazakhstan Qazaqstan Kazahstan РК".split())
_HOUSE_NUMBER = re.compile(r"^\d{1,4}[a-zа-я]?$")
_SEGMENT_SEPARATORS = re.compile(r"[,;\n/|]+")


@dataclass(frozen=True, slots=True)
class Settlement:
    """A city, town or village from GeoNames, with its Russian and Kazakh names and its region."""

    geonameid: int
    name: str
    name_ru: str
    name_kk: str
    latitude: float
    longitude: float
    population: int
    region_code: str
    aliases: tuple[str, ...] = ()

    def label(self, locale: str | object | None = None) -> str:
        """The settlement's name in the given locale (Russian by default, Latin for 'en')."""
        return {"ru": self.name_ru, "kk": self.name_kk, "en": self.name}[language_of(locale)]

    def address(self, locale: str | object | None = None) -> str:
        """"Settlement, Region, Kazakhstan" in the given locale, without repeating a city's own name."""
        region = get_region(self.region_code)
        parts = [self.label(locale)]
        if not region.is_city:
            parts.append(region.name(locale))
        parts.append(country_name(locale))
        return ", ".join(parts)

    @property
    def primary_names(self) -> tuple[str, str, str]:
        """The English, Russian and Kazakh names."""
        return (self.name, self.name_ru, self.name_kk)


@dataclass(frozen=True, slots=True)
class _Match:
    settlement: Settlement
    text: str
    in_street: bool
    is_primary: bool

    @property
    def rank(self) -> tuple[bool, int, bool, int]:
        # Outside a street first, then the longest name (Усть-Каменогорск over a village called
        # Каменка), then an official name over a historical one, then the biggest place.
        return (not self.in_street, len(self.text), self.is_primary, self.settlement.population)


def read_settlements(lines: Iterable[str]) -> list[Settlement]:
    """Parse the gazetteer TSV written by scripts/build_gazetteer.py."""
    rows = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    return [
        Settlement(
            geonameid=int(row["geonameid"]),
            name=row["name"],
            name_ru=row["name_ru"],
            name_kk=row["name_kk"],
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
            population=int(row["population"]),
            region_code=row["region"],
            aliases=tuple(alias for alias in row["aliases"].split("|") if alias),
        )
        for row in rows
    ]


class Gazetteer(Geocoder):
    """Offline geocoder: finds a settlement of Kazakhstan named anywhere in a query, with no network."""

    def __init__(self, settlements: Iterable[Settlement]) -> None:
        super().__init__()
        self.settlements: tuple[Settlement, ...] = tuple(settlements)
        unknown = {s.region_code for s in self.settlements} - REGION_CODES
        if unknown:
            raise ValueError(f"unknown region codes in gazetteer: {sorted(unknown)}")
        self._index: dict[tuple[str, ...], list[tuple[Settlement, bool]]] = defaultdict(list)
        self._folded: dict[int, tuple[str, ...]] = {}
        for settlement in self.settlements:
            folded: list[str] = []
            primary = {normalise(name) for name in settlement.primary_names}
            for name in (*settlement.primary_names, *settlement.aliases):
                key = tokens(name)
                if not key or " ".join(key) in folded:
                    continue
                folded.append(" ".join(key))
                self._index[key].append((settlement, " ".join(key) in primary))
            self._folded[settlement.geonameid] = tuple(folded)
        self._longest = max((len(key) for key in self._index), default=0)

    @classmethod
    def from_package(cls) -> Gazetteer:
        """The gazetteer built from the data file shipped inside this package."""
        text = resources.files(__package__).joinpath("data").joinpath(DATA_FILE).read_text(encoding="utf-8")
        return cls(read_settlements(text.splitlines()))

    def geocode(  # type: ignore[override]
        self, query: str, exactly_one: bool = True, *, language: str | None = None, **kwargs: Any
    ) -> Location | list[Location] | None:
        """The settlement named in the query as a geopy Location (a ranked list unless exactly_one)."""
        best: dict[int, _Match] = {}
        for match in self._matches(str(query)):
            known = best.get(match.settlement.geonameid)
            if known is None or match.rank > known.rank:
                best[match.settlement.geonameid] = match
        if not best:
            return None
        ranked = sorted(best.values(), key=lambda match: match.rank, reverse=True)
        locations = [self._location(match.settlement, language, matched=match.text) for match in ranked]
        return locations[0] if exactly_one else locations

    def reverse(  # type: ignore[override]
        self, query: Any, exactly_one: bool = True, *, language: str | None = None, **kwargs: Any
    ) -> Location | list[Location] | None:
        """The settlement nearest to a point, as a geopy Location at the settlement's coordinates."""
        settlement = self.settlement_near(Point(query))
        if settlement is None:
            return None
        location = self._location(settlement, language)
        return location if exactly_one else [location]

    def settlement_near(self, point: Point) -> Settlement | None:
        """The settlement nearest to a point, unless even that one is too far to describe it."""
        # 351 places: a linear scan is quicker than any index would be to build.
        distances = ((great_circle(point, (s.latitude, s.longitude)).km, s) for s in self.settlements)
        km, nearest = min(distances, key=lambda item: item[0], default=(math.inf, None))
        return nearest if km <= NEAREST_SETTLEMENT_KM else None

    def search(self, prefix: str, limit: int = 10) -> list[Settlement]:
        """Settlements whose name, or a word of it, starts with the prefix: autocomplete, biggest first."""
        folded_prefix = normalise(prefix)
        if not folded_prefix:
            return []
        found: list[tuple[int, int, str, Settlement]] = []
        for settlement in self.settlements:
            names = self._folded[settlement.geonameid]
            if any(name.startswith(folded_prefix) for name in names):
                found.append((0, -settlement.population, settlement.name, settlement))
            elif any(word.startswith(folded_prefix) for name in names for word in name.split()):
                found.append((1, -settlement.population, settlement.name, settlement))
        found.sort(key=lambda item: item[:3])
        return [item[3] for item in found[:limit]]

    def settlements_in_region(self, code: str) -> list[Settlement]:
        """The settlements of one region, biggest first; KeyError for an unknown region code."""
        get_region(code)
        return sorted(
            (s for s in self.settlements if s.region_code == code), key=lambda s: (-s.population, s.name)
        )

    def find_settlement(self, name: str, region_code: str | None = None) -> Settlement | None:
        """The settlement this is a name of (official or historical, in any language and letter case), the
        biggest when several places share it (of those in `region_code`, when given); None for any other text."""
        named = [settlement for settlement, _primary in self._index.get(tokens(name)) or ()
                 if region_code is None or settlement.region_code == region_code]
        return max(named, key=lambda s: s.population) if named else None

    def get(self, geonameid: int) -> Settlement | None:
        """The settlement with this GeoNames id, if the gazetteer has it."""
        return next((s for s in self.settlements if s.geonameid == geonameid), None)

    def _matches(self, query: str) -> Iterator[_Match]:
        for segment in _SEGMENT_SEPARATORS.split(query):
            words = [word for word in tokens(segment) if word not in COUNTRY_WORDS]
            # Names after a street word are streets ("ул. Шу" in Taraz), so they never count. A short
            # number ("Tole bi 5") only suggests a street, so such a segment merely ranks lower; six-digit
            # postcodes do not count as house numbers.
            street_from = next((i for i, word in enumerate(words) if word in STREET_WORDS), len(words))
            numbered = any(_HOUSE_NUMBER.match(word) for word in words)
            for start in range(street_from):
                for end in range(min(street_from, start + self._longest), start, -1):
                    key = tuple(words[start:end])
                    if key not in self._index or self._names_an_area(words, start, end):
                        continue
                    for settlement, is_primary in self._index[key]:
                        yield _Match(settlement, " ".join(key), numbered, is_primary)

    @staticmethod
    def _names_an_area(words: list[str], start: int, end: int) -> bool:
        # "Алматы облысы", "Abai region", and "область Абай" at the start of a segment name a region.
        return (end < len(words) and words[end] in AREA_WORDS) or (start == 1 and words[0] in AREA_WORDS)

    def _location(self, settlement: Settlement, language: str | None, matched: str = "") -> Location:
        raw = {
            "source": "gazetteer",
            "geonameid": settlement.geonameid,
            "name": settlement.name,
            "settlement": settlement.label(language),
            "region": settlement.region_code,
            "population": settlement.population,
            "matched": matched,
        }
        return Location(settlement.address(language), (settlement.latitude, settlement.longitude), raw)


@cache
def default_gazetteer() -> Gazetteer:
    """The shared gazetteer loaded once per process from the package's data file."""
    return Gazetteer.from_package()
