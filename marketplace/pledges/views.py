"""Patrons' pages: pledge to a need, follow the pledge, receipts, the dashboard and the home point."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from marketplace import geo
from marketplace.core.authz import authorize, can
from marketplace.core.dbtypes import utcnow
from marketplace.core.extensions import db
from marketplace.core.lifecycle import IllegalTransition
from marketplace.core.money import format_money, to_minor
from marketplace.core.requests_guard import page_number
from marketplace.core.urls import absolute
from marketplace.needs import catalogue
from marketplace.needs.catalogue import RADIUS_CHOICES_KM
from marketplace.needs.models import OPEN_STATES, Need
from marketplace.needs.services import is_public
from marketplace.payments import gateway
from marketplace.pledges import queries, services
from marketplace.pledges.forms import (
    DELIVERY_LABELS, ActionForm, GoodsPledgeForm, HomePointForm, MoneyPledgeForm, pledge_status_label,
)
from marketplace.pledges.models import GoodsDelivery, PatronProfile, PaymentProvider, Pledge, PledgeStatus as S
from marketplace.pledges.services import PledgeRefused

bp = Blueprint("pledges", __name__)

# A refusal because the need is taken or closed is a conflict; anything else was bad input.
CONFLICTS = frozenset({"over_goal", "fully_covered", "need_closed"})
CANCELLABLE = (S.PENDING, S.AWAITING_TRANSFER)


@bp.app_context_processor
def pledge_context() -> dict:
    """Template globals: a pledge's state and a need's patrons for every page, and the goods promised to a
    family's request for its own page (which so needs nothing of pledges imported)."""
    return {"pledge_status_label": pledge_status_label, "pledge_supporters": queries.supporters_count,
            "delivery_labels": DELIVERY_LABELS,
            "goods_pledged_to": lambda need: queries.goods_pledged_to(need, current_user)}


def _refusal_status(refused: PledgeRefused) -> int:
    if refused.code == "provider_unavailable":
        return 503
    return 409 if refused.code in CONFLICTS else 400


# --- pledging ------------------------------------------------------------------------------------


def open_need_or_404(need_id: int) -> Need:
    """A public need that takes pledges; 404 if the public may not see it, 409 if it is no longer open."""
    need = catalogue.public_need(need_id)
    if need is None:
        abort(404)
    if need.status not in OPEN_STATES:
        abort(409, _("This request no longer takes pledges."))
    return need


def render_pledge_form(need: Need, money_form: MoneyPledgeForm | None = None,
                       goods_form: GoodsPledgeForm | None = None, status: int = 200):
    money_form = money_form or MoneyPledgeForm(formdata=None)
    goods_form = goods_form or GoodsPledgeForm(need.items, prefix="goods", formdata=None)
    goods_form.offer(need.items)  # the counts may have moved since the form was made
    money_form.fresh_token()
    goods_form.fresh_token()
    money_form.amount.description = _("At most %(amount)s: what is still missing.", amount=format_money(need.money_open))
    goods_form.quantity.description = _("At most what is still missing of the chosen item.")
    return render_template(
        "pledges/new.html", need=need, money_form=money_form, goods_form=goods_form,
        card=gateway.card_payments_enabled(), open_items=[item for item in need.items if item.missing > 0],
        transfer_days=current_app.config["PLEDGE_TRANSFER_DAYS"],
    ), status


@bp.route("/needs/<int:need_id>/pledge", methods=["GET", "POST"], endpoint="new")
@login_required
def new_pledge(need_id: int):
    """Money (card or transfer) or goods toward an open need, never more than is still missing."""
    need = open_need_or_404(need_id)
    if not can(current_user, "pledge.create", need):
        return render_template("pledges/patrons_only.html", need=need), 403
    if request.method == "GET":
        return render_pledge_form(need)
    authorize("pledge.create", need)
    kind = request.form.get("kind")
    if kind == "money":
        return _pledge_money(need)
    if kind == "goods":
        return _pledge_goods(need)
    abort(400)


