"""Input that must never reach the database: ids beyond its integers, absurd page numbers, NUL bytes."""
from __future__ import annotations

from flask import Flask, request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the INTEGER columns of both databases
MAX_PAGE = 100_000


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` that does not match numbers the database cannot store: such a URL is a 404."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def bounded_id(value) -> int | None:
    """An id from a form or query string, or None when it cannot be one of the database's ids."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def page_number() -> int:
    """The `page` query parameter, clamped to what a list can have (bad values are page 1)."""
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE)


def _without_nul(values: ImmutableMultiDict) -> ImmutableMultiDict:
    return ImmutableMultiDict([(k.replace("\x00", ""), v.replace("\x00", "")) for k, v in values.items(multi=True)])


def _strip_nul_bytes() -> None:
    """PostgreSQL refuses text with NUL bytes (SQLite stores them): nobody types one, so drop them."""
    if any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)):
        request.args = _without_nul(request.args)
    if request.method in ("POST", "PUT", "PATCH") and any(
        "\x00" in k or "\x00" in v for k, v in request.form.items(multi=True)
    ):
        request.form = _without_nul(request.form)


def register_request_guard(app: Flask) -> None:
    """Install the bounded id converter (before any route is added) and the NUL filter."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(_strip_nul_bytes)
