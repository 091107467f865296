"""Public pages of the needs domain: the catalogue of open verified needs and a need's page (its flag
buttons post to moderation/flag_views.py, on this blueprint).

Every need shown here comes through `catalogue` (which starts from `open_needs`) or `public_need_or_404`,
and the templates show only public fields: the family's name, phone, address, exact point and files
never reach these pages.
"""
from __future__ import annotations

import math

from flask import abort, current_app, jsonify, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from marketplace import geo
from marketplace.core.language import current_language
from marketplace.core.public_cache import kept_for_visitors
from marketplace.geo.regions import REGION_CODES, get_region, region_name
from marketplace.needs import catalogue, labels, map_points
from marketplace.needs.blueprint import bp
from marketplace.needs.forms import CatalogueForm, FlagForm
from marketplace.needs.models import Category, Need, NeedStatus, Urgency


VIEWS = ("list", "map")


@bp.record_once
def _template_globals(state) -> None:
    """In every template and in macros imported without the page's context (which Jinja then keeps compiled
    once): `need_labels` (names of categories, kinds, urgencies, states) and `need_place`."""
    state.app.jinja_env.globals.update(need_labels=labels, need_place=need_place)


def need_place(need: Need) -> str:
    """"Текели, Jetisu Region": the need's public settlement and its region in the page's language
    (a city of republican significance is its own region, so it is named once)."""
    parts = [need.settlement] if need.settlement else []
    if need.region_code in REGION_CODES and not (parts and get_region(need.region_code).is_city):
        parts.append(region_name(need.region_code, current_language()))
    return ", ".join(parts)


def public_need_or_404(need_id: int) -> Need:
    """The need if the public may see it; otherwise 404, never a hint that it exists."""
    need = catalogue.public_need(need_id)
    if need is None:
        abort(404)
    return need


# --- the catalogue -------------------------------------------------------------------------------


def _origin(form: CatalogueForm) -> tuple[float, float, str] | None:
    """The place to measure from: the browser's location, else the geocoded text; errors go on `near`."""
    unreadable = _("Your location could not be read. Type a settlement instead.")
    if form.lat.data or form.lon.data:
        try:
            lat, lon = float(form.lat.data or ""), float(form.lon.data or "")
        except ValueError:
            form.near.errors.append(unreadable)
            return None
        if math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180:
            return lat, lon, _("your location")
        form.near.errors.append(unreadable)
        return None
    if form.near.data and form.near.data.strip():
        place = geo.geocode(form.near.data, language=str(get_locale()))
        if place is None:
            form.near.errors.append(_("We could not find “%(place)s”. Check the spelling or type the nearest town.",
                                      place=form.near.data.strip()))
            return None
        return place.latitude, place.longitude, place.label
    return None


def _filters(form: CatalogueForm) -> catalogue.Filters:
    return catalogue.Filters(
        category=Category(form.category.data) if form.category.data else None,
        kind=form.kind.data or None,
        region=form.region.data or None,
        settlement=(form.settlement.data or "").strip() or None,
        urgency=Urgency(form.urgency.data) if form.urgency.data else None,
    )


def _page_number() -> int:
    raw = request.args.get("page", "1")
    # isascii(): "²" is a digit to str.isdigit() but not to int().
    return catalogue.clamp_page(int(raw)) if raw.isascii() and raw.isdigit() and len(raw) < 7 else 1


def _cursor() -> dict[str, catalogue.Cursor]:
    """Where a page link says the page starts ("after") or ends ("before"); a link we could not have written
    is ignored, and the list starts at its page number."""
    for name in ("after", "before"):
        if request.args.get(name):
            try:
                return {name: catalogue.Cursor.parse(request.args[name])}
            except ValueError:
                return {}
    return {}


@bp.route("/", endpoint="catalogue")
@kept_for_visitors
def catalogue_page():
    form = CatalogueForm(request.args)
    form.validate()
    form.drop_invalid()  # each one keeps its message, listed at the top of the page
    filters = _filters(form)
    origin = _origin(form)
    radius = float(form.radius.data) if form.radius.data and origin is not None else None
    where = catalogue.Origin(origin[0], origin[1], radius) if origin is not None else None
    results = catalogue.search(filters, where, page=_page_number(), per_page=current_app.config["NEEDS_PER_PAGE"],
                               **_cursor())
    view = request.args.get("view") if request.args.get("view") in VIEWS else None
    return render_template(
        "needs/catalogue.html", form=form, results=results, origin=origin, view=view, radius=radius,
        points_url=_points_url(), view_url=_view_url, filter_words=_filter_words(form, filters, origin, radius),
    )


