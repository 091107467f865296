"""Staff vet volunteers and record parents' consent for volunteers under the adult age."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.core.authz import authorize
from marketplace.core.extensions import db
from marketplace.core.lifecycle import IllegalTransition
from marketplace.core.requests_guard import bounded_id
from marketplace.core.scopes import staff_office_id
from marketplace.offices.models import Office
from marketplace.volunteering import services
from marketplace.volunteering.eligibility import is_minor
from marketplace.volunteering.models import VolunteerProfile
from marketplace.volunteering.queries import profiles_to_vet
from marketplace.volunteering.staff_views import ReasonForm, bp

VETTING_DECISIONS = ("vet", "refuse")


@bp.route("/volunteers")
@login_required
def volunteers():
    office_id = staff_office_id(current_user, bounded_id(request.args.get("office_id")))
    office = db.session.get(Office, office_id) if office_id else None
    authorize("dispatch.plan", office)
    today = date.today()
    profiles = profiles_to_vet(current_user, office, today)
    return render_template("volunteering_staff/volunteers.html", office=office, profiles=profiles,
                           minors={p.id for p in profiles if is_minor(p, today)}, form=ReasonForm())


@bp.route("/volunteers/<int:profile_id>/<decision>", methods=["POST"])
@login_required
def vet(profile_id: int, decision: str):
    profile = db.session.get(VolunteerProfile, profile_id) or abort(404)
    authorize("volunteer.vet", profile)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    if decision not in (*VETTING_DECISIONS, "parent_consent"):
        abort(404)
    try:
        if decision == "parent_consent":
            services.record_parent_consent(profile, form.reason.data, actor=current_user)
        else:
            services.decide_vetting(profile, decision, actor=current_user, reason=form.reason.data)
    except services.VettingRefused as refused:
        flash(str(refused), "error")
        return redirect(url_for("volunteering_staff.volunteers")), 303
    except IllegalTransition:
        db.session.rollback()
        flash(_("This request was already decided."), "error")
        return redirect(url_for("volunteering_staff.volunteers")), 303
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("volunteering_staff.volunteers"))
