"""Public pages of the reception offices: list, map, search, nearest."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

import marketplace.offices.policies  # noqa: F401  (registers the policies)
from marketplace import geo
from marketplace.core.authz import can
from marketplace.core.extensions import db
from marketplace.geo.regions import region_name
from marketplace.offices import queries, services
from marketplace.offices.forms import OfficeSearchForm
from marketplace.offices.models import Office, reader_name

bp = Blueprint("offices", __name__, url_prefix="/offices")


def _point(form: OfficeSearchForm) -> tuple[float, float, str] | None:
    """The place to measure from: the browser's location, else the geocoded text."""
    try:
        if form.lat.data and form.lon.data:
            lat, lon = float(form.lat.data), float(form.lon.data)
            if -90 <= lat <= 90 and -180 <= lon <= 180:
                return lat, lon, _("your location")
            form.near.errors.append(_("Your location could not be read. Type a settlement instead."))
            return None
    except ValueError:
        form.near.errors.append(_("Your location could not be read. Type a settlement instead."))
        return None
    if form.near.data:
        place = geo.geocode(form.near.data, language=str(get_locale()))
        if place is None:
            form.near.errors.append(
                _("We could not find “%(place)s”. Check the spelling or type the nearest town.", place=form.near.data)
            )
            return None
        return place.latitude, place.longitude, place.label
    return None


@bp.route("/")
def index():
    form = OfficeSearchForm(request.args)
    if not form.validate():
        # Text that fails (too long) is left out of the search and its message shows; an unknown
        # region still filters, so it finds nothing rather than everything.
        for field in (form.q, form.near):
            if field.errors:
                field.data = None
    if bool(form.lat.data) != bool(form.lon.data):
        form.near.errors.append(_("Your location could not be read. Type a settlement instead."))
    region_code, text = form.region.data or None, form.q.data or None
    stmt = queries.offices_seen_by(current_user, region_code=region_code, text=text)
    origin = _point(form)
    if origin is not None:
        ranked = services.nearest_offices(stmt, origin[0], origin[1], limit=10)
        offices = [office for office, _km in ranked]
        distances = {office.id: km for office, km in ranked}
        page = None
    else:
        page = db.paginate(
            queries.in_list_order(stmt), per_page=current_app.config["OFFICES_PER_PAGE"], error_out=False,
        )
        offices, distances = list(page.items), {}
    # With a place to measure from, the map shows the offices listed; otherwise every match.
    all_points = offices if origin is not None else queries.map_points_seen_by(
        current_user, region_code=region_code, text=text)
    points = [
        {"lat": row.latitude, "lon": row.longitude, "title": reader_name(row), "subtitle": row.settlement,
         "url": url_for("offices.detail", office_id=row.id)}
        for row in all_points
    ]
    return render_template(
        "offices/index.html", form=form, offices=offices, distances=distances, page=page, origin=origin,
        points=points, region_name=region_name,
        total=queries.count_of(stmt),
    )


@bp.route("/<int:office_id>")
def detail(office_id: int):
    office = db.session.get(Office, office_id)
    # A closed office is simply not there for the public (404, not a hint that it exists).
    if office is None or not can(current_user, "office.view", office):
        abort(404)
    return render_template("offices/detail.html", office=office, region_name=region_name)
