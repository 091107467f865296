"""One screen per decision: a household or a need with its evidence, duplicates and history beside."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from marketplace.core.audit.queries import history_of, tally_of
from marketplace.core.authz import authorize, can
from marketplace.core.extensions import db
from marketplace.families.lifecycle import HOUSEHOLD_LIFECYCLE
from marketplace.families.models import Household
from marketplace.families.queries import evidence_of
from marketplace.families.services import possible_duplicates, read_personal
from marketplace.files import RejectedFile
from marketplace.core.lifecycle import IllegalTransition, ReasonRequired, Transition
from marketplace.moderation.forms import DecisionForm, EraseForm, HideForm, decision_form
from marketplace.moderation.blueprint import bp
from marketplace.moderation.queries import delivery_dates, need_for_review, needs_of, open_flag_count_on
from marketplace.needs.queries import files_of
from marketplace.moderation.views import flag_to_return_to, render_flag
from marketplace.needs.lifecycle import NEED_LIFECYCLE
from marketplace.needs.models import Need, NeedStatus
from marketplace.needs.services import attach_outcome_photo, change_status, hide_need, unhide_need

# Every showing of a decision screen reads the family's data, and is logged: its history tells those reads in one
# line (the audit log lists each), so that the decision's own steps are not pushed down by them.
READ_PERSONAL = "household.read_personal"
# A decision screen shows the newest steps of its history; the others fold away (its decision comes after it).
HISTORY_SHOWN = 3

# Decisions after which the staff member goes back to the queue for the next item.
QUEUE_DECISIONS = frozenset({"verify", "ask_info", "reject"})
# The usual decision first, the destructive ones last.
BUTTON_ORDER = {name: i for i, name in enumerate(
    ("verify", "ask_info", "start", "fulfil", "close", "reopen", "reject", "cancel"))}

HOUSEHOLD_DONE = {
    "verify": _l("The household has been verified. The family has been told."),
    "ask_info": _l("Your question has been sent to the family."),
    "reject": _l("The household was not verified. The family has been told the reason."),
}
NEED_DONE = {
    "verify": _l("The request has been verified and is now public."),
    "ask_info": _l("Your question has been sent to the family."),
    "reject": _l("The request was rejected. The family has been told the reason."),
    "fulfil": _l("The delivery has been recorded."),
    "cancel": _l("The request has been cancelled."),
}


def decision_forms(machine, obj, posted: DecisionForm | None = None) -> list[tuple[Transition, DecisionForm]]:
    """A form for each transition the staff member could make now (the one just posted keeps its errors)."""
    available = sorted(machine.available(current_user, obj), key=lambda t: BUTTON_ORDER.get(t.name, len(BUTTON_ORDER)))
    return [
        (t, posted if posted is not None and posted.transition == t.name
         else decision_form(t.name, reason_required=t.reason_required))
        for t in available
    ]


# --- households -------------------------------------------------------------------------------------

def duplicates_of(household: Household) -> list:
    """The households that look like this one, each with whether this reader may open it (an audited read)."""
    duplicates = []
    for duplicate in possible_duplicates(household):
        readable = can(current_user, "household.read_personal", duplicate.household)
        if readable:
            read_personal(duplicate.household, current_user, purpose="duplicate_check")
        duplicates.append((duplicate, readable))
    return duplicates


def household_or_404(household_id: int) -> Household:
    return db.session.get(Household, household_id) or abort(404)


def render_household(household: Household, *, posted: DecisionForm | None = None,
                     erase_form: EraseForm | None = None, status: int = 200):
    """The decision screen; every showing of it is an audited read of the family's personal data."""
    authorize("household.read_personal", household)
    read_personal(household, current_user, purpose="verification")
    duplicates = duplicates_of(household)
    needs = needs_of(household)
    received = [n for n in needs if n.status in (NeedStatus.FULFILLED, NeedStatus.CLOSED)]
    delivered_on = delivery_dates(received)
    files = evidence_of(household)
    db.session.commit()  # the reads above are audited even when this request changes nothing else
    return render_template(
        "moderation/household.html", household=household, duplicates=duplicates, needs=needs,
        received=received, delivered_on=delivered_on, files=files,
        forms=decision_forms(HOUSEHOLD_LIFECYCLE, household, posted),
        erase_form=erase_form or EraseForm(), history_shown=HISTORY_SHOWN,
        history=history_of(current_user, "household", household.id, leave_out=[READ_PERSONAL]),
        reads=tally_of(current_user, "household", household.id, READ_PERSONAL),
    ), status


@bp.route("/households/<int:household_id>")
@login_required
def household(household_id: int):
    household = household_or_404(household_id)
    authorize("household.moderate", household)
    return render_household(household)


