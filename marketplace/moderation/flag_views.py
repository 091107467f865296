"""Flags raised from a need's public page: about the request or the family behind it. On the needs blueprint,
so the addresses stay /needs/<id>/flag and /needs/<id>/flag-family."""
from __future__ import annotations

from flask import current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from marketplace.core.authz import authorize
from marketplace.core.extensions import db, limiter
from marketplace.moderation.models import FlagTarget
from marketplace.moderation.services import FlagError, create_flag
from marketplace.needs.blueprint import bp
from marketplace.needs.forms import FlagForm
from marketplace.needs.models import Need
from marketplace.needs.views import public_need_or_404, render_detail


def _flagger() -> str:
    """Flags are counted per account (a flood of flags is itself abuse)."""
    return f"flagger:{getattr(current_user, 'id', None) or get_remote_address()}"


@bp.route("/<int:need_id>/flag", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["FLAG_LIMIT"], key_func=_flagger)
def flag(need_id: int):
    need = public_need_or_404(need_id)
    authorize("flag.create", need)
    return _raise_flag(need, FlagTarget.NEED, need, form_prefix="need")


@bp.route("/<int:need_id>/flag-family", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["FLAG_LIMIT"], key_func=_flagger)
def flag_family(need_id: int):
    """Flag the family behind a need; its account id never appears on a public page, so the need names it."""
    need = public_need_or_404(need_id)
    family = need.household.user
    authorize("flag.create", family)
    return _raise_flag(need, FlagTarget.USER, family, form_prefix="family")


def _raise_flag(need: Need, target_type: FlagTarget, target, *, form_prefix: str):
    form = FlagForm(prefix=form_prefix)
    if not form.validate():
        forms = {"need": FlagForm(prefix="need"), "family": FlagForm(prefix="family"), form_prefix: form}
        return render_detail(need, forms["need"], forms["family"], status=400)
    try:
        create_flag(current_user, target_type, target, form.reason.data)
    except FlagError as error:
        flash(str(error), "warning")
        return redirect(url_for("needs.detail", need_id=need.id), code=303)
    db.session.commit()
    flash(_("Thank you. The office will look into it."), "success")
    # Back to the top of the page, where the message is shown.
    return redirect(url_for("needs.detail", need_id=need.id), code=303)
