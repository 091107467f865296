"""Home page, language switch, dashboards."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from marketplace.accounts import services as accounts
from marketplace.accounts.queries import pending_approval_count, staff_without_office_count
from marketplace.core.authz import authorize
from marketplace.core.database import ping
from marketplace.core.extensions import db
from marketplace.core.roles import Role
from marketplace.core.urls import safe_next
from marketplace.offices.queries import office_count, open_office_count

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    return render_template("main/home.html", office_count=open_office_count())


@bp.route("/language", methods=["POST"])
def set_language():
    authorize("language.set")
    code = request.form.get("language", "")
    if code not in current_app.config["LANGUAGES"]:
        abort(400)
    session["locale"] = code
    if current_user.is_authenticated:
        accounts.set_language(current_user, code)
        db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("main.home"))


@bp.route("/dashboard")
@login_required
def dashboard():
    context: dict = {}
    if current_user.role is Role.ADMIN:
        context["pending_partners"] = pending_approval_count()
        context["office_count"] = office_count()
        context["staff_without_office"] = staff_without_office_count()
    return render_template("main/dashboard.html", **context)


@bp.route("/healthz")
def healthz():
    ping()
    return {"status": "ok"}
