"""Staff's and families' pledge pages: confirm transfers and goods received, refunds by hand.

Staff work on the pledges of their own office (admins on one office or all); every button is a POST that
asks `authorize("pledge.staff", pledge.office_id)` and moves the pledge through its lifecycle, so a double
click or two staff members at once get a clear 409 and the need's counters move once.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import joinedload

from marketplace.core.authz import authorize
from marketplace.core.extensions import db
from marketplace.core.money import format_money
from marketplace.core.lifecycle import IllegalTransition, ReasonRequired
from marketplace.needs.models import Need
from marketplace.offices.models import Office
from marketplace.offices.picker import chosen_office
from marketplace.pledges import services, settlement
from marketplace.pledges.lifecycle import PLEDGE_LIFECYCLE
from marketplace.pledges.models import GoodsDelivery, PaymentProvider, Pledge, PledgeKind, PledgeStatus as S
from marketplace.pledges.staff_forms import PledgeActionForm, PledgeFilterForm
from marketplace.core.requests_guard import bounded_id
from marketplace.core.roles import is_admin

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

# A pledge's state as staff and families read it; some depend on money or goods.
STATUS_LABELS = {
    S.AWAITING_TRANSFER: _l("Waiting for the transfer"),
    S.PAID: _l("Paid"),
    S.CANCELLED: _l("Cancelled"),
    S.REFUND_PENDING: _l("To be returned"),
    S.REFUNDED: _l("Returned to the patron"),
    S.REDIRECTED: _l("Moved to a similar request"),
}
MONEY_LABELS = {S.PENDING: _l("Card payment not finished"), S.DELIVERED: _l("Spent on the request")}
GOODS_LABELS = {S.PENDING: _l("On its way"), S.DELIVERED: _l("Received")}
STATUS_BADGES = {S.AWAITING_TRANSFER: "badge-warn", S.PENDING: "badge-warn", S.PAID: "badge-ok",
                 S.DELIVERED: "badge-ok", S.REFUND_PENDING: "badge-danger", S.CANCELLED: "badge-muted",
                 S.REFUNDED: "badge-muted", S.REDIRECTED: "badge-muted"}
DELIVERY_LABELS = {
    GoodsDelivery.OFFICE: _l("Brought to the office"),
    GoodsDelivery.VOLUNTEER: _l("Carried by a volunteer"),
}


def status_label(pledge: Pledge) -> str:
    own = MONEY_LABELS if pledge.is_money else GOODS_LABELS
    return str(own.get(pledge.status) or STATUS_LABELS[pledge.status])


def payment_reference(pledge: Pledge) -> str:
    """What the patron mentions on a bank transfer or when bringing goods (the patron's pages show the
    same): one form in every language, so staff can match it."""
    return f"SW pledge #{pledge.id}"


def labels_context() -> dict:
    """What the pledge templates need to name things."""
    return {"pledge_status": status_label, "pledge_badges": STATUS_BADGES, "delivery_labels": DELIVERY_LABELS,
            "payment_reference": payment_reference}


# --- which pledges a tab holds --------------------------------------------------------------------

def work_queues() -> dict:
    """The pledges waiting for a staff member's hand; "recent" is everything else."""
    return {
        "transfers": and_(Pledge.kind == PledgeKind.MONEY, Pledge.status == S.AWAITING_TRANSFER),
        "goods": and_(Pledge.kind == PledgeKind.GOODS, Pledge.status == S.PENDING),
        "refunds": and_(Pledge.status == S.REFUND_PENDING, Pledge.provider.is_not(None),
                        Pledge.provider == PaymentProvider.OFFLINE),
    }


def tab_condition(tab: str):
    queues = work_queues()
    return queues[tab] if tab in queues else not_(or_(*queues.values()))


def tab_order(tab: str):
    if tab == "recent":
        changed = func.coalesce(Pledge.closed_at, Pledge.delivered_at, Pledge.paid_at, Pledge.created_at)
        return (changed.desc(), Pledge.id.desc())
    return (Pledge.created_at, Pledge.id)  # the longest waiting first


def scope_filter() -> tuple[PledgeFilterForm | None, Office | None, Need | None]:
    """The office (or, admins, all offices) and optionally one need the list is about; authorizes it."""
    need_id = bounded_id(request.args.get("need_id"))
    if request.args.get("need_id") and need_id is None:
        abort(404)
    if need_id is not None:
        need = db.session.get(Need, need_id) or abort(404)
        authorize("pledge.staff", need.office_id)
        return None, need.office, need
    if not is_admin(current_user):
        office_id = getattr(current_user, "office_id", None)
        authorize("pledge.staff", office_id)
        return None, db.session.get(Office, office_id), None
    form = PledgeFilterForm(request.args)
    office = chosen_office(form)
    authorize("pledge.staff", office.id if office else None)
    return form, office, None


def scoped(stmt, office: Office | None, need: Need | None):
    if need is not None:
        return stmt.where(Pledge.need_id == need.id)
    if office is not None:
        return stmt.where(Pledge.office_id == office.id)
    return stmt  # an admin looking at every office


