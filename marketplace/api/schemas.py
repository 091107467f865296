"""What the needs API accepts and what it answers.

`LIST_PARAMETERS` is the one definition of the list's query parameters: the view validates requests with
it and `openapi.py` documents it, so the document cannot drift from what the endpoint accepts. The
serialisers below write only a need's public fields (never the family's name, phone, address, exact
point or files).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from marketplace import geo
from marketplace.geo.regions import REGION_CODES, REGIONS, region_name
from marketplace.core.money import money_in
from marketplace.core.urls import external_url
from marketplace.needs import catalogue, labels
from marketplace.needs.models import Category, Need, NeedStatus, Urgency
from marketplace.offices.models import name_in

DEFAULT_PER_PAGE = 20
CURRENCY = "KZT"
# A value quoted back in an error message is cut to this length.
_ECHO_LENGTH = 40
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
# Past this many digits an integer is out of every range here; it is not even converted.
_MAX_DIGITS = 18
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?", re.ASCII)


class QueryError(ValueError):
    """The query string cannot be used; `problems` lists (parameter, reason) in the user's language."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(reason for _name, reason in problems))
        self.problems = problems

    @property
    def detail(self) -> str:
        return " ".join(reason for _name, reason in self.problems)


@dataclass(frozen=True)
class QueryParameter:
    """One query parameter: its JSON type and limits, from which both validation and the docs follow."""

    name: str
    type: str  # "string", "integer" or "number"
    description: Any  # a lazy string
    enum: tuple[str, ...] | None = None
    minimum: float | None = None
    exclusive_minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    default: Any = None
    pattern: str | None = None  # what a value written by the site itself looks like (a page link's cursor)
    example: str | None = None

    def schema(self) -> dict:
        """The parameter's JSON Schema (OpenAPI 3.1 uses JSON Schema 2020-12)."""
        schema: dict[str, Any] = {"type": self.type}
        for key, value in (("enum", list(self.enum) if self.enum else None), ("minimum", self.minimum),
                           ("exclusiveMinimum", self.exclusive_minimum), ("maximum", self.maximum),
                           ("maxLength", self.max_length), ("default", self.default), ("pattern", self.pattern),
                           ("examples", [self.example] if self.example else None)):
            if value is not None:
                schema[key] = value
        return schema

    @property
    def free_text(self) -> bool:
        """Whether any text is a value (so an empty one too, which matches everything)."""
        return self.type == "string" and self.enum is None and self.pattern is None

    def parse(self, raw: str) -> Any:
        """The typed value of `raw` as sent (None for free text left empty), or ValueError with a reason in the
        user's language. A number or a code is never trimmed or skipped when empty: `region=` is a 400, as
        the document's enum says, not "any region"."""
        if self.free_text and not raw.strip():
            return None
        shown = raw if len(raw) <= _ECHO_LENGTH else raw[:_ECHO_LENGTH] + "…"
        if self.type == "integer":
            if not _INTEGER.fullmatch(raw):
                raise ValueError(_("“%(name)s” must be a whole number, not “%(value)s”.", name=self.name, value=shown))
            if len(raw.lstrip("+-")) <= _MAX_DIGITS:
                value: Any = int(raw)
            else:
                value = -math.inf if raw.startswith("-") else math.inf
        elif self.type == "number":
            if not _NUMBER.fullmatch(raw) or not math.isfinite(float(raw)):
                raise ValueError(_("“%(name)s” must be a number written with a dot, such as 43.25, not “%(value)s”.",
                                   name=self.name, value=shown))
            value = float(raw)
        else:
            value = raw.strip() if self.free_text else raw
            if self.max_length is not None and len(raw) > self.max_length:
                raise ValueError(_("“%(name)s” must be at most %(max)d characters long.", name=self.name,
                                   max=self.max_length))
            if self.pattern is not None:
                try:
                    value = catalogue.Cursor.parse(raw)
                except ValueError:
                    raise ValueError(_("“%(name)s” is not a place in this list. Follow the “next” and “prev” links "
                                       "as they are given.", name=self.name)) from None
            if self.enum is not None and raw not in self.enum:
                raise ValueError(_("“%(name)s” must be one of: %(choices)s; “%(value)s” is not one of them.",
                                   name=self.name, choices=", ".join(self.enum), value=shown))
        self._check_range(value)
        return value

    def _check_range(self, value: Any) -> None:
        if self.type not in ("integer", "number"):
            return
        low_ok = (self.minimum is None or value >= self.minimum) and (
            self.exclusive_minimum is None or value > self.exclusive_minimum)
        high_ok = self.maximum is None or value <= self.maximum
        if low_ok and high_ok:
            return
        low = self.minimum if self.minimum is not None else self.exclusive_minimum
        if self.exclusive_minimum is not None:
            raise ValueError(_("“%(name)s” must be more than %(min)s and at most %(max)s.", name=self.name,
                               min=_plain(low), max=_plain(self.maximum)))
        raise ValueError(_("“%(name)s” must be between %(min)s and %(max)s.", name=self.name, min=_plain(low),
                           max=_plain(self.maximum)))