def _pledge_money(need: Need):
    form = MoneyPledgeForm()
    if not form.validate():
        return render_pledge_form(need, money_form=form, status=400)
    amount = to_minor(form.amount.data)  # the service refuses more than the goal before any arithmetic
    already = services.pledge_from_form(current_user, form.form_token())
    if already is not None:
        return _already_made(already)
    try:
        pledge = services.pledge_money(need, current_user, amount=amount, anonymous=form.anonymous.data,
                                       allow_redirect=form.allow_redirect.data, card=form.by_card(),
                                       form_token=form.form_token())
    except PledgeRefused as refused:
        db.session.rollback()
        form.amount.errors.append(refused.message)
        return render_pledge_form(need, money_form=form, status=_refusal_status(refused))
    except IntegrityError:  # the same form, sent twice at the same moment: the other request made it
        db.session.rollback()
        return _already_made(services.pledge_from_form(current_user, form.form_token()) or abort(409))
    db.session.commit()  # the reservation holds before anyone is sent to pay
    if pledge.provider is not PaymentProvider.STRIPE:
        flash(_("Thank you! Your pledge is recorded. Here is how to pay."), "success")
        return redirect(url_for(".detail", pledge_id=pledge.id), code=303)
    try:
        checkout_url = services.start_checkout(
            pledge, success_url=absolute(url_for(".detail", pledge_id=pledge.id, checkout="done")),
            cancel_url=absolute(url_for(".detail", pledge_id=pledge.id, checkout="cancelled")))
    except PledgeRefused as refused:
        db.session.commit()  # the pledge was cancelled and its reservation released
        form.amount.errors.append(refused.message)
        return render_pledge_form(need, money_form=form, status=_refusal_status(refused))
    db.session.commit()
    return redirect(checkout_url, code=303)


def _pledge_goods(need: Need):
    form = GoodsPledgeForm(need.items, prefix="goods")
    if not form.validate():
        return render_pledge_form(need, goods_form=form, status=400)
    already = services.pledge_from_form(current_user, form.form_token())
    if already is not None:
        return _already_made(already)
    try:
        pledge = services.pledge_goods(need, current_user, item_id=form.item.data, quantity=form.quantity.data,
                                       delivery=GoodsDelivery(form.delivery.data), anonymous=form.anonymous.data,
                                       form_token=form.form_token())
    except PledgeRefused as refused:
        db.session.rollback()
        form.quantity.errors.append(refused.message)
        return render_pledge_form(need, goods_form=form, status=_refusal_status(refused))
    except IntegrityError:  # the same form, sent twice at the same moment
        db.session.rollback()
        return _already_made(services.pledge_from_form(current_user, form.form_token()) or abort(409))
    db.session.commit()
    flash(_("Thank you! Your pledge is recorded. Here is what happens next."), "success")
    return redirect(url_for(".detail", pledge_id=pledge.id), code=303)


def _already_made(pledge: Pledge):
    """A form sent again: back to the pledge it made (to Stripe's page while its checkout is open)."""
    if _checkout_open(pledge, utcnow()):
        return redirect(pledge.checkout_url, code=303)
    flash(_("This pledge was already made; here it is."), "info")
    return redirect(url_for(".detail", pledge_id=pledge.id), code=303)


# --- one pledge ----------------------------------------------------------------------------------


def viewable_pledge_or_404(pledge_id: int) -> Pledge:
    """The pledge if the user may see it (its patron, its office's staff, admins); else 404, no hint."""
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None or not can(current_user, "pledge.view", pledge):
        abort(404)
    return pledge


def _checkout_open(pledge: Pledge, now) -> bool:
    return bool(pledge.status is S.PENDING and pledge.provider is PaymentProvider.STRIPE and pledge.checkout_url
                and (pledge.checkout_expires_at is None or pledge.checkout_expires_at > now))


def render_pledge(pledge: Pledge, status: int = 200):
    now = utcnow()
    checkout = request.args.get("checkout")
    card_pending = pledge.status is S.PENDING and pledge.provider is PaymentProvider.STRIPE
    # Reload by itself until the webhook's news arrives, but not forever from a forgotten tab.
    deadline = (pledge.checkout_expires_at or pledge.created_at + timedelta(hours=1)) + timedelta(minutes=10)
    need = pledge.need
    return render_template(
        "pledges/detail.html", pledge=pledge, need=need, checkout=checkout,
        waiting=checkout == "done" and card_pending, refresh=checkout == "done" and card_pending and now < deadline,
        can_continue=_checkout_open(pledge, now),
        can_cancel=pledge.status in CANCELLABLE and can(current_user, "pledge.cancel", pledge),
        own=pledge.patron_id == current_user.id, need_public=is_public(need),
        successor=queries.successor_of(pledge) if pledge.status is S.REDIRECTED else None,
        receipt_number=queries.receipt_number_of(pledge), action_form=ActionForm(),
        transfer_until=pledge.created_at + timedelta(days=current_app.config["PLEDGE_TRANSFER_DAYS"]),
    ), status


@bp.route("/pledges/<int:pledge_id>", endpoint="detail")
@login_required
def pledge_detail(pledge_id: int):
    return render_pledge(viewable_pledge_or_404(pledge_id))


