"""The family's requests for help: the list, a new request, one request with its conversation and actions.
On the families blueprint, so the addresses stay under /family/."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace.core.authz import authorize
from marketplace.core.extensions import db
from marketplace.core.money import to_tenge
from marketplace.needs.labels import CATEGORY_LABELS
from marketplace.families.forms import ConfirmForm, EvidenceForm
from marketplace.families.services import household_of
from marketplace.families.views import bp, max_upload_mb, store_files
from marketplace.files import RejectedFile
from marketplace.needs.forms import URGENCY_CHOICE_LABELS, AnswerForm, CancelForm, NeedForm
from marketplace.needs.lifecycle import NEED_LIFECYCLE
from marketplace.needs.queries import family_history, files_of
from marketplace.needs.models import Category, Need, NeedStatus, Urgency
from marketplace.needs.services import (
    GoodsLine, IllegalTransition, NeedData, NeedError, ReasonRequired, answer_question, change_status, create_need,
    need_from_form, needs_visible_to, update_need,
)

# While the office has not verified a request, the family may still add photos or documents to it.
EVIDENCE_STATES = frozenset({NeedStatus.DRAFT, NeedStatus.SUBMITTED, NeedStatus.NEEDS_INFO})
# The family edits a draft, or its request when the office asked a question (update_need refuses any
# request that is already verified, whatever the page offers).
EDIT_STATES = frozenset({NeedStatus.DRAFT, NeedStatus.NEEDS_INFO})


def own_need(need_id: int) -> Need:
    """The current family's need; another family's is refused (403), an unknown id is 404."""
    need = db.session.get(Need, need_id)
    if need is None:
        abort(404)
    authorize("need.edit_own", need)
    return need


def need_data(form: NeedForm) -> NeedData:
    return NeedData(
        category=Category(form.category.data), title=form.title.data, description=form.description.data,
        urgency=Urgency(form.urgency.data), deadline=form.deadline.data, money_goal=form.money_minor_units,
        goods=[GoodsLine(name, quantity, unit) for name, quantity, unit in form.goods_lines()],
        volunteer_slots=form.volunteer_slots.data or 0,
        volunteer_hours=float(form.volunteer_hours.data) if form.volunteer_hours.data is not None else None,
        in_home=bool(form.volunteer_in_home.data),
    )


def need_form_data(need: Need) -> dict:
    """A need as the form shows it: tenge, not minor units."""
    return {
        "category": need.category.value, "title": need.title, "description": need.description,
        "urgency": need.urgency.value, "deadline": need.deadline,
        "money_goal": str(to_tenge(need.money_goal)) if need.money_goal else "",
        "goods": [{"name": i.name, "quantity": i.quantity, "unit": i.unit or ""} for i in need.items],
        "volunteer_slots": need.volunteer_slots or None, "volunteer_hours": need.volunteer_hours,
        "volunteer_in_home": need.in_home,
    }


def render_need(need: Need, status: int = 200, **forms):
    """The family's page of one request; forms with errors are passed in to be shown again."""
    forms.setdefault("answer_form", AnswerForm())
    forms.setdefault("cancel_form", CancelForm())
    forms.setdefault("evidence_form", EvidenceForm(max_mb=max_upload_mb()))
    available = {t.name: t for t in NEED_LIFECYCLE.available(current_user, need)}
    return render_template(
        "families/need_detail.html", need=need, household=need.household, available=available,
        files=files_of(need), confirm_form=ConfirmForm(), can_edit=need.status in EDIT_STATES,
        can_add_evidence=need.status in EVIDENCE_STATES, category_label=CATEGORY_LABELS.get,
        urgency_label=URGENCY_CHOICE_LABELS.get, history=family_history(need), **forms,
    ), status


def refuse(need: Need, exc: IllegalTransition):
    """An action the request's state no longer allows: a clear message and a 409, never a 500."""
    db.session.rollback()
    flash(str(exc), "error")
    return render_need(need, status=409)


def render_need_form(form: NeedForm, household, need: Need | None = None):
    form.pad_goods()
    if need is None:
        form.fresh_token()
    return render_template("families/need_form.html", form=form, household=household, need=need,
                           max_mb=max_upload_mb())


@bp.route("/needs")
@login_required
def needs():
    household = household_of(current_user)
    authorize("household.edit_own", household)
    page = None
    if household is not None:
        stmt = (needs_visible_to(current_user).options(selectinload(Need.items))
                .order_by(Need.created_at.desc(), Need.id.desc()))
        page = db.paginate(stmt, per_page=current_app.config["NEEDS_PER_PAGE"], error_out=False)
    return render_template("families/needs.html", household=household, page=page)


@bp.route("/needs/new", methods=["GET", "POST"])
@login_required
def new_need():
    household = household_of(current_user)
    authorize("household.edit_own", household)
    if household is None or not household.address:
        flash(_("Before asking for help, fill in your household: the office verifies each request together with "
                "the family."), "info")
        return redirect(url_for(".household"))
    authorize("need.create", household)
    form = NeedForm()
    if form.validate_on_submit():
        send = request.form.get("action") == "send"
        already = need_from_form(household, form.form_token())
        if already is not None:
            return _already_saved(already, send=send)
        try:
            need = create_need(household, need_data(form), actor=current_user, form_token=form.form_token())
            store_files(form.uploads(), household=household, need_id=need.id)
            if send:
                change_status(need, "submit", actor=current_user)
        except NeedError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        except RejectedFile as exc:
            db.session.rollback()
            form.evidence.errors.append(str(exc) + " " + _("Nothing was saved; please choose the files again."))
        except IllegalTransition as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        except IntegrityError:  # the same form, sent twice at the same moment: the other send made it
            db.session.rollback()
            already = need_from_form(household, form.form_token())
            if already is None:  # not that: another family's token, or a constraint nobody expected
                current_app.logger.warning("a new request was refused by the database", exc_info=True)
                abort(409)
            return _already_saved(already, send=send)
        else:
            db.session.commit()
            flash_saved(need, sent=send)
            return redirect(url_for(".need_detail", need_id=need.id))
    return render_need_form(form, household)


