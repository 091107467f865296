"""Admin pages for offices: list, add, edit, CSV import and export."""
from __future__ import annotations

import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace import geo
from marketplace.admin.forms import OfficeImportForm
from marketplace.admin.views import bp
from marketplace.core.authz import authorize
from marketplace.core.extensions import db
from marketplace.geo.regions import region_name
from marketplace.offices import csv_io, queries, services
from marketplace.offices.forms import OfficeForm
from marketplace.offices.models import Office

MAX_IMPORT_BYTES = 5 * 1024 * 1024


@bp.route("/offices")
@login_required
def offices():
    authorize("office.manage")
    return render_offices(OfficeImportForm())


def render_offices(import_form: OfficeImportForm, status: int = 200):
    """The offices list with the import form (a refused import comes back here with its errors)."""
    q = request.args.get("q", "").strip()
    page = db.paginate(queries.all_offices_matching(q or None), per_page=50, error_out=False)
    return render_template("admin/offices.html", page=page, q=q, region_name=region_name,
                           import_form=import_form), status


def _office_data(form: OfficeForm) -> services.OfficeData | None:
    """Form values as OfficeData, geocoding the address when no coordinates were typed."""
    lat, lon = form.latitude.data, form.longitude.data
    if lat is None or lon is None:
        place = geo.geocode(f"{form.settlement.data}, {form.address.data}") or geo.geocode(form.settlement.data)
        if place is None:
            form.settlement.errors.append(
                _("We could not find “%(place)s”. Check the spelling or enter the coordinates.", place=form.settlement.data)
            )
            return None
        if place.region_code and place.region_code != form.region_code.data:
            # Several towns share a name (Шалкар, Аксу): never guess across regions.
            form.settlement.errors.append(
                _("“%(place)s” was found in another region. Check the region or enter the coordinates.",
                  place=form.settlement.data)
            )
            return None
        lat, lon = place.latitude, place.longitude
    return services.OfficeData(
        code=form.code.data.strip(), name=form.name.data.strip(), region_code=form.region_code.data,
        settlement=form.settlement.data.strip(), address=form.address.data.strip(), latitude=lat, longitude=lon,
        phone=form.phone.data or None, email=form.email.data or None, opening_hours=form.opening_hours.data or None,
        is_active=form.is_active.data,
        name_kk=(form.name_kk.data or "").strip() or None, name_en=(form.name_en.data or "").strip() or None,
    )


@bp.route("/offices/new", methods=["GET", "POST"])
@login_required
def new_office():
    authorize("office.manage")
    form = OfficeForm()
    if form.validate_on_submit():
        if services.find_by_code(form.code.data.strip()) is not None:
            form.code.errors.append(_("An office with this code already exists."))
        elif (data := _office_data(form)) is not None:
            office = services.create_office(data, actor=current_user)
            services.set_bank_details(office, form.bank_details(), actor=current_user)
            db.session.commit()
            flash(_("The office was added."), "success")
            return redirect(url_for("offices.detail", office_id=office.id))
    return render_template("admin/office_form.html", form=form, office=None)


@bp.route("/offices/<int:office_id>/edit", methods=["GET", "POST"])
@login_required
def edit_office(office_id: int):
    office = db.session.get(Office, office_id) or abort(404)
    authorize("office.manage", office)
    form = OfficeForm(obj=office)
    if form.validate_on_submit():
        other = services.find_by_code(form.code.data.strip())
        if other is not None and other.id != office.id:
            form.code.errors.append(_("An office with this code already exists."))
        elif (data := _office_data(form)) is not None:
            services.update_office(office, data, actor=current_user)
            services.set_bank_details(office, form.bank_details(), actor=current_user)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("offices.detail", office_id=office.id))
    return render_template("admin/office_form.html", form=form, office=office)


@bp.route("/offices/export.csv")
@login_required
def export_offices():
    authorize("office.manage")
    buffer = io.StringIO()
    csv_io.export_offices(buffer, queries.all_offices_by_code())
    return Response(
        "\ufeff" + buffer.getvalue(),  # a BOM so that spreadsheet programs read the Cyrillic right
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": "attachment; filename=offices.csv"},
    )


@bp.route("/offices/import", methods=["POST"])
@login_required
def import_offices():
    authorize("office.manage")
    form = OfficeImportForm()
    # A refused file comes back in the page: the error summary on top, the message beside the field.
    if not form.validate_on_submit():
        return render_offices(form, 422)
    raw = form.file.data.read(MAX_IMPORT_BYTES + 1)
    if len(raw) > MAX_IMPORT_BYTES:
        form.file.errors.append(_("The file is too large"))
        return render_offices(form, 422)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        form.file.errors.append(_("The file must be a CSV saved as UTF-8."))
        return render_offices(form, 422)
    report = csv_io.import_offices(io.StringIO(text), actor=current_user)
    db.session.commit()
    return render_template("admin/office_import_report.html", report=report)
