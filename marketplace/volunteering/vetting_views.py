"""Staff vet volunteers and record parents' consent for volunteers under 18."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from marketplace.core import audit
from marketplace.core.authz import authorize
from marketplace.core.dbtypes import utcnow
from marketplace.core.extensions import db
from marketplace.offices.models import Office
from marketplace.core.requests_guard import bounded_id
from marketplace.core.roles import is_admin
from marketplace.core.lifecycle import IllegalTransition
from marketplace.volunteering.lifecycle import VETTING_LIFECYCLE
from marketplace.volunteering.models import VettingStatus, VolunteerProfile
from marketplace.volunteering.staff_views import ReasonForm, bp

VETTING_DECISIONS = ("vet", "refuse")


@bp.route("/volunteers")
@login_required
def volunteers():
    office_id = bounded_id(request.args.get("office_id")) if is_admin(current_user) else current_user.office_id
    office = db.session.get(Office, office_id) if office_id else None
    authorize("dispatch.plan", office)
    adult_year = date.today().year - 18
    profiles = db.session.scalars(
        select(VolunteerProfile).options(joinedload(VolunteerProfile.user))
        .where(VolunteerProfile.vetting_office_id == office.id,
               or_(VolunteerProfile.vetting_status == VettingStatus.REQUESTED,
                   VolunteerProfile.birth_year > adult_year))
        .order_by(VolunteerProfile.updated_at)
    ).all()
    return render_template("volunteering_staff/volunteers.html", office=office, profiles=profiles,
                           adult_year=adult_year, form=ReasonForm())


@bp.route("/volunteers/<int:profile_id>/<decision>", methods=["POST"])
@login_required
def vet(profile_id: int, decision: str):
    profile = db.session.get(VolunteerProfile, profile_id) or abort(404)
    authorize("volunteer.vet", profile)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    if decision in VETTING_DECISIONS:
        age = profile.age(date.today().year)
        if decision == "vet" and (age is None or age < 18):
            flash(_("Only adult volunteers are vetted for tasks inside a home."), "error")
            return redirect(url_for("volunteering_staff.volunteers")), 303
        try:
            VETTING_LIFECYCLE.apply(profile, decision, actor=current_user, reason=form.reason.data)
        except IllegalTransition:
            db.session.rollback()
            flash(_("This request was already decided."), "error")
            return redirect(url_for("volunteering_staff.volunteers")), 303
    elif decision == "parent_consent":
        if not (form.reason.data or "").strip():
            flash(_("Write down how the consent was given (e.g. a signed form, the parent's name)."), "error")
            return redirect(url_for("volunteering_staff.volunteers")), 303
        profile.parent_consent_at, profile.parent_consent_by_id = utcnow(), current_user.id
        profile.parent_consent_note = form.reason.data.strip()[:500]
        audit.record("volunteer.parent_consent", profile, actor=current_user, object_type="volunteer",
                     reason=profile.parent_consent_note, office_id=profile.vetting_office_id)
    else:
        abort(404)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("volunteering_staff.volunteers"))
