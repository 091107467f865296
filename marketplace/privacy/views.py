"""The routes of a family's data rights: its download and its erasure request on the family's pages, the
erasure on the staff's household page. They stay on those blueprints, so their addresses never change."""
from __future__ import annotations

import json

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.core.authz import authorize
from marketplace.core.extensions import db
from marketplace.families.blueprint import bp as families_bp
from marketplace.families.forms import EraseForm
from marketplace.families.services import household_of
from marketplace.moderation.blueprint import bp as moderation_bp
from marketplace.moderation.forms import EraseForm as StaffEraseForm
from marketplace.moderation.review_views import household_or_404, render_household
from marketplace.privacy.erasure import erase_household, request_erasure
from marketplace.privacy.export import export_data


@families_bp.route("/export.json")
@login_required
def export():
    """Everything the site holds about this family, as a JSON download (the download is audited)."""
    authorize("household.edit_own", household_of(current_user))
    data = export_data(current_user)
    db.session.commit()
    response = current_app.response_class(json.dumps(data, ensure_ascii=False, indent=2, default=str),
                                          mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="social-window-my-data.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@families_bp.route("/erase", methods=["GET", "POST"])
@login_required
def erase():
    """Ask for the account to be erased; the family's office carries it out."""
    household = household_of(current_user)
    authorize("household.edit_own", household)
    form = EraseForm()
    if form.validate_on_submit():
        request_erasure(current_user)
        db.session.commit()
        flash(_("Your request to erase your account has been recorded. Your reception office will carry it out "
                "and tell you by e-mail. Records that the law requires to keep (such as help already given) are "
                "kept without your contact details."), "success")
        return redirect(url_for(".household"))
    return render_template("families/erase.html", form=form, household=household)


@moderation_bp.route("/households/<int:household_id>/erase", methods=["POST"])
@login_required
def household_erase(household_id: int):
    household = household_or_404(household_id)
    authorize("household.moderate", household)
    if household.erasure_requested_at is None:
        flash(_("This family has not asked for its data to be erased."), "error")
        return render_household(household, status=409)
    form = StaffEraseForm()
    if not form.validate_on_submit():
        return render_household(household, erase_form=form, status=422)
    erase_household(household, actor=current_user)
    db.session.commit()
    flash(_("The family's data has been erased."), "success")
    return redirect(url_for("moderation.queue"))
