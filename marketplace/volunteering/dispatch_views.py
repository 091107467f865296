"""Staff dispatch: every open volunteer place of an office assigned at the least total travel."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.core.authz import authorize
from marketplace.core.extensions import db
from marketplace.core.requests_guard import bounded_id
from marketplace.core.roles import is_admin
from marketplace.core.scopes import staff_office_id
from marketplace.offices.models import Office
from marketplace.volunteering import services
from marketplace.volunteering.dispatch_map import dispatch_map
from marketplace.volunteering.matching import build_plan
from marketplace.volunteering.staff_views import ReasonForm, bp

# A form sends at most this many (need, volunteer) pairs.
MAX_PAIRS = 2000


def _office() -> Office:
    """The office of the page: staff their own, an admin the one asked for."""
    office_id = staff_office_id(current_user, bounded_id(request.args.get("office_id")))
    office = db.session.get(Office, office_id) if office_id else None
    authorize("dispatch.plan", office)
    return office


def _pairs() -> list[tuple[int, int]]:
    """The form's "need_id:user_id" pairs that are two ids."""
    pairs = []
    for pair in request.form.getlist("pair")[:MAX_PAIRS]:
        need_id, _sep, user_id = (bounded_id(x) for x in pair.partition(":"))
        if need_id is not None and user_id is not None:
            pairs.append((need_id, user_id))
    return pairs


@bp.route("/dispatch")
@login_required
def dispatch():
    office = _office()
    plan, needs, profiles = build_plan(office)
    points, lines = dispatch_map(plan, needs, profiles)
    return render_template("volunteering_staff/dispatch.html", office=office, plan=plan, needs=needs,
                           profiles=profiles, points=points, lines=lines, form=ReasonForm())


@bp.route("/dispatch/send", methods=["POST"])
@login_required
def send_dispatch():
    office = db.session.get(Office, bounded_id(request.form.get("office_id")) or 0) or abort(404)
    authorize("dispatch.plan", office)
    if not ReasonForm().validate_on_submit():
        abort(400)
    sent, refused = services.send_invitations(office, _pairs(), actor=current_user)
    db.session.commit()
    flash(_("Invitations sent: %(sent)d. Not possible any more: %(refused)d.", sent=sent, refused=refused),
          "success" if sent else "info")
    current_app.logger.info("dispatch for office %s: %s invitations", office.id, sent)
    return redirect(url_for("volunteering_staff.dispatch", office_id=office.id if is_admin(current_user) else None))