def _plain(number: float | None) -> str:
    return "" if number is None else (str(int(number)) if float(number).is_integer() else str(number))


CURSOR_EXAMPLE = "1-1764806400000000-1234"  # urgency rank, microseconds since 1970, need id
LIST_PARAMETERS: tuple[QueryParameter, ...] = (
    QueryParameter("lat", "number", _l("Latitude (WGS-84 degrees) to measure distances from. Give it with "
                                       "`lon`: the list is then sorted nearest first, each item gets "
                                       "`distance_km`, and needs without a public point are left out."),
                   minimum=-90, maximum=90),
    QueryParameter("lon", "number", _l("Longitude (WGS-84 degrees) to measure distances from; goes with `lat`."),
                   minimum=-180, maximum=180),
    QueryParameter("radius_km", "number", _l("Only needs at most this many kilometres from `lat`/`lon` "
                                             "(which it requires)."),
                   exclusive_minimum=0, maximum=catalogue.MAX_RADIUS_KM),
    QueryParameter("category", "string", _l("Only needs of this category."),
                   enum=tuple(category.value for category in Category)),
    QueryParameter("kind", "string", _l("Only needs that take this kind of help."), enum=labels.KINDS),
    QueryParameter("region", "string", _l("Only needs in this region (a region code)."),
                   enum=tuple(region.code for region in REGIONS)),
    QueryParameter("settlement", "string", _l("Only needs whose settlement contains this text (any letter case), "
                                              "or is the same place spelt in Russian, Kazakh or Latin letters."),
                   max_length=catalogue.SETTLEMENT_MAX_LENGTH),
    QueryParameter("urgency", "string", _l("Only needs of this urgency."),
                   enum=tuple(urgency.value for urgency in Urgency)),
    QueryParameter("page", "integer", _l("The page to return, from 1. Pages are numbered as far as the first "
                                         "1,000 needs; the `next` link goes on from there."),
                   minimum=1, maximum=catalogue.MAX_PAGE, default=1),
    QueryParameter("after", "string", _l("Where the page starts: the need after which it goes on, as written in "
                                         "the `next` link. A list nearest first (`lat`/`lon`) has numbered pages only and ignores it."),
                   max_length=40, pattern=f"^{catalogue.Cursor.PATTERN.pattern}$", example=CURSOR_EXAMPLE),
    QueryParameter("before", "string", _l("Where the page ends: the need before which it stops, as written in "
                                          "the `prev` link; ignored with `after` or `lat`/`lon`."),
                   max_length=40, pattern=f"^{catalogue.Cursor.PATTERN.pattern}$", example=CURSOR_EXAMPLE),
    QueryParameter("per_page", "integer", _l("How many needs per page."), minimum=1,
                   maximum=catalogue.MAX_PER_PAGE, default=DEFAULT_PER_PAGE),
)
LIST_PARAMETER_NAMES: tuple[str, ...] = tuple(parameter.name for parameter in LIST_PARAMETERS)
# Where to measure from. The document states it as one object parameter whose `dependentRequired` is this
# table; `_origin_problems` enforces the same (tests/api/test_api.py checks both against each other).
ORIGIN_PARAMETERS: tuple[str, ...] = ("lat", "lon", "radius_km")
ORIGIN_REQUIRES: dict[str, tuple[str, ...]] = {"lat": ("lon",), "lon": ("lat",), "radius_km": ("lat", "lon")}


@dataclass
class ListQuery:
    """A validated list request."""

    filters: catalogue.Filters
    origin: catalogue.Origin | None
    page: int
    per_page: int
    given: dict[str, str] = field(default_factory=dict)  # the parameters as sent, for next/prev links
    after: catalogue.Cursor | None = None
    before: catalogue.Cursor | None = None


def _origin_problems(sent: set[str]) -> list[tuple[str, str]]:
    """What ORIGIN_REQUIRES says is missing, named by the parameter to add."""
    has_lat, has_lon = "lat" in sent, "lon" in sent
    problems = []
    if has_lat != has_lon:
        problems.append(("lon" if has_lat else "lat", _("“lat” and “lon” go together: give both or neither.")))
    if "radius_km" in sent and not (has_lat and has_lon):
        problems.append(("radius_km", _("“radius_km” needs “lat” and “lon” to measure from.")))

    return problems


