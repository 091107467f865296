"""Staff pages: the verification queue, flags, and hiding users.

The decision screens for one household or one need live in `review_views.py`.
"""
from __future__ import annotations


from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts.models import User
from marketplace.core.authz import authorize, can
from marketplace.core.dbtypes import utcnow
from marketplace.core.i18n import waited_for
from marketplace.core.extensions import db
from marketplace.core.requests_guard import page_number
from marketplace.core.audit.queries import history_of
from marketplace.core.lifecycle import ReasonRequired
from marketplace.moderation import queue as work
from marketplace.moderation.blueprint import bp
from marketplace.moderation.forms import CloseFlagForm, HideForm, OfficeFilterForm
from marketplace.moderation.lifecycle import FLAG_LIFECYCLE
from marketplace.moderation.labels import labels_context
from marketplace.moderation.models import Flag, FlagStatus, FlagTarget
from marketplace.moderation.queries import open_flags, targets_of
from marketplace.moderation.services import FlagError, close_flag, hide_user, unhide_user
from marketplace.needs.models import Need
from marketplace.offices.models import Office
from marketplace.offices.picker import chosen_office
from marketplace.core.roles import is_admin
from marketplace.core.roles import Role
from marketplace.families.services import household_of, read_personal



@bp.context_processor
def moderation_context() -> dict:
    return {**labels_context(), "age": waited_for, "this_year": utcnow().year}


# --- which office a list is about ------------------------------------------------------------------

def office_filter() -> tuple[OfficeFilterForm | None, Office | None]:
    """Staff work on their own office; admins on one chosen office or on all of them.

    Also authorizes the list: staff of that office, or an admin.
    """
    if not is_admin(current_user):
        office = current_user.office if current_user.is_authenticated else None
        authorize("moderation.work", office)
        return None, office
    form = OfficeFilterForm(request.args)
    office = chosen_office(form)
    authorize("moderation.work", office)
    return form, office


# --- the queue --------------------------------------------------------------------------------------

@bp.route("/queue")
@login_required
def queue():
    form, office = office_filter()
    office_id = office.id if office else None
    page = work.verification_queue(current_user, office_id=office_id, page=page_number())
    waiting, waiting_total = work.waiting_for_family(current_user, office_id=office_id)
    return render_template(
        "moderation/queue.html", form=form, office=office, page=page, waiting=waiting,
        waiting_total=waiting_total, open_flags=work.open_flag_count(current_user, office_id=office_id),
    )


# --- flags ------------------------------------------------------------------------------------------

def flag_targets(flags: list[Flag]) -> dict[tuple[FlagTarget, int], Need | User]:
    """The flagged needs and users of a list of flags, in two queries; a family's name shown is audited."""
    targets = targets_of(flags)
    _audit_family_names_shown(targets.values())
    return targets


def _audit_family_names_shown(targets) -> None:
    """A flagged family's name is personal data: showing it to staff is a read, and audited."""
    shown = False
    for target in targets:
        if isinstance(target, User) and target.role is Role.FAMILY:
            household = household_of(target)
            if household is not None:
                read_personal(household, current_user, purpose="flag_review")
                shown = True
    if shown:
        db.session.commit()


@bp.route("/flags")
@login_required
def flags():
    form, office = office_filter()
    items = open_flags(current_user, office.id if office is not None else None)
    return render_template("moderation/flags.html", form=form, office=office, flags=items,
                           targets=flag_targets(items))


def flag_or_404(flag_id: int) -> Flag:
    return db.session.get(Flag, flag_id) or abort(404)


def render_flag(flag: Flag, *, close_forms: dict | None = None, hide_form: HideForm | None = None,
                status: int = 200):
    """The flag with its target, the decisions on it, and hiding the target."""
    target = flag_targets([flag]).get((flag.target_type, flag.target_id))
    forms = {"resolved": CloseFlagForm("resolved"), "dismissed": CloseFlagForm("dismissed")}
    forms.update(close_forms or {})
    if flag.target_type is FlagTarget.NEED:
        may_hide = target is not None and can(current_user, "need.unhide" if target.is_hidden else "need.moderate",
                                              target)
        hide_url = url_for("moderation.need_unhide" if target and target.is_hidden else "moderation.need_hide",
                           need_id=flag.target_id)
    else:
        may_hide = target is not None and can(current_user, "user.moderate", target)
        hide_url = url_for("moderation.user_unhide" if target and target.hidden_at else "moderation.user_hide",
                           user_id=flag.target_id)
    hide_form = hide_form or HideForm(flag_id=flag.id)
    return render_template("moderation/flag.html", flag=flag, target=target, close_forms=forms,
                           may_hide=may_hide, hide_url=hide_url, hide_form=hide_form,
                           history=history_of(current_user, FLAG_LIFECYCLE.logged_as, flag.id)), status


@bp.route("/flags/<int:flag_id>")
@login_required
def flag(flag_id: int):
    flag = flag_or_404(flag_id)
    authorize("flag.handle", flag)
    return render_flag(flag)


@bp.route("/flags/<int:flag_id>/close", methods=["POST"])
@login_required
def flag_close(flag_id: int):
    flag = flag_or_404(flag_id)
    authorize("flag.handle", flag)
    resolution = request.form.get("resolution", "")
    if resolution not in ("resolved", "dismissed"):
        abort(400)
    form = CloseFlagForm(resolution)
    if not form.validate_on_submit():
        return render_flag(flag, close_forms={resolution: form}, status=422)
    try:
        close_flag(flag, actor=current_user, resolution=FlagStatus(resolution), note=form.note.data)
    except ReasonRequired:
        form.note.errors = [_("Please write what was done.")]
        return render_flag(flag, close_forms={resolution: form}, status=422)
    except FlagError as exc:
        flash(str(exc), "error")
        return render_flag(flag, status=409)
    db.session.commit()
    flash(_("The flag has been resolved.") if resolution == "resolved" else _("The flag has been dismissed."),
          "success")
    return redirect(url_for("moderation.flags"))


def flag_to_return_to(raw_id: str | None) -> Flag | None:
    """The flag a hide form was sent from, if the staff member may handle it."""
    if not (raw_id or "").isdigit():
        return None
    flag = db.session.get(Flag, int(raw_id))
    return flag if flag is not None and can(current_user, "flag.handle", flag) else None


# --- hiding users -----------------------------------------------------------------------------------

def _set_user_hidden(user_id: int, hidden: bool):
    target = db.session.get(User, user_id) or abort(404)
    authorize("user.moderate", target)
    form = HideForm()
    back = flag_to_return_to(form.flag_id.data)
    if not form.validate_on_submit():
        if back is not None:
            return render_flag(back, hide_form=form, status=422)
        flash(_("Please give a reason."), "error")
        return redirect(url_for("moderation.flags"))
    if (target.hidden_at is not None) == hidden:
        flash(_("This person is already hidden.") if hidden else _("This person is not hidden."), "error")
        if back is not None:
            return render_flag(back, status=409)
        abort(409)
    (hide_user if hidden else unhide_user)(target, actor=current_user, reason=form.reason.data)
    db.session.commit()
    flash(_("This person and their requests are hidden from public pages.") if hidden
          else _("This person is visible again."), "success")
    return redirect(url_for("moderation.flag", flag_id=back.id) if back else url_for("moderation.flags"))


@bp.route("/users/<int:user_id>/hide", methods=["POST"])
@login_required
def user_hide(user_id: int):
    return _set_user_hidden(user_id, True)


@bp.route("/users/<int:user_id>/unhide", methods=["POST"])
@login_required
def user_unhide(user_id: int):
    return _set_user_hidden(user_id, False)