@bp.route("/households/<int:household_id>/transitions/<name>", methods=["POST"])
@login_required
def household_transition(household_id: int, name: str):
    household = household_or_404(household_id)
    authorize("household.moderate", household)
    if name not in HOUSEHOLD_LIFECYCLE.transitions:
        abort(404)
    form = DecisionForm(name, reason_required=HOUSEHOLD_LIFECYCLE[name].reason_required)
    if not form.validate_on_submit():
        return render_household(household, posted=form, status=422)
    try:
        HOUSEHOLD_LIFECYCLE.apply(household, name, actor=current_user, reason=form.reason.data)
    except IllegalTransition as exc:
        flash(str(exc), "error")
        return render_household(household, status=409)
    except ReasonRequired as exc:
        form.reason.errors = [str(exc)]
        return render_household(household, posted=form, status=422)
    db.session.commit()
    flash(str(HOUSEHOLD_DONE.get(name, _l("Saved."))), "success")
    if name in QUEUE_DECISIONS:
        return redirect(url_for("moderation.queue"))
    return redirect(url_for("moderation.household", household_id=household.id))


# --- needs ------------------------------------------------------------------------------------------

def need_or_404(need_id: int) -> Need:
    return need_for_review(need_id) or abort(404)


def render_need(need: Need, *, posted: DecisionForm | None = None, hide_form: HideForm | None = None,
                status: int = 200):
    """The decision screen of a need; the household summary beside it is an audited read."""
    household = need.household
    household_readable = can(current_user, "household.read_personal", household)
    if household_readable:
        read_personal(household, current_user, purpose="need_review")
    # Staff see whether the family is registered twice before they decide on its request too.
    duplicates = duplicates_of(household)
    files = files_of(need)
    open_flags = open_flag_count_on(current_user, need)
    db.session.commit()  # the read above is audited even when this request changes nothing else
    return render_template(
        "moderation/need.html", need=need, household=household, household_readable=household_readable,
        duplicates=duplicates, files=files, open_flags=open_flags, forms=decision_forms(NEED_LIFECYCLE, need, posted),
        hide_form=hide_form or HideForm(), history=history_of(current_user, "need", need.id),
        history_shown=HISTORY_SHOWN,
        may_unhide=can(current_user, "need.unhide", need),
    ), status


@bp.route("/needs/<int:need_id>")
@login_required
def need(need_id: int):
    need = need_or_404(need_id)
    authorize("need.moderate", need)
    return render_need(need)


def illegal_message(need: Need, name: str, exc: IllegalTransition) -> str:
    if name == "verify" and need.status is NeedStatus.SUBMITTED and not need.household.is_verified:
        return _("The family's household is not verified yet. Verify the household first.")
    return str(exc)


@bp.route("/needs/<int:need_id>/transitions/<name>", methods=["POST"])
@login_required
def need_transition(need_id: int, name: str):
    need = need_or_404(need_id)
    authorize("need.moderate", need)
    if name not in NEED_LIFECYCLE.transitions:
        abort(404)
    form = decision_form(name, reason_required=NEED_LIFECYCLE[name].reason_required)
    if not form.validate_on_submit():
        return render_need(need, posted=form, status=422)
    try:
        change_status(need, name, actor=current_user, reason=form.reason.data)
        if name == "fulfil" and form.upload is not None:
            attach_outcome_photo(need, form.upload, actor=current_user)
    except IllegalTransition as exc:
        flash(illegal_message(need, name, exc), "error")
        return render_need(need, status=409)
    except ReasonRequired as exc:
        form.reason.errors = [str(exc)]
        return render_need(need, posted=form, status=422)
    except RejectedFile as exc:
        db.session.rollback()  # the delivery is not recorded without the photo the staff member chose
        form.photo.errors = [str(exc) + " " + _("Nothing was saved; please choose the photo again.")]
        return render_need(need, posted=form, status=422)
    db.session.commit()
    flash(str(NEED_DONE.get(name, _l("Saved."))), "success")
    if name in QUEUE_DECISIONS:
        return redirect(url_for("moderation.queue"))
    return redirect(url_for("moderation.need", need_id=need.id))


def _set_need_hidden(need_id: int, hidden: bool):
    need = need_or_404(need_id)
    authorize("need.moderate", need)
    if not hidden and need.is_hidden:
        authorize("need.unhide", need)
    form = HideForm()
    back = flag_to_return_to(form.flag_id.data)
    if not form.validate_on_submit():
        if back is not None:
            return render_flag(back, hide_form=form, status=422)
        return render_need(need, hide_form=form, status=422)
    if need.is_hidden == hidden:
        flash(_("This request is already hidden.") if hidden else _("This request is not hidden."), "error")
        return render_flag(back, status=409) if back is not None else render_need(need, status=409)
    (hide_need if hidden else unhide_need)(need, actor=current_user, reason=form.reason.data)
    db.session.commit()
    flash(_("The request is hidden from public pages.") if hidden else _("The request is visible again."),
          "success")
    if back is not None:
        return redirect(url_for("moderation.flag", flag_id=back.id))
    return redirect(url_for("moderation.need", need_id=need.id))


@bp.route("/needs/<int:need_id>/hide", methods=["POST"])
@login_required
def need_hide(need_id: int):
    return _set_need_hidden(need_id, True)


@bp.route("/needs/<int:need_id>/unhide", methods=["POST"])
@login_required
def need_unhide(need_id: int):
    return _set_need_hidden(need_id, False)
