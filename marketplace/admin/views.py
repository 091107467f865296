"""Admin pages for people: accounts, staff, approvals, and the audit log."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

import marketplace.accounts.policies  # noqa: F401
import marketplace.core.audit.policies  # noqa: F401
from marketplace.accounts import services as accounts
from marketplace.accounts.queries import actor_ids_matching, users_matching
from marketplace.core.roles import Role
from marketplace.accounts.models import AccountStatus, User
from marketplace.admin.forms import AccountStatusForm, AssignOfficeForm, AuditFilterForm, StaffForm, UserSearchForm
from marketplace.admin.labels import ROLE_LABELS, STATUS_LABELS, TRANSITION_LABELS
from marketplace.accounts.lifecycle import ADMIN_DECISIONS
from marketplace.core.audit import labels as audit_labels
from marketplace.core.audit.queries import entries_readable_by, history_of
from marketplace.core.audit.words import number_of
from marketplace.core.i18n import format_day
from marketplace.core.authz import authorize
from marketplace.core.extensions import db
from marketplace.core.urls import external_url
from marketplace.notifications import queue_email
from marketplace.offices.queries import office_choices

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.context_processor
def labels() -> dict:
    return {"role_labels": ROLE_LABELS, "status_labels": STATUS_LABELS, "transition_labels": TRANSITION_LABELS}


@bp.route("/users")
@login_required
def users():
    authorize("account.list")
    form = UserSearchForm(request.args)
    form.role.choices = [("", _l("All roles"))] + [(r.value, ROLE_LABELS[r]) for r in Role]
    form.status.choices = [("", _l("Any status"))] + [(s.value, STATUS_LABELS[s]) for s in AccountStatus]
    form.validate()
    stmt = users_matching(
        form.q.data,
        role=Role(form.role.data) if form.role.data else None,
        status=AccountStatus(form.status.data) if form.status.data else None,
    )
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("admin/users.html", form=form, page=page)


@bp.route("/users/<int:user_id>")
@login_required
def user_detail(user_id: int):
    account = db.session.get(User, user_id) or abort(404)
    authorize("account.manage", account)
    office_form = AssignOfficeForm(office_id=account.office_id or 0)
    office_form.office_id.choices = [(0, "—")] + office_choices()
    transitions = [t for t in ADMIN_DECISIONS if accounts.can_transition(account, t)]
    history = history_of(current_user, "user", account.id)
    return render_template(
        "admin/user_detail.html", account=account, status_form=AccountStatusForm(), office_form=office_form,
        transitions=transitions, history=history,
    )


@bp.route("/users/<int:user_id>/status", methods=["POST"])
@login_required
def change_status(user_id: int):
    account = db.session.get(User, user_id) or abort(404)
    authorize("account.manage", account)
    form = AccountStatusForm()
    if not form.validate_on_submit() or form.transition.data not in ADMIN_DECISIONS:
        abort(400)
    try:
        accounts.change_account_status(account, form.transition.data, actor=current_user, reason=form.reason.data)
    except accounts.AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.user_detail", user_id=account.id))
    if form.transition.data in ("approve", "reject"):
        queue_email(account, _l("Your organisation on Social Window"), "partner_decision",
                    approved=form.transition.data == "approve", reason=form.reason.data)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("admin.user_detail", user_id=account.id))


@bp.route("/users/<int:user_id>/office", methods=["POST"])
@login_required
def assign_office(user_id: int):
    account = db.session.get(User, user_id) or abort(404)
    authorize("account.manage", account)
    form = AssignOfficeForm()
    form.office_id.choices = [(0, "—")] + office_choices()
    if not form.validate_on_submit():
        abort(400)
    try:
        accounts.assign_office(account, form.office_id.data or None, actor=current_user)
    except accounts.AccountError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Saved."), "success")
    return redirect(url_for("admin.user_detail", user_id=account.id))


@bp.route("/staff/new", methods=["GET", "POST"])
@login_required
def new_staff():
    authorize("account.manage")
    form = StaffForm()
    form.office_id.choices = office_choices()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(role=Role.STAFF, email=form.email.data, full_name=form.full_name.data,
                                        password=None, office_id=form.office_id.data, actor=current_user)
        except accounts.AccountError as exc:
            form.email.errors.append(str(exc))
        else:
            link = external_url("accounts.reset_password", token=accounts.reset_token(user))
            queue_email(user, _l("Your Social Window staff account"), "staff_welcome", link=link, office=user.office)
            db.session.commit()
            flash(_("The staff account was created and an e-mail to set the password was sent."), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/staff_form.html", form=form)


def audit_filter_form() -> AuditFilterForm:
    """The audit log's filters, with the kinds of object and the actions in the reader's words."""
    form = AuditFilterForm(request.args)
    kinds = sorted(((code, str(kind.label)) for code, kind in audit_labels.object_types().items()),
                   key=lambda kind: kind[1])
    form.object_type.choices = [("", _l("Anything"))] + kinds
    form.action.choices = {None: [("", _l("Anything"))], **dict(audit_labels.grouped_actions())}
    return form


def audit_filters(form: AuditFilterForm) -> dict:
    """What the valid form asks for, as `entries_readable_by`'s arguments; a period's days are the reader's."""
    zone = get_timezone()

    def start_of(day: date) -> datetime:
        midnight = datetime.combine(day, time.min)
        # pytz zones (what Babel gives) must localize: replace(tzinfo=) would take the city's 19th-century offset.
        local = zone.localize(midnight) if hasattr(zone, "localize") else midnight.replace(tzinfo=zone)
        return local.astimezone(timezone.utc)

    actor = (form.actor.data or "").strip()
    return {
        "object_type": form.object_type.data or None, "object_id": form.object_id.data,
        "action": form.action.data or None,
        "actors": actor_ids_matching(actor) if actor else None, "actor_text": actor or None,
        "since": start_of(form.since.data) if form.since.data else None,
        "until": start_of(form.until.data + timedelta(days=1)) if form.until.data else None,
    }


@bp.route("/audit")
@login_required
def audit_log():
    authorize("audit.view")
    form = audit_filter_form()
    page = None
    if form.validate():
        page = db.paginate(entries_readable_by(current_user, **audit_filters(form)),
                           per_page=current_app.config["AUDIT_PER_PAGE"], error_out=False)
    return render_template("admin/audit.html", page=page, form=form,
                           filter_words=audit_filter_words(form) if not form.errors else [])


def audit_filter_words(form: AuditFilterForm) -> list[str]:
    """The filters in words, for the one line the folded form shows ("Пожертвование SW-2026-0000005", "Кто:
    Ахметова", "с 1 декабря 2026")."""
    words = []
    if form.object_type.data:
        kind = audit_labels.object_kind(form.object_type.data)
        if form.object_id.data is not None:
            words.append(number_of(form.object_type.data, form.object_id.data))
        elif kind is not None:
            words.append(str(kind.label))
    if (form.actor.data or "").strip():
        words.append(_("Who: %(name)s", name=form.actor.data.strip()))
    if form.action.data:
        action = audit_labels.action(form.action.data)
        words.append(str(action.label) if action is not None else form.action.data)
    if form.since.data:
        words.append(_("from %(date)s", date=format_day(form.since.data)))
    if form.until.data:
        words.append(_("to %(date)s", date=format_day(form.until.data)))
    return words