def parse_list_query(args: MultiDict) -> ListQuery:
    """Validate the list's query string; QueryError names every parameter that is wrong and why."""
    problems: list[tuple[str, str]] = []
    by_name = {parameter.name: parameter for parameter in LIST_PARAMETERS}
    values: dict[str, Any] = {}
    given: dict[str, str] = {}
    for name in args:
        if name not in by_name:
            shown = name if len(name) <= _ECHO_LENGTH else name[:_ECHO_LENGTH] + "…"
            problems.append((name, _("“%(name)s” is not a parameter of this endpoint. It accepts: %(names)s.",
                                     name=shown, names=", ".join(LIST_PARAMETER_NAMES))))
            continue
        raw_values = args.getlist(name)
        if len(raw_values) > 1:
            problems.append((name, _("“%(name)s” was given more than once.", name=name)))
            continue
        try:
            value = by_name[name].parse(raw_values[0])
        except ValueError as error:
            problems.append((name, str(error)))
            continue
        if value is not None:
            values[name] = value
            given[name] = raw_values[0]
    problems += _origin_problems({name for name in args if name in by_name})
    if problems:
        raise QueryError(problems)
    origin = None
    if "lat" in values and "lon" in values:
        origin = catalogue.Origin(values["lat"], values["lon"], values.get("radius_km"))
    filters = catalogue.Filters(
        category=Category(values["category"]) if "category" in values else None,
        kind=values.get("kind"),
        region=values.get("region"),
        settlement=values.get("settlement"),
        urgency=Urgency(values["urgency"]) if "urgency" in values else None,
    )
    return ListQuery(filters=filters, origin=origin, page=values.get("page", 1),
                     per_page=values.get("per_page", DEFAULT_PER_PAGE), given=given,
                     after=values.get("after") if origin is None else None,
                     before=values.get("before") if origin is None and "after" not in values else None)


# --- responses -------------------------------------------------------------------------------------


def _money_json(need: Need, language: str) -> dict | None:
    if not need.money_goal:
        return None
    goal, raised, missing = need.money_goal, need.money_raised, need.money_missing
    return {
        "goal": goal, "raised": raised, "missing": missing, "currency": CURRENCY,
        "formatted": {"goal": money_in(goal, language), "raised": money_in(raised, language),
                      "missing": money_in(missing, language)},
    }


def need_json(need: Need, distance_km: float | None = None) -> dict:
    """A public need as the list and the detail endpoint show it (in the request's language, looked up once)."""
    locale = str(get_locale())
    words = labels.words_in(locale)
    location = None
    if need.public_latitude is not None and need.public_longitude is not None:
        lat, lon = geo.coarse_point(need.public_latitude, need.public_longitude)
        location = {"lat": lat, "lon": lon}
    region = None
    if need.region_code:
        known = need.region_code in REGION_CODES
        region = {"code": need.region_code, "name": region_name(need.region_code, locale) if known else None}
    data: dict[str, Any] = {
        "id": need.id,
        "title": need.title,
        "description": need.description,
        "category": need.category.value,
        "category_name": words["category"][need.category],
        "kinds": need.kinds,
        "urgency": need.urgency.value,
        "urgency_name": words["urgency"][need.urgency],
        "status": need.status.value,
        "status_name": words["status"][need.status],
        "deadline": need.deadline.isoformat() if need.deadline else None,
        "settlement": need.settlement,
        "region": region,
        "location": location,
        "money": _money_json(need, locale),
        "goods": [
            {"name": item.name, "quantity": item.quantity, "pledged": item.quantity_pledged, "missing": item.missing,
             "unit": item.unit}
            for item in need.items
        ],
        "volunteers": {"slots": need.volunteer_slots, "filled": need.slots_filled,
                       "hours_each": need.volunteer_hours} if need.volunteer_slots else None,
        "verified": {"office": name_in(need.office, locale) if need.office else None,
                     "at": need.verified_at.isoformat() if need.verified_at else None},
        "url": external_url("needs.detail", need_id=need.id),
    }
    if distance_km is not None:
        data["distance_km"] = round(distance_km, 1)
    return data


def need_detail_json(need: Need) -> dict:
    """The detail endpoint's need: the list's fields, the office to contact, and the outcome once met."""
    data = need_json(need)
    office = need.office
    data["office"] = None if office is None else {
        "name": office.display_name, "names": {"ru": office.name, "kk": office.name_kk, "en": office.name_en},
        "settlement": office.settlement, "address": office.address, "phone": office.phone,
        "email": office.email, "opening_hours": office.opening_hours,
        "url": external_url("offices.detail", office_id=office.id) if office.is_active else None,
    }
    met = need.status in (NeedStatus.FULFILLED, NeedStatus.CLOSED)
    data["outcome_note"] = need.outcome_note if met else None
    return data