MAP_MAX_ZOOM = 18
MAP_CACHE_SECONDS = 60


def _points_url() -> str:
    """Where the map asks for the points of this search (it adds the box it shows and its zoom)."""
    args = {key: value for key, value in request.args.items() if key in SEARCH_ARGS}
    return url_for("needs.map_points", **args)


SEARCH_ARGS = ("near", "lat", "lon", "radius", "category", "kind", "urgency", "region", "settlement")


@bp.route("/map.json", endpoint="map_points")
@kept_for_visitors
def map_points_json():
    """The points of a search inside the box the map shows, loaded by the map only when it is shown; the same
    for everyone, so caches may keep them for a minute."""
    form = CatalogueForm(request.args)
    form.validate()
    form.drop_invalid()
    try:
        box = map_points.Box.parse(request.args.get("bbox", ""))
        zoom = int(request.args.get("zoom", ""))
        if not 0 <= zoom <= MAP_MAX_ZOOM:
            raise ValueError(zoom)
    except ValueError:
        response = jsonify({"error": _("The map's box or zoom could not be read. Reload the page.")})
        response.status_code = 400
        return response
    origin = _origin(form)
    radius = float(form.radius.data) if form.radius.data and origin is not None else None
    where = catalogue.Origin(origin[0], origin[1], radius) if origin is not None else None
    points = map_points.map_points(_filters(form), box, zoom, where)
    titles = map_points.titles_of(points)
    response = jsonify([_map_point(point, titles) for point in points])
    response.cache_control.public = True
    response.cache_control.max_age = MAP_CACHE_SECONDS
    return response


def _filter_words(form: CatalogueForm, filters: catalogue.Filters, origin: tuple | None,
                  radius: float | None) -> list[str]:
    """The search in words for the one line the folded form shows: "Алматы", "25 км", "Лекарства"."""
    words = []
    if origin is not None:
        # The place as typed ("Алматы"), not the geocoder's label ("Алматы, Казахстан"); "your location" for GPS.
        typed = (form.near.data or "").strip()
        words.append(typed[:60] if typed and not (form.lat.data or form.lon.data) else origin[2])
        if radius is not None:
            words.append(_("%(km)s km", km=format_decimal(radius)))
    if filters.category is not None:
        words.append(labels.category_label(filters.category))
    if filters.kind is not None:
        words.append(str(labels.KIND_LABELS[filters.kind]))
    if filters.urgency is not None:
        words.append(_("Urgency: %(level)s", level=labels.urgency_label(filters.urgency)))
    if filters.region is not None:
        words.append(region_name(filters.region, str(get_locale())))
    if filters.settlement:
        words.append(filters.settlement)
    return words


def _view_url(view: str | None) -> str:
    """This search again, shown as a list or a map (the toggle works without JavaScript)."""
    args = {key: value for key, value in request.args.items() if key not in ("view", "page", "after", "before")}
    if view:
        args["view"] = view
    return url_for("needs.catalogue", **args)


def _map_point(point: map_points.MapPoint, titles: dict[int, str]) -> dict:
    """A marker for offices-map.js: one need links to its page, several at one place to the list of that
    place, a cell of several places is zoomed into."""
    base = {"lat": point.latitude, "lon": point.longitude, "subtitle": point.settlement or ""}
    if point.count == 1 and point.first_id in titles:
        return {**base, "title": titles[point.first_id], "url": url_for("needs.detail", need_id=point.first_id)}
    title = _("%(num)d requests for help", num=point.count)
    if point.cell:
        return {**base, "title": title, "label": format_decimal(point.count), "zoom": True}
    url = url_for("needs.catalogue", settlement=point.settlement, view="list") if point.settlement else ""
    return {**base, "title": title, "label": format_decimal(point.count), "url": url}


# --- a need's page and its flags -----------------------------------------------------------------


@bp.route("/<int:need_id>")
def detail(need_id: int):
    need = public_need_or_404(need_id)
    if not current_user.is_authenticated:  # a visitor sees a link to log in: no form, no CSRF token, no cookie
        return render_detail(need, None, None)
    return render_detail(need, FlagForm(prefix="need"), FlagForm(prefix="family"))


def render_detail(need: Need, need_form: FlagForm | None, family_form: FlagForm | None, status: int = 200):
    point = None
    if need.public_latitude is not None and need.public_longitude is not None:
        point = geo.coarse_point(need.public_latitude, need.public_longitude)
    return render_template(
        "needs/detail.html", need=need, point=point, need_form=need_form,
        family_form=family_form, fulfilled=need.status in (NeedStatus.FULFILLED, NeedStatus.CLOSED),
    ), status