STAFF_ACTIONS = ("confirm_transfer", "deliver", "refund", "refunded", "cancel")


def staff_actions(pledge: Pledge) -> list[str]:
    """The buttons the current staff member may press on this pledge now: what its state machine allows."""
    return [action for action in STAFF_ACTIONS if PLEDGE_LIFECYCLE.can(current_user, pledge, action)]


def render_list(status: int = 200):
    form, office, need = scope_filter()
    base = scoped(select(Pledge), office, need)
    counts = {name: db.session.scalar(scoped(select(func.count(Pledge.id)), office, need).where(condition)) or 0
              for name, condition in work_queues().items()}
    tab = request.args.get("tab")
    if tab not in TABS:  # the first tab with work waiting, else what happened lately
        tab = next((name for name, count in counts.items() if count), "recent")
    page = db.paginate(
        base.where(tab_condition(tab))
        # The household too: whether the family may confirm goods is part of each row's buttons.
        .options(joinedload(Pledge.need).joinedload(Need.household), joinedload(Pledge.patron),
                 joinedload(Pledge.item))
        .order_by(*tab_order(tab)),
        per_page=current_app.config["PLEDGES_PER_PAGE"], error_out=False)
    show_office = office is None and need is None
    office_names = {}
    if show_office:
        ids = {p.office_id for p in page.items if p.office_id}
        office_names = dict(db.session.execute(select(Office.id, Office.name).where(Office.id.in_(ids))).all()) \
            if ids else {}
    from marketplace.moderation.views import age

    filters = {k: v for k, v in (("office_id", office.id if form and office else None),
                                 ("need_id", need.id if need else None)) if v}
    return render_template(
        "pledges/staff_list.html", form=form, office=office, need=need, tab=tab, tabs=TABS, counts=counts,
        page=page, show_office=show_office, office_names=office_names, filters=filters,
        actions={p.id: staff_actions(p) for p in page.items}, action_labels=ACTION_LABELS,
        reason_actions=REASON_ACTIONS, age=age, **labels_context(),
    ), status


@bp.route("/staff/pledges")
@login_required
def index():
    return render_list()


def tell_patron(pledge: Pledge, kind: str) -> bool:
    """Notify the patron (in the app and by e-mail after commit); False when the account is gone."""
    from marketplace.notifications import notify

    if pledge.patron is None:
        return False
    if pledge.is_money:
        what = format_money(pledge.amount)
    else:  # the notices say "your pledge of %(amount)s": for goods, how many of what
        what = f"{pledge.quantity} × {pledge.item.name}" if pledge.item else str(pledge.quantity)
    params = {"amount": what, "title": pledge.need.title, "receipt": pledge.receipt_number or "",
              "reason": pledge.status_reason or ""}
    link = f"/pledges/{pledge.id}/receipt" if kind == "pledge.paid" else f"/pledges/{pledge.id}"
    notify(pledge.patron, kind, params=params, link=link)
    return True


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
    form = PledgeActionForm()
    if not form.validate_on_submit():
        abort(400)
    reason = (form.reason.data or "").strip() or None
    if action not in staff_actions(pledge):
        flash(moved_on(pledge), "error")
        return render_list(status=409)
    if action in REASON_ACTIONS and not reason:
        flash(_("Please give a reason: the patron is told why."), "error")
        return render_list(status=400)
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
    back = {key: request.args[key] for key in ("tab", "page", "office_id", "need_id") if key in request.args}
    return redirect(url_for(".index", **back), 303)


# --- the family's side ----------------------------------------------------------------------------

def goods_pledged_to(need: Need) -> dict:
    """For the family's page of its need: the goods promised or received (the patron by name only when
    they did not ask to stay anonymous; never an e-mail or phone). Money shows as totals only."""
    if not need.items:
        return {"goods_pledges": []}
    pledges = db.session.scalars(
        select(Pledge).where(Pledge.need_id == need.id, Pledge.kind == PledgeKind.GOODS,
                             Pledge.status.in_((S.PENDING, S.DELIVERED)))
        .options(joinedload(Pledge.patron), joinedload(Pledge.item)).order_by(Pledge.created_at, Pledge.id)
    ).all()
    receivable = {p.id for p in pledges if PLEDGE_LIFECYCLE.can(current_user, p, "deliver")}
    return {"goods_pledges": pledges, "receivable": receivable, "patron_shown": patron_shown, **labels_context()}


def patron_shown(pledge: Pledge) -> str:
    """The patron as the family sees them."""
    if pledge.anonymous or pledge.patron is None:
        return _("A patron")
    return pledge.patron.display_name


@bp.route("/family/pledges/<int:pledge_id>/received", methods=["POST"])
@login_required
def family_received(pledge_id: int):
    """The family says the goods arrived."""
    from marketplace.families.need_views import render_need

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
        return render_need(need, status=409)
    tell_patron(pledge, "pledge.delivered")
    db.session.commit()
    flash(_("Thank you. The patron has been told that it arrived."), "success")
    if need.household.user_id != current_user.id:  # office staff may press it too
        return redirect(url_for(".index", tab="goods"), 303)
    return redirect(url_for("families.need_detail", need_id=need.id), 303)
