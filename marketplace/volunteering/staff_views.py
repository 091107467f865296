"""Staff pages for volunteer tasks: who works on a request, suggestions and invitations, revoking."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from marketplace.accounts.models import User
from marketplace.core.authz import authorize
from marketplace.core.extensions import db
from marketplace.core.lifecycle import IllegalTransition, ReasonRequired
from marketplace.needs.models import Need
from marketplace.needs.services import set_task_requirements
from marketplace.volunteering import services
from marketplace.volunteering.eligibility import required_skills
from marketplace.volunteering.forms import SKILL_LABELS
from marketplace.volunteering.labels import CLAIM_STATUS_LABELS
from marketplace.volunteering.lifecycle import CLAIM_LIFECYCLE
from marketplace.volunteering.matching import suggest_volunteers
from marketplace.volunteering.models import Claim, Skill
from marketplace.volunteering.queries import claims_on

bp = Blueprint("volunteering_staff", __name__, url_prefix="/staff")


@bp.app_context_processor
def claim_labels() -> dict:
    return {"claim_status_labels": CLAIM_STATUS_LABELS}


STAFF_TRANSITIONS = ("revoke", "confirm", "not_done")


class ReasonForm(FlaskForm):
    reason = TextAreaField(validators=[Optional(), Length(max=1000)])


def need_or_404(need_id: int) -> Need:
    return db.session.get(Need, need_id) or abort(404)


@bp.route("/needs/<int:need_id>/volunteers")
@login_required
def need_volunteers(need_id: int):
    need = need_or_404(need_id)
    authorize("claim.manage", need)
    claims = claims_on(need)
    actions = {c.id: [t for t in CLAIM_LIFECYCLE.available(current_user, c) if t.name in STAFF_TRANSITIONS]
               for c in claims}
    return render_template(
        "volunteering_staff/need_volunteers.html", need=need, claims=claims, actions=actions,
        suggestions=suggest_volunteers(need) if need.slots_filled < need.volunteer_slots else [],
        form=ReasonForm(), skill_labels=SKILL_LABELS, required=required_skills(need),
    )


@bp.route("/needs/<int:need_id>/requirements", methods=["POST"])
@login_required
def task_requirements(need_id: int):
    """Staff say what the task asks of a volunteer: skills, and whether it is inside the home."""
    need = need_or_404(need_id)
    authorize("claim.manage", need)
    if not ReasonForm().validate_on_submit():
        abort(400)
    skills = [value for value in request.form.getlist("skills") if value in Skill._value2member_map_]
    set_task_requirements(need, skills=skills, in_home=request.form.get("in_home") == "y", actor=current_user)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("volunteering_staff.need_volunteers", need_id=need.id))


@bp.route("/needs/<int:need_id>/invite/<int:user_id>", methods=["POST"])
@login_required
def invite(need_id: int, user_id: int):
    need = need_or_404(need_id)
    authorize("claim.manage", need)
    volunteer = db.session.get(User, user_id) or abort(404)
    if not ReasonForm().validate_on_submit():
        abort(400)
    try:
        services.invite(need, volunteer, actor=current_user)
    except services.ClaimRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash(_("The volunteer is invited and has been told."), "success")
    return redirect(url_for("volunteering_staff.need_volunteers", need_id=need.id))


@bp.route("/claims/<int:claim_id>/<name>", methods=["POST"])
@login_required
def claim_transition(claim_id: int, name: str):
    claim = db.session.get(Claim, claim_id) or abort(404)
    authorize("claim.manage", claim.need)
    if name not in STAFF_TRANSITIONS:
        abort(404)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.change_claim(claim, name, actor=current_user, reason=form.reason.data)
    except (IllegalTransition, ReasonRequired) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("volunteering_staff.need_volunteers", need_id=claim.need_id)), 303
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("volunteering_staff.need_volunteers", need_id=claim.need_id))
