"""The family's side of goods pledges: "we received it". On the staff's blueprint (`pledges_staff`), whose
endpoint the family's need page links to; the goods themselves are listed there by the template global
`goods_pledged_to` (see `views.pledge_context`)."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.core.authz import authorize
from marketplace.core.extensions import db
from marketplace.core.lifecycle import IllegalTransition
from marketplace.needs.family_views import render_need
from marketplace.pledges import services
from marketplace.pledges.labels import status_label
from marketplace.pledges.models import Pledge
from marketplace.pledges.notices import tell_patron
from marketplace.pledges.staff_forms import PledgeActionForm
from marketplace.pledges.staff_views import bp


@bp.route("/family/pledges/<int:pledge_id>/received", methods=["POST"])
@login_required
def family_received(pledge_id: int):
    """The family says the goods arrived."""
    pledge = db.session.get(Pledge, pledge_id) or abort(404)
    authorize("pledge.confirm_goods", pledge)
    if not PledgeActionForm().validate_on_submit():
        abort(400)
    need = pledge.need
    try:
        services.change_pledge(pledge, "deliver", actor=current_user)
    except IllegalTransition:
        db.session.rollback()
        db.session.refresh(pledge)
        flash(_("This was already recorded: the pledge is “%(state)s”.", state=status_label(pledge)), "error")
        if need.household.user_id != current_user.id:
            abort(409)
        return render_need(need, status=409)  # the family's own page of the request, with the message
    tell_patron(pledge, "pledge.delivered")
    db.session.commit()
    flash(_("Thank you. The patron has been told that it arrived."), "success")
    if need.household.user_id != current_user.id:  # office staff may press it too
        return redirect(url_for("pledges_staff.index", tab="goods"), 303)
    return redirect(url_for("families.need_detail", need_id=need.id), 303)
