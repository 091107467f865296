"""The family's side of volunteer tasks: who helps with its requests, and confirming what was done."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.core.authz import authorize
from marketplace.core.extensions import db
from marketplace.core.lifecycle import IllegalTransition, ReasonRequired
from marketplace.volunteering import services
from marketplace.volunteering.lifecycle import CLAIM_LIFECYCLE
from marketplace.volunteering.models import Claim
from marketplace.volunteering.queries import family_claims
from marketplace.volunteering.staff_views import ReasonForm

bp = Blueprint("family_tasks", __name__, url_prefix="/family/tasks")

FAMILY_TRANSITIONS = ("confirm", "not_done")


@bp.route("/")
@login_required
def index():
    authorize("family_tasks.view")
    claims = family_claims(current_user)
    actions = {c.id: [t for t in CLAIM_LIFECYCLE.available(current_user, c) if t.name in FAMILY_TRANSITIONS]
               for c in claims}
    return render_template("volunteering_family/index.html", claims=claims, actions=actions, form=ReasonForm())


@bp.route("/<int:claim_id>/<name>", methods=["POST"])
@login_required
def decide(claim_id: int, name: str):
    claim = db.session.get(Claim, claim_id) or abort(404)
    authorize("family_tasks.decide", claim)
    if name not in FAMILY_TRANSITIONS:
        abort(404)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.change_claim(claim, name, actor=current_user, reason=form.reason.data)
    except (IllegalTransition, ReasonRequired) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("family_tasks.index")), 303
    db.session.commit()
    flash(_("Thank you! The volunteer has been told.") if name == "confirm" else _("Saved."), "success")
    return redirect(url_for("family_tasks.index"))
