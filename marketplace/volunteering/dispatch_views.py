"""Staff dispatch: every open volunteer place of an office assigned at the least total travel."""
from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from marketplace import geo
from marketplace.accounts.models import AccountStatus, User
from marketplace.core.authz import authorize
from marketplace.core.extensions import db
from marketplace.needs.models import Need
from marketplace.needs.services import open_needs
from marketplace.offices.models import Office
from marketplace.core.roles import is_admin
from marketplace.core.requests_guard import bounded_id
from marketplace.volunteering import services
from marketplace.volunteering.dispatch import Slot, Volunteer, plan_dispatch
from marketplace.volunteering.matching import LIVE, required_skills
from marketplace.volunteering.models import Claim, ClaimStatus, VolunteerProfile
from marketplace.volunteering.staff_views import ReasonForm, bp

# Volunteers are looked for this far around the office (their own radius decides the rest).
DISPATCH_AREA_KM = 150.0


def _office() -> Office:
    office_id = bounded_id(request.args.get("office_id")) if is_admin(current_user) else current_user.office_id
    office = db.session.get(Office, office_id) if office_id else None
    authorize("dispatch.plan", office)
    return office


def build_plan(office: Office):
    """The office's free volunteer places and the volunteers free to take them, planned optimally."""
    needs = db.session.scalars(
        open_needs(select(Need)).where(Need.office_id == office.id, Need.volunteer_slots > Need.slots_filled)
        .order_by(Need.urgency_rank, Need.created_at)
    ).all()
    invited = dict(db.session.execute(
        select(Claim.need_id, func.count()).where(Claim.status == ClaimStatus.INVITED,
                                                  Claim.need_id.in_([n.id for n in needs] or [-1]))
        .group_by(Claim.need_id)).all())
    slots = [
        Slot(key=(need.id, i), lat=need.public_latitude, lon=need.public_longitude,
             skills=frozenset(s.value for s in required_skills(need)), in_home=need.in_home)
        for need in needs if need.public_latitude is not None
        for i in range(need.volunteer_slots - need.slots_filled - invited.get(need.id, 0))
    ]
    busy = set(db.session.scalars(select(Claim.volunteer_id).where(Claim.status.in_((ClaimStatus.INVITED, *LIVE)))))
    stmt = (select(VolunteerProfile).join(User, User.id == VolunteerProfile.user_id)
            .where(User.status == AccountStatus.ACTIVE).options(joinedload(VolunteerProfile.user)))
    year = date.today().year
    volunteers, profiles = [], {}
    for profile, _km in geo.nearby(db.session, stmt, VolunteerProfile.latitude, VolunteerProfile.longitude,
                                   office.latitude, office.longitude, radius_km=DISPATCH_AREA_KM, limit=None):
        age = profile.age(year)
        adult = age is not None and age >= 18
        if profile.user_id in busy or (not adult and profile.parent_consent_at is None):
            continue
        profiles[profile.user_id] = profile
        volunteers.append(Volunteer(key=profile.user_id, lat=profile.latitude, lon=profile.longitude,
                                    radius_km=profile.radius_km, skills=frozenset(s.value for s in profile.skill_set),
                                    vetted=profile.is_vetted, adult=adult))
    plan = plan_dispatch(slots, volunteers)
    return plan, {n.id: n for n in needs}, profiles


@bp.route("/dispatch")
@login_required
def dispatch():
    office = _office()
    plan, needs, profiles = build_plan(office)
    points = [{"lat": needs[a.slot[0]].public_latitude, "lon": needs[a.slot[0]].public_longitude,
               "title": needs[a.slot[0]].title, "subtitle": profiles[a.volunteer].user.full_name,
               "url": url_for("moderation.need", need_id=a.slot[0])} for a in plan.assignments]
    return render_template("volunteering_staff/dispatch.html", office=office, plan=plan, needs=needs,
                           profiles=profiles, points=points, form=ReasonForm())


@bp.route("/dispatch/send", methods=["POST"])
@login_required
def send_dispatch():
    office = db.session.get(Office, bounded_id(request.form.get("office_id")) or 0) or abort(404)
    authorize("dispatch.plan", office)
    if not ReasonForm().validate_on_submit():
        abort(400)
    sent, refused = 0, 0
    for pair in request.form.getlist("pair")[:2000]:
        need_id, _sep, user_id = (bounded_id(x) for x in pair.partition(":"))
        if need_id is None or user_id is None:
            continue
        need, volunteer = db.session.get(Need, need_id), db.session.get(User, user_id)
        if need is None or volunteer is None or need.office_id != office.id:
            continue
        try:
            with db.session.begin_nested():
                services.invite(need, volunteer, actor=current_user)
            sent += 1
        except services.ClaimRefused:
            refused += 1
    db.session.commit()
    flash(_("Invitations sent: %(sent)d. Not possible any more: %(refused)d.", sent=sent, refused=refused),
          "success" if sent else "info")
    current_app.logger.info("dispatch for office %s: %s invitations", office.id, sent)
    return redirect(url_for("volunteering_staff.dispatch", office_id=office.id if is_admin(current_user) else None))