def _already_saved(need: Need, *, send: bool):
    if send and need.status is NeedStatus.DRAFT:
        # Saved as a draft, then the page came back and "Send" was pressed: nothing is sent behind the
        # family's back; they check the draft and send it from there.
        flash(_("This form has already saved your request as a draft. Check it here and send it to the office."),
              "info")
        return redirect(url_for(".edit_need", need_id=need.id), code=303)
    flash(_("This form was already sent: here is the request it made."), "info")
    return redirect(url_for(".need_detail", need_id=need.id), code=303)


def flash_saved(need: Need, *, sent: bool) -> None:
    if not sent:
        flash(_("Saved as a draft. Send it to the office when it is ready."), "success")
    elif need.household.is_verified:
        flash(_("Sent. The office will check your request and write to you."), "success")
    else:
        flash(_("Sent. The office will verify it after it has verified your household."), "success")


@bp.route("/needs/<int:need_id>")
@login_required
def need_detail(need_id: int):
    return render_need(own_need(need_id))


@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
@login_required
def edit_need(need_id: int):
    need = own_need(need_id)
    if need.status not in EDIT_STATES:
        flash(_("This request can no longer be changed. You can cancel it and post a new one."), "error")
        return render_need(need, status=409)
    form = NeedForm() if request.method == "POST" else NeedForm(data=need_form_data(need))
    if form.validate_on_submit():
        send = request.form.get("action") == "send"
        try:
            update_need(need, need_data(form), actor=current_user)
            store_files(form.uploads(), household=need.household, need_id=need.id)
            if send and NEED_LIFECYCLE.can(current_user, need, "submit"):
                change_status(need, "submit", actor=current_user)
        except IllegalTransition as exc:
            return refuse(need, exc)
        except NeedError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        except RejectedFile as exc:
            db.session.rollback()
            form.evidence.errors.append(str(exc) + " " + _("Nothing was saved; please choose the files again."))
        else:
            db.session.commit()
            if need.status is NeedStatus.NEEDS_INFO:
                flash(_("Saved. Now answer the office's question to send your request again."), "success")
            else:
                flash_saved(need, sent=need.status is NeedStatus.SUBMITTED)
            return redirect(url_for(".need_detail", need_id=need.id))
    return render_need_form(form, need.household, need)


@bp.route("/needs/<int:need_id>/answer", methods=["POST"])
@login_required
def answer(need_id: int):
    """Answer the office's question; the request goes back to the office."""
    need = own_need(need_id)
    authorize("need.transition", need)
    form = AnswerForm()
    if not form.validate_on_submit():
        return render_need(need, status=400, answer_form=form)
    try:
        answer_question(need, form.body.data, actor=current_user)
    except IllegalTransition as exc:
        return refuse(need, exc)
    except NeedError as exc:
        db.session.rollback()
        form.body.errors.append(str(exc))
        return render_need(need, status=400, answer_form=form)
    db.session.commit()
    flash(_("Thank you. Your answer has been sent to the office."), "success")
    return redirect(url_for(".need_detail", need_id=need.id))


def transition(need_id: int, name: str, *, reason_form: CancelForm | None = None, done: str):
    need = own_need(need_id)
    authorize("need.transition", need)
    reason = None
    if reason_form is not None:
        if not reason_form.validate_on_submit():
            return render_need(need, status=400, cancel_form=reason_form)
        reason = reason_form.reason.data
    try:
        change_status(need, name, actor=current_user, reason=reason)
    except IllegalTransition as exc:
        return refuse(need, exc)
    except ReasonRequired as exc:
        db.session.rollback()
        form = reason_form or CancelForm()
        form.reason.errors = [str(exc)]
        return render_need(need, status=400, cancel_form=form)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for(".need_detail", need_id=need.id))


@bp.route("/needs/<int:need_id>/submit", methods=["POST"])
@login_required
def submit_need(need_id: int):
    return transition(need_id, "submit", done=_("Sent. The office will check your request and write to you."))


@bp.route("/needs/<int:need_id>/cancel", methods=["POST"])
@login_required
def cancel_need(need_id: int):
    return transition(need_id, "cancel", reason_form=CancelForm(), done=_("Your request has been cancelled."))


@bp.route("/needs/<int:need_id>/close", methods=["POST"])
@login_required
def close_need(need_id: int):
    """The family confirms that the help arrived."""
    return transition(need_id, "close", done=_("Thank you for confirming. The request is closed."))


@bp.route("/needs/<int:need_id>/evidence", methods=["POST"])
@login_required
def need_evidence(need_id: int):
    """More photos or documents for a request the office has not verified yet."""
    need = own_need(need_id)
    form = EvidenceForm(max_mb=max_upload_mb())
    if need.status not in EVIDENCE_STATES:
        flash(_("Documents can be added only before the office verifies the request."), "error")
        return render_need(need, status=409)
    if not form.validate_on_submit():
        return render_need(need, status=400, evidence_form=form)
    try:
        stored = store_files(form.uploads(), household=need.household, need_id=need.id)
    except RejectedFile as exc:
        db.session.rollback()
        form.files.errors.append(str(exc) + " " + _("Nothing was saved; please choose the files again."))
        return render_need(need, status=400, evidence_form=form)
    db.session.commit()
    flash(_("Uploaded: %(n)d file(s).", n=len(stored)), "success")
    return redirect(url_for(".need_detail", need_id=need.id))
