"""Home page, language switch, dashboards."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from marketplace.core.roles import Role

from marketplace.accounts.models import AccountStatus, User
from marketplace.core.urls import safe_next
from marketplace.core.authz import authorize
from marketplace.core.extensions import db
from marketplace.offices.models import Office

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    office_count = db.session.scalar(select(func.count()).select_from(Office).where(Office.is_active.is_(True)))
    return render_template("main/home.html", office_count=office_count)


@bp.route("/language", methods=["POST"])
def set_language():
    authorize("language.set")
    code = request.form.get("language", "")
    if code not in current_app.config["LANGUAGES"]:
        abort(400)
    session["locale"] = code
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("main.home"))


@bp.route("/dashboard")
@login_required
def dashboard():
    context: dict = {}
    if current_user.role is Role.ADMIN:
        context["pending_partners"] = db.session.scalar(
            select(func.count()).select_from(User).where(User.status == AccountStatus.PENDING_APPROVAL)
        )
        context["office_count"] = db.session.scalar(select(func.count()).select_from(Office))
        context["staff_without_office"] = db.session.scalar(
            select(func.count()).select_from(User).where(User.role == Role.STAFF, User.office_id.is_(None))
        )
    return render_template("main/dashboard.html", **context)


@bp.route("/healthz")
def healthz():
    db.session.execute(select(1))
    return {"status": "ok"}
