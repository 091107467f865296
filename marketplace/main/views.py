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


@bp.route("/language", methods=["GET", "POST"])
def set_language():
    """The header's language switch. A visitor's is a GET form: a page with a POST form needs a CSRF token, and so a
    session cookie, which would make every public page uncacheable. It only sets the visitor's own session. A
    logged-in user's is a POST form with its token, as it also saves the account's language."""
    authorize("language.set")
    sent = request.form if request.method == "POST" else request.args
    code = sent.get("language", "")
    if code not in current_app.config["LANGUAGES"]:
        abort(400)
    session["locale"] = code
    if request.method == "POST" and current_user.is_authenticated:
        accounts.set_language(current_user, code)
        db.session.commit()
    return redirect(safe_next(sent.get("next")) or url_for("main.home"))


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
