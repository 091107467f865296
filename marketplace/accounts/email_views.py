"""Moving an account to a new e-mail address: asked on the account page, done by the link sent to the new one."""
from __future__ import annotations

from flask import current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts import links, services
from marketplace.accounts.forms import ChangeEmailForm
from marketplace.accounts.passwords import verify_password
from marketplace.accounts.views import EMAIL_FORM_PREFIX, account_page, bp
from marketplace.core.authz import authorize
from marketplace.core.extensions import db, limiter


@bp.route("/account/email", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_ACCOUNT"], methods=["POST"],
               key_func=lambda: f"email-change:{current_user.id}")
def change_email():
    authorize("account.edit_own", current_user)
    form = ChangeEmailForm(prefix=EMAIL_FORM_PREFIX)
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("The current password is wrong."))
        else:
            try:
                new_email = services.request_email_change(current_user, form.email.data)
            except services.AccountError as exc:
                form.email.errors.append(str(exc))
            else:
                db.session.commit()
                flash(_("We sent a link to %(email)s. Your address changes when you open it; until then letters "
                        "go to the old one.", email=new_email), "info")
                return redirect(url_for("accounts.account"))
    return account_page(email_form=form, status=400)


@bp.route("/account/email/confirm/<token>")
def confirm_email_change(token: str):
    """The link from the letter to the new address (it works logged in or not: it proves the mailbox)."""
    authorize("account.confirm_email")
    found = links.email_change_for_token(token)
    if found is None:
        flash(_("This link has expired or was already used."), "error")
        return redirect(url_for("accounts.account" if current_user.is_authenticated else "accounts.login"))
    user, new_email = found
    try:
        services.change_email(user, new_email)
    except services.AccountError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Your e-mail address is now %(email)s.", email=user.email), "success")
    return redirect(url_for("accounts.account" if current_user.is_authenticated else "accounts.login"))
