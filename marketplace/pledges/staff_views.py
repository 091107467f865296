"""Staff's pledge pages: confirm transfers and goods received, refunds by hand.

Staff work on the pledges of their own office (admins on one office or all); every button is a POST that
asks `authorize("pledge.staff", pledge.office_id)` and moves the pledge through its lifecycle, so a double
click or two staff members at once get a clear 409 and the need's counters move once. The family's
"we received it" is on this blueprint too, in `family_views.py`.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from marketplace.core.authz import authorize
from marketplace.core.extensions import db
from marketplace.core.lifecycle import IllegalTransition, ReasonRequired
from marketplace.core.requests_guard import bounded_id
from marketplace.core.roles import is_admin
from marketplace.core.scopes import staff_office_id
from marketplace.core.i18n import waited_ago, waited_for
from marketplace.needs.models import Need
from marketplace.offices.models import Office
from marketplace.offices.picker import chosen_office
from marketplace.pledges import queries, services, settlement
from marketplace.pledges.labels import labels_context, status_label
from marketplace.pledges.lifecycle import PLEDGE_LIFECYCLE
from marketplace.pledges.models import PaymentProvider, Pledge
from marketplace.pledges.notices import tell_patron
from marketplace.pledges.staff_forms import PledgeActionForm, PledgeFilterForm, PledgeReasonForm, PledgeSearchForm

bp = Blueprint("pledges_staff", __name__)

TABS = {
    "transfers": _l("Transfers to confirm"),
    "goods": _l("Goods on their way"),
    "refunds": _l("Refunds to make by hand"),
    "recent": _l("Recent"),
}

# The buttons staff may press on a pledge, in the order they are shown.
ACTION_LABELS = {
    "confirm_transfer": _l("Confirm the money arrived"),
    "deliver": _l("Confirm goods received"),
    "refunded": _l("Confirm the money was returned"),
    "refund": _l("Refund"),
    "cancel": _l("Cancel the pledge"),
}
REASON_ACTIONS = frozenset({"cancel", "refund"})  # the patron is told why
DONE = {
    "confirm_transfer": _l("The payment is confirmed and the receipt issued."),
    "deliver": _l("The goods are recorded as received."),
    "refunded": _l("The return of the money is recorded."),
    "cancel": _l("The pledge is cancelled; what it held is free for others again."),
}
# What the patron is told after each action (registered in notices.py).
NOTICES = {"confirm_transfer": "pledge.paid", "deliver": "pledge.delivered", "refunded": "pledge.refunded",
           "cancel": "pledge.cancelled"}

STAFF_ACTIONS = ("confirm_transfer", "deliver", "refund", "refunded", "cancel")


def staff_actions(pledge: Pledge) -> list[str]:
    """The buttons the current staff member may press on this pledge now: what its state machine allows."""
    return [action for action in STAFF_ACTIONS if PLEDGE_LIFECYCLE.can(current_user, pledge, action)]


def scope_filter() -> tuple[PledgeFilterForm | None, Office | None, Need | None]:
    """The office (or, admins, all offices) and optionally one need the list is about; authorizes it."""
    need_id = bounded_id(request.args.get("need_id"))
    if request.args.get("need_id") and need_id is None:
        abort(404)
    if need_id is not None:
        need = db.session.get(Need, need_id) or abort(404)
        authorize("pledge.staff", need.office_id)
        return None, need.office, need
    form, requested = None, None
    if is_admin(current_user):  # admins pick an office, or all; staff always see their own
        form = PledgeFilterForm(request.args)
        chosen = chosen_office(form)
        requested = chosen.id if chosen else None
    office_id = staff_office_id(current_user, requested)
    authorize("pledge.staff", office_id)
    office = db.session.get(Office, office_id) if office_id is not None else None
    return form, office, None


def render_list(status: int = 200, refused: tuple[int, str, PledgeActionForm] | None = None):
    """The list; `refused` is a reason form that came back with errors: (pledge id, action, form)."""
    form, office, need = scope_filter()
    where = {"office_id": office.id if office else None, "need_id": need.id if need else None}
    counts = queries.queue_counts(current_user, **where)
    search = PledgeSearchForm(request.args)
    reference = (search.reference.data or "").strip() if search.validate() else ""
    tab = request.args.get("tab")
    if tab not in TABS:  # the first tab with work waiting, else what happened lately
        tab = next((name for name, count in counts.items() if count), "recent")
    # A reference looks in every tab: staff matching a bank statement do not know where the pledge is now.
    listed = (queries.staff_search(current_user, reference, **where) if reference
              else queries.staff_tab(current_user, tab, **where))
    page = db.paginate(listed, per_page=current_app.config["PLEDGES_PER_PAGE"], error_out=False)
    show_office = office is None and need is None
    office_names = queries.office_names({p.office_id for p in page.items if p.office_id}) if show_office else {}
    filters = {k: v for k, v in (("office_id", office.id if form and office else None),
                                 ("need_id", need.id if need else None)) if v}
    if refused is not None and (refused[1] not in REASON_ACTIONS or refused[0] not in {p.id for p in page.items}):
        for error in refused[2].reason.errors:  # no form of it on this page to show it: say it at the top
            flash(error, "error")

    def reason_form(pledge: Pledge, action: str) -> PledgeReasonForm:
        if refused is not None and refused[:2] == (pledge.id, action):
            return refused[2]
        return PledgeReasonForm(formdata=None).for_pledge(pledge.id, action)

    return render_template(
        "pledges/staff_list.html", form=form, office=office, need=need, tab=tab, tabs=TABS, counts=counts,
        search=search, reference=reference, action_args=dict(filters, reference=reference) if reference else filters,
        page=page, show_office=show_office, office_names=office_names, filters=filters,
        actions={p.id: staff_actions(p) for p in page.items}, action_labels=ACTION_LABELS,
        reason_actions=REASON_ACTIONS, reason_form=reason_form, age=waited_for, ago=waited_ago, **labels_context(),
    ), status


@bp.route("/staff/pledges")
@login_required
def index():
    return render_list()


def moved_on(pledge: Pledge) -> str:
    return _("This cannot be done now: the pledge is “%(state)s”. Nothing was changed. "
             "The list below is up to date.", state=status_label(pledge))


@bp.route("/staff/pledges/<int:pledge_id>/<action>", methods=["POST"])
@login_required
def act(pledge_id: int, action: str):
    """One staff button on one pledge; the list's tab and filters come back in the query string."""
    pledge = db.session.get(Pledge, pledge_id) or abort(404)
    authorize("pledge.staff", pledge.office_id)
    if action not in ACTION_LABELS:
        abort(404)
    form = (PledgeReasonForm().for_pledge(pledge.id, action) if action in REASON_ACTIONS else PledgeActionForm())
    valid = form.validate_on_submit()
    if not valid and set(form.errors) - {"reason"}:
        abort(400)  # no valid CSRF token: not a form of ours
    if action not in staff_actions(pledge):
        flash(moved_on(pledge), "error")
        return render_list(status=409)
    if not valid:  # the reason is missing or too long: the form comes back open with its error, nothing changed
        return render_list(status=400, refused=(pledge.id, action, form))
    reason = (form.reason.data or "").strip() or None
    try:
        if action == "refund":
            # Through Stripe for a card (its webhook then records the refund), by hand for a transfer.
            settlement.give_back(pledge, why=reason, actor=current_user)
        else:
            services.change_pledge(pledge, action, actor=current_user, reason=reason)
    except IllegalTransition:
        db.session.rollback()
        db.session.refresh(pledge)
        flash(moved_on(pledge), "error")
        return render_list(status=409)
    except ReasonRequired as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return render_list(status=400)
    told = tell_patron(pledge, NOTICES[action]) if action in NOTICES else False
    db.session.commit()
    if action == "refund":
        message = (_("The refund has been asked of the card payment service; it is recorded when the money is back.")
                   if pledge.provider is PaymentProvider.STRIPE else
                   _("Now return the money to the patron by hand, then confirm it under “Refunds to make by hand”."))
    else:
        message = str(DONE[action])
    if told:
        message += " " + _("The patron has been told.")
    flash(message, "success")
    back = {key: request.args[key] for key in ("tab", "page", "office_id", "need_id", "reference")
            if key in request.args}
    return redirect(url_for(".index", **back), 303)
