"""Profile pages where a volunteer creates and revokes personal API tokens for the phone app."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from marketplace.accounts import tokens
from marketplace.accounts.models import ApiToken
from marketplace.accounts.views import bp
from marketplace.core.authz import authorize
from marketplace.core.extensions import db


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name of the device"),
        validators=[DataRequired(message=_l("Name the token, e.g. “My phone”.")), Length(max=80)],
        description=_l("So that you can tell your tokens apart, e.g. “My phone”."),
    )


def _page(form: TokenForm, new_token: str | None = None, status: int = 200):
    response = make_response(render_template(
        "accounts/tokens.html", form=form, tokens=tokens.tokens_of(current_user),
        new_token=new_token), status)
    # The raw token is on this page once: no cache may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/tokens", endpoint="tokens")
@login_required
def tokens_page():
    authorize("api_token.manage_own")
    return _page(TokenForm())


@bp.route("/account/tokens", methods=["POST"])
@login_required
def create_token():
    authorize("api_token.manage_own")
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    _token, raw = tokens.create_token(current_user, form.name.data)
    db.session.commit()
    # Shown in this response only (never in a flash message or the session, which live in a cookie).
    return _page(TokenForm(formdata=None), new_token=raw)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    authorize("api_token.revoke", token)
    tokens.revoke_token(token, current_user)
    db.session.commit()
    flash(_("The token “%(name)s” no longer works.", name=token.name), "success")
    return redirect(url_for("accounts.tokens"))
