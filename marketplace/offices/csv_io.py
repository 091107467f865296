"""Offices to and from CSV: the bulk import and export used by `flask offices import|export`."""
from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TextIO

from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from marketplace import geo
from marketplace.core import csv_cells
from marketplace.core.extensions import db
from marketplace.geo.regions import REGION_CODES
from marketplace.offices.models import Office
from marketplace.offices.services import (
    BANK_FIELDS, OfficeData, clean_bank_details, create_office, find_by_code, set_bank_details, update_office,
)

# The Kazakh and English names and the bank columns are optional: a file without one of them leaves every
# office's as it is. A file with it sets it as given, so an empty name_kk or name_en cell clears that name
# (the Russian one then shows).
NAME_FIELDS = ("name_kk", "name_en")
CSV_COLUMNS = [
    "code", "name", *NAME_FIELDS, "region_code", "settlement", "address", "latitude", "longitude",
    "phone", "email", "opening_hours", "is_active", *BANK_FIELDS,
]
REQUIRED_COLUMNS = ("code", "name", "region_code", "settlement", "address")

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# Loose on purpose: the address is checked by the people who write to it, not by a regular expression.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TRUE_WORDS = frozenset({"1", "true", "yes", "да"})
FALSE_WORDS = frozenset({"0", "false", "no", "нет"})

# A box around Kazakhstan: catches swapped latitude/longitude and points typed for another country.
LATITUDE_RANGE = (40.0, 56.0)
LONGITUDE_RANGE = (46.0, 88.0)

# Column widths of the Office model, checked here because SQLite would store longer text silently.
MAX_LENGTHS = {"name": 200, "name_kk": 200, "name_en": 200, "settlement": 120, "address": 255, "phone": 32,
               "email": 254, "opening_hours": 200}

DELIMITERS = (";", ",", "\t")


@dataclass(frozen=True)
class RowError:
    """A row that was not imported: its physical line in the file (the header is line 1) and why."""

    line: int
    message: str


@dataclass
class ImportReport:
    """What an import did, row by row counted."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def applied(self) -> int:
        """Rows that reached the database (created or updated)."""
        return self.created + self.updated


def import_offices(
    stream: TextIO, *, actor=None, on_row: Callable[[int], None] | None = None
) -> ImportReport:
    """Create or update offices by code from a CSV stream; bad rows are reported and skipped, nothing is committed."""
    report = ImportReport()
    reader = _reader(stream)
    header = reader.fieldnames or []
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        report.errors.append(RowError(1, _("missing columns: %(columns)s", columns=", ".join(missing))))
        return report

    kept_names = tuple(name for name in NAME_FIELDS if name not in header)
    with_bank = any(name in header for name in BANK_FIELDS)
    seen_codes: dict[str, int] = {}
    for line, row in _records(reader):
        problems, data = _parse_row(row, seen_codes, line)
        bank = None
        if with_bank:
            bank, bank_problems = clean_bank_details({name: row.get(name) for name in BANK_FIELDS})
            problems = problems + [f"{name}: {message}" for name, message in bank_problems.items()]
        if problems:
            report.errors.extend(RowError(line, message) for message in problems)
        else:
            _apply(data, kept_names, bank, actor, line, report)
        if on_row is not None:
            on_row(line)
    return report


def count_records(stream: TextIO) -> int:
    """The number of data rows an import of this stream would go through."""
    return sum(1 for _record in _records(_reader(stream)))


def export_offices(stream: TextIO, offices: Iterable[Office]) -> int:
    """Write offices as CSV in the import's columns, every cell safe to open in a spreadsheet (a phone such
    as "+7 727 ..." is written "'+7 727 ...", which the import reads back as it was); returns the rows written."""
    writer = csv_cells.writer(stream, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    written = 0
    for office in offices:
        writer.writerow([
            office.code, office.name, office.name_kk or "", office.name_en or "",
            office.region_code, office.settlement, office.address,
            _format_float(office.latitude), _format_float(office.longitude),
            office.phone or "", office.email or "", office.opening_hours or "",
            "1" if office.is_active else "0", *((getattr(office, name) or "") for name in BANK_FIELDS),
        ])
        written += 1
    return written


def _reader(stream: TextIO) -> csv.DictReader:
    """A DictReader over the stream, past any BOM, with the delimiter the header line uses."""
    text = stream.read()
    if text.startswith("\ufeff"):
        text = text[1:]
    first_line = text.split("\n", 1)[0]
    # Excel in ru and kk locales saves with ';' because ',' is their decimal separator.
    delimiter = max(DELIMITERS, key=first_line.count) if any(d in first_line for d in DELIMITERS) else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    if reader.fieldnames:
        reader.fieldnames = [name.strip().lower() for name in reader.fieldnames]
    return reader


def _records(reader: csv.DictReader) -> Iterable[tuple[int, dict[str, str]]]:
    """(first physical line, row) for each row that has any value, with the export's formula escape undone;
    Excel adds rows of bare delimiters."""
    for row in reader:
        values = [value for key, value in row.items() if key is not None and isinstance(value, str)]
        if not any(value.strip() for value in values):
            continue
        # line_num is the last line of the record; a quoted value may have spanned several.
        line = reader.line_num - sum(value.count("\n") for value in values)
        yield line, {key: csv_cells.unescape_cell(value) if isinstance(value, str) else value
                     for key, value in row.items()}


def _parse_row(row: dict[str, str], seen_codes: dict[str, int], line: int) -> tuple[list[str], OfficeData | None]:
    """Validate one row; returns its problems, or none and the office data to apply."""
    def text(name: str) -> str:
        return (row.get(name) or "").strip()

    problems: list[str] = []
    code = text("code")
    if not CODE_PATTERN.match(code):
        problems.append(_("code %(code)s must be 1–32 Latin letters, digits, '-' or '_'", code=code or "''"))
    elif code in seen_codes:
        problems.append(_("code %(code)s already appears on line %(line)d", code=code, line=seen_codes[code]))
    else:
        seen_codes[code] = line

    for name, message in (
        ("name", _("name is required")),
        ("settlement", _("settlement is required")),
        ("address", _("address is required")),
    ):
        if not text(name):
            problems.append(message)
    for name, limit in MAX_LENGTHS.items():
        if len(text(name)) > limit:
            problems.append(_("%(column)s is longer than %(limit)d characters", column=name, limit=limit))

    region_code = text("region_code").lower()
    if not region_code:
        problems.append(_("region_code is required"))
    elif region_code not in REGION_CODES:
        problems.append(_("region %(code)s is unknown", code=region_code))

    email = text("email")
    if email and not EMAIL_PATTERN.match(email):
        problems.append(_("e-mail %(email)s does not look like an address", email=email))

    is_active = _parse_bool(text("is_active"))
    if is_active is None:
        problems.append(_("is_active must be 1 or 0, yes or no (got %(value)s)", value=text("is_active")))

    raw_lat, raw_lon = text("latitude"), text("longitude")
    point, point_problems = _coordinates(raw_lat, raw_lon)
    problems.extend(point_problems)
    # Geocoding may ask a remote service, so only a row that is otherwise good gets that far.
    if not problems and point is None:
        point, point_problems = _geocode(text("settlement"), text("address"), region_code)
        problems.extend(point_problems)
    if problems:
        return problems, None
    return [], OfficeData(
        code=code, name=text("name"), region_code=region_code, settlement=text("settlement"),
        address=text("address"), latitude=point[0], longitude=point[1],
        phone=text("phone") or None, email=email or None, opening_hours=text("opening_hours") or None,
        is_active=is_active, name_kk=text("name_kk") or None, name_en=text("name_en") or None,
    )


def _coordinates(raw_lat: str, raw_lon: str) -> tuple[tuple[float, float] | None, list[str]]:
    """The row's own coordinates, checked; (None, []) when it gives neither."""
    if not raw_lat and not raw_lon:
        return None, []
    if not raw_lat or not raw_lon:
        return None, [_("give both latitude and longitude, or neither")]
    problems = []
    latitude = _parse_float(raw_lat)
    longitude = _parse_float(raw_lon)
    if latitude is None or not LATITUDE_RANGE[0] <= latitude <= LATITUDE_RANGE[1]:
        problems.append(_("latitude %(value)s is not between %(low)d and %(high)d",
                          value=raw_lat, low=LATITUDE_RANGE[0], high=LATITUDE_RANGE[1]))
    if longitude is None or not LONGITUDE_RANGE[0] <= longitude <= LONGITUDE_RANGE[1]:
        problems.append(_("longitude %(value)s is not between %(low)d and %(high)d",
                          value=raw_lon, low=LONGITUDE_RANGE[0], high=LONGITUDE_RANGE[1]))
    if problems:
        return None, problems
    return (latitude, longitude), []