@bp.route("/pledges/<int:pledge_id>/cancel", methods=["POST"], endpoint="cancel")
@login_required
def cancel_pledge(pledge_id: int):
    """Withdraw a pledge not yet paid or delivered; what it held is free for others again."""
    pledge = viewable_pledge_or_404(pledge_id)
    authorize("pledge.cancel", pledge)
    if not ActionForm().validate():
        abort(400)
    own = pledge.patron_id == current_user.id
    try:
        services.withdraw_pledge(pledge, actor=current_user,
                                 reason="withdrawn by the patron" if own else "cancelled by the office")
    except PledgeRefused as refused:  # the card payment went through meanwhile
        flash(refused.message, "warning")
        return redirect(url_for(".detail", pledge_id=pledge.id), code=303)
    except IllegalTransition as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return render_pledge(pledge, 409)
    db.session.commit()
    flash(_("The pledge was cancelled."), "success")
    return redirect(url_for(".detail", pledge_id=pledge.id), code=303)


@bp.route("/pledges/<int:pledge_id>/receipt", endpoint="receipt")
@login_required
def pledge_receipt(pledge_id: int):
    """A numbered, printable receipt for money that arrived; before that (or for goods), the pledge's page says
    when a receipt comes (a link from an e-mail or a bookmark may arrive early)."""
    pledge = viewable_pledge_or_404(pledge_id)
    number = queries.receipt_number_of(pledge)
    if not pledge.is_money or pledge.status not in (S.PAID, S.DELIVERED) or number is None:
        if not pledge.is_money:
            why = _("Receipts are issued for money; goods pledged have none.")
        elif pledge.status in (S.PENDING, S.AWAITING_TRANSFER):
            why = _("The receipt is issued once the money arrives.")
        else:
            why = _("This pledge has no receipt: its money was not kept for the request.")
        flash(why, "info")
        return redirect(url_for(".detail", pledge_id=pledge.id), code=303)
    return render_template("pledges/receipt.html", pledge=pledge, need=pledge.need, payer=pledge.patron,
                           receipt_number=number)


# --- the patron's dashboard and home point -------------------------------------------------------


def near_me_url(home: PatronProfile | None) -> str | None:
    """The public catalogue around the patron's home point (within the nearest radius it offers)."""
    if home is None or home.latitude is None or home.longitude is None:
        return None
    radius = min(RADIUS_CHOICES_KM, key=lambda km: (abs(km - (home.radius_km or 25)), km))
    return url_for("needs.catalogue", lat=f"{home.latitude:.3f}", lon=f"{home.longitude:.3f}", radius=radius)


@bp.route("/patron/", endpoint="dashboard")
@login_required
def patron_dashboard():
    """My pledges, what they added up to, and what the offices report was delivered."""
    authorize("patron.profile")
    page = db.paginate(queries.pledges_of(current_user), page=page_number(),
                       per_page=current_app.config["PLEDGES_PER_PAGE"], error_out=False)
    return render_template("pledges/dashboard.html", page=page, totals=queries.totals_of(current_user),
                           delivered=queries.delivered_needs(current_user),
                           near_me=near_me_url(queries.home_point_of(current_user)), is_public=is_public)


@bp.route("/patron/pledges.csv", endpoint="pledges_csv")
@login_required
def pledges_csv():
    authorize("patron.profile")
    pledges = queries.all_pledges_of(current_user)
    header = [_("Pledge number"), _("Date"), _("Request"), _("Kind"), _("Amount (tenge)"), _("Goods"),
              _("Quantity"), _("Status"), _("Receipt number")]
    return Response(queries.pledges_csv(pledges, header), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=my-pledges.csv",
                             "Cache-Control": "no-store"})


def render_profile(home: PatronProfile | None, form: HomePointForm, status: int = 200):
    return render_template("pledges/profile.html", home=home, form=form, near_me=near_me_url(home)), status


@bp.route("/patron/profile", methods=["GET", "POST"], endpoint="profile")
@login_required
def patron_profile():
    """The patron's home point (private): "requests near me" starts from it."""
    home = queries.home_point_of(current_user)
    authorize("patron.profile", home)
    form = HomePointForm()
    if not form.is_submitted():
        if home is not None:
            form = HomePointForm(formdata=None, data={"place": home.place or "", "radius_km": int(home.radius_km)})
        return render_profile(home, form)
    if not form.validate():
        return render_profile(home, form, 400)
    place = geo.geocode(form.place.data, language=str(get_locale()))
    if place is None:
        form.place.errors.append(_("We could not find “%(place)s”. Check the spelling or type the nearest town.",
                                   place=form.place.data.strip()))
        return render_profile(home, form, 400)
    changed = services.save_home_point(current_user, home, place=form.place.data.strip(), latitude=place.latitude,
                                       longitude=place.longitude, radius_km=float(form.radius_km.data))
    db.session.commit()
    flash(_("Saved.") if changed else _("Nothing has changed."), "success")
    return redirect(url_for(".profile"), code=303)
