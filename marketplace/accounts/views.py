"""Sign up, log in and out, passwords and sessions."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

import marketplace.accounts.policies  # noqa: F401  (registers the policies)
from marketplace.core import audit
from marketplace.accounts import links, notices, queries, services
from marketplace.accounts.forms import (
    ChangeEmailForm, ChangePasswordForm, ConfirmForm, ConfirmSignupForm, ForgotPasswordForm, LoginForm, ProfileForm,
    ResetPasswordForm, SignupForm,
)
from marketplace.core.roles import Role
from marketplace.accounts.models import AccountStatus, PatronKind
from marketplace.accounts.passwords import verify_password
from marketplace.accounts.sessions import end_session, start_session
from marketplace.core.authz import authorize, can
from marketplace.core.caching import personal_response
from marketplace.core.extensions import db, limiter
from marketplace.notifications import queue_email
from marketplace.core.urls import external_url, safe_next

bp = Blueprint("accounts", __name__)

SIGNUP_ROLES = {
    "family": (Role.FAMILY, _l("I need help"), _l("A family asking for support: post needs, follow your cases.")),
    "volunteer": (Role.VOLUNTEER, _l("I want to volunteer"), _l("Help families near you with tasks, visits and mentoring.")),
    "patron": (Role.PATRON, _l("I want to give"), _l("Pledge money or goods to verified needs, as a person or a company.")),
    "partner": (Role.PARTNER, _l("We are an NGO"), _l("Take document-help cases with the offices. An admin approves organisations.")),
}


def _submitted_email() -> str:
    return "account:" + services.normalise_email(request.form.get("email", ""))


def _login_failed(response) -> bool:
    return response.status_code != 302


def _form_accepted(response) -> bool:
    return response.status_code == 302


def _flash_revoked_tokens(revoked) -> None:
    """Say which API tokens stopped working, so that the owner knows which apps need a new one."""
    if revoked.tokens:
        flash(_("These API tokens no longer work: %(names)s. Make new ones under “API tokens”.",
                names=", ".join(revoked.tokens)), "info")


@bp.route("/signup")
def signup_choose():
    return render_template("accounts/signup_choose.html", roles=SIGNUP_ROLES)


@bp.route("/signup/<role>", methods=["GET", "POST"])
# Only sign-ups that send a letter count: a family told its password is too weak may try again freely.
@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_IP"], methods=["POST"], deduct_when=_form_accepted)
def signup(role: str):
    if role not in SIGNUP_ROLES:
        abort(404)
    if current_user.is_authenticated and request.method == "GET":
        flash(_("You are already logged in."), "info")
        return redirect(url_for("main.dashboard"))
    authorize("account.sign_up")
    form = SignupForm(role)
    if form.validate_on_submit():
        data = services.SignupData(
            role=SIGNUP_ROLES[role][0],
            email=form.email.data,
            password=form.password.data,
            full_name=form.full_name.data,
            phone=form.phone.data,
            locale=session.get("locale") or str(request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "ru"),
            organisation_name=form.organisation_name.data if role in ("partner", "patron") else None,
            patron_kind=PatronKind(form.patron_kind.data) if role == "patron" else None,
            bin=(form.bin.data or "").strip() or None,
        )
        try:
            result = services.sign_up(data)
        except services.AccountError as exc:
            form.email.errors.append(str(exc))
        else:
            if result.user is not None:
                link = external_url("accounts.confirm_signup", token=links.make_token(links.CONFIRM_SIGNUP, result.user))
                notices.confirm_signup(result.user, link)
            elif result.owner is not None:
                notices.signup_with_taken_address(result.owner)
            db.session.commit()
            # The same page whether the address was free or taken: the form does not tell who has an account.
            session["signup_email"] = services.normalise_email(form.email.data)
            return redirect(url_for("accounts.signup_sent"))
    return render_template("accounts/signup.html", form=form, role=role, role_info=SIGNUP_ROLES[role])


@bp.route("/signup/sent")
def signup_sent():
    authorize("account.sign_up")
    personal_response()  # it names the address typed
    return render_template("accounts/check_email.html", email=session.get("signup_email"))


@bp.route("/signup/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_IP"], methods=["POST"])
def confirm_signup(token: str):
    """The link from the sign-up letter: typing the password chosen at sign-up finishes it, so that a link
    opened by someone who did not sign up (or a sign-up made in their name) opens nothing."""
    authorize("account.confirm_email")
    personal_response()  # the page's address holds the link's secret
    user = links.user_for_signup_token(token)
    if user is None and current_user.is_authenticated:  # the letter's link opened again after it did its work
        return redirect(url_for("main.dashboard"))
    if user is None:
        flash(_("This link has expired or was already used. Log in, or sign up again."), "error")
        return redirect(url_for("accounts.login"))
    form = ConfirmSignupForm()
    if form.validate_on_submit():
        if not verify_password(user.password_hash, form.password.data):
            form.password.errors.append(_("This is not the password you chose when signing up."))
        else:
            services.confirm_signup(user)
            if current_user.is_authenticated:
                end_session(current_user)
            session.clear()
            start_session(user)
            audit.record("account.log_in", user, actor=user)
            if user.locale:
                session["locale"] = user.locale
            db.session.commit()
            if user.status is AccountStatus.PENDING_APPROVAL:
                flash(_("Thank you! Your organisation is waiting for an administrator's approval."), "info")
            else:
                flash(_("Welcome to Social Window! Your account is ready."), "success")
            return redirect(url_for("main.dashboard"))
    return render_template("accounts/confirm_signup.html", form=form, email=user.email)


@bp.route("/login", methods=["GET", "POST"])
# Failed log-ins only: an office or a mobile operator's shared address logs many people in.
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=_login_failed)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_submitted_email, methods=["POST"],
    deduct_when=_login_failed,
)
def login():
    form = LoginForm()
    next_url = safe_next(request.args.get("next") or request.form.get("next"))
    authorize("account.log_in")
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None and user.status is AccountStatus.UNCONFIRMED:
            # The right password of a sign-up not yet confirmed: the letter goes again, and the page says what
            # it says for a wrong password, so that it cannot tell a free address from a taken one.
            notices.confirm_signup(user, external_url("accounts.confirm_signup",
                                                      token=links.make_token(links.CONFIRM_SIGNUP, user)))
            db.session.commit()
            user = None
        if user is None:
            form.password.errors.append(_("The e-mail or the password is wrong."))
        elif not user.is_active:
            form.email.errors.append(
                _("This account is disabled. Contact your reception office.")
                if user.status is AccountStatus.DISABLED
                else _("This organisation was not approved.")
            )
        else:
            if current_user.is_authenticated:
                end_session(current_user)
            chosen_locale = session.get("locale")
            session.clear()  # nothing of the anonymous session carries over, but the language
            start_session(user)
            audit.record("account.log_in", user, actor=user)
            if not user.locale and chosen_locale:
                services.set_language(user, chosen_locale)
            if user.locale:
                session["locale"] = user.locale
            db.session.commit()
            return redirect(next_url or url_for("main.dashboard"))
    return render_template("accounts/login.html", form=form, next_url=next_url)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    authorize("account.log_out")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    audit.record("account.log_out", current_user._get_current_object())
    end_session(current_user)
    db.session.commit()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("main.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_ACCOUNT"], key_func=_submitted_email, methods=["POST"])
def forgot_password():
    authorize("account.reset_password")
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = services.find_by_email(form.email.data)
        if user is not None and user.status is AccountStatus.UNCONFIRMED:
            # Not an account yet: the sign-up's letter again (a forgotten password is fixed by signing up anew).
            notices.confirm_signup(user, external_url("accounts.confirm_signup",
                                                      token=links.make_token(links.CONFIRM_SIGNUP, user)))
            db.session.commit()
        elif user is not None and user.is_active:
            link = external_url("accounts.reset_password", token=services.reset_token(user))
            queue_email(user, _l("Reset your Social Window password"), "password_reset", link=link)
            db.session.commit()
        # The same answer either way, so that the form does not reveal who has an account.
        flash(_("If an account exists for this address, we have sent a link to reset the password. "
                "It works for one hour."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_IP"], methods=["POST"])
def reset_password(token: str):
    authorize("account.reset_password")
    personal_response()  # the page's address holds the link's secret
    user = services.user_for_reset_token(token)
    if user is None:
        flash(_("This link has expired or was already used. Ask for a new one."), "error")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    form.account = user  # the new password is checked against this account's name and address
    if form.validate_on_submit():
        revoked = services.change_password(user, form.password.data, actor=user, reason="reset")
        db.session.commit()
        flash(_("Your password has been changed. Please log in with the new password."), "success")
        _flash_revoked_tokens(revoked)
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


EMAIL_FORM_PREFIX = "change_email"  # its fields must not share ids with the password form's on the same page


def account_page(*, form=None, password_form=None, email_form=None, status: int = 200):
    """The account page, with whichever of its forms failed shown with its errors."""
    form = form or ProfileForm(obj=current_user, locale=current_user.locale or session.get("locale") or "ru")
    return render_template(
        "accounts/account.html", form=form, password_form=password_form or ChangePasswordForm(),
        email_form=email_form or ChangeEmailForm(formdata=None, prefix=EMAIL_FORM_PREFIX), confirm_form=ConfirmForm(),
        sessions=queries.open_sessions_of(current_user), holds_tokens=can(current_user, "api_token.manage_own"),
    ), status


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    authorize("account.edit_own", current_user)
    form = ProfileForm(obj=current_user, locale=current_user.locale or session.get("locale") or "ru")
    if form.validate_on_submit():
        services.update_profile(current_user, full_name=form.full_name.data, phone=form.phone.data or None,
                                locale=form.locale.data)
        session["locale"] = form.locale.data
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("accounts.account"))
    return account_page(form=form)


@bp.route("/account/password", methods=["POST"])
@login_required
def change_password():
    authorize("account.edit_own", current_user)
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("The current password is wrong."))
        else:
            revoked = services.change_password(current_user, form.password.data, actor=current_user,
                                               keep_session=current_user.current_session)
            db.session.commit()
            flash(_("Your password has been changed. You have been logged out on every other device."), "success")
            _flash_revoked_tokens(revoked)
            return redirect(url_for("accounts.account"))
    return account_page(password_form=form, status=400)


@bp.route("/account/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    authorize("account.edit_own", current_user)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    revoked = services.log_out_everywhere(current_user)
    end_session(current_user)
    db.session.commit()
    session.clear()
    flash(_("You have been logged out on every device."), "info")
    _flash_revoked_tokens(revoked)
    return redirect(url_for("accounts.login"))