def _geocode(settlement: str, address: str, region_code: str) -> tuple[tuple[float, float] | None, list[str]]:
    """Look the settlement up in the gazetteer, keeping only a point in the row's region."""
    elsewhere = None
    for query in (f"{settlement}, {address}", settlement):
        found = geo.geocode(query)
        if found is None:
            continue
        # Several towns share a name (Аксу, Шалкар): a point in another region is the wrong town.
        if found.region_code and found.region_code != region_code:
            elsewhere = elsewhere or found
            continue
        return (found.latitude, found.longitude), []
    if elsewhere is not None:
        return None, [_("settlement %(settlement)s was found only in region %(found)s, not %(code)s; "
                        "give latitude and longitude", settlement=settlement, found=elsewhere.region_code,
                        code=region_code)]
    return None, [_("settlement %(settlement)s is not known; give latitude and longitude", settlement=settlement)]


def _apply(data: OfficeData, kept_names: tuple[str, ...], bank: dict[str, str | None] | None, actor, line: int,
           report: ImportReport) -> None:
    """Upsert one valid row inside a savepoint, so that a database refusal undoes this row only; the names
    the file has no column for (`kept_names`) and, with `bank` None, the bank details stay as they are."""
    try:
        with db.session.begin_nested():
            office = find_by_code(data.code)
            if office is None:
                office = create_office(data, actor=actor)
                outcome = "created"
            else:
                data = replace(data, **{name: getattr(office, name) for name in kept_names})
                outcome = "updated" if update_office(office, data, actor=actor) else "unchanged"
            if bank is not None and set_bank_details(office, bank, actor=actor) and outcome == "unchanged":
                outcome = "updated"
    except SQLAlchemyError as exc:
        report.errors.append(RowError(line, _("the database refused the row: %(reason)s",
                                              reason=str(getattr(exc, "orig", None) or exc).splitlines()[0])))
        return
    setattr(report, outcome, getattr(report, outcome) + 1)


def _parse_bool(raw: str) -> bool | None:
    word = raw.lower()
    if not word or word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def _parse_float(raw: str) -> float | None:
    # A decimal comma is what a ru-locale spreadsheet writes.
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _format_float(value: float | None) -> str:
    # repr() is the shortest text that reads back as the same float, so a round trip changes nothing.
    return "" if value is None else repr(value)
