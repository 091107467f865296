"""Who is calling /api/v1: a personal API token (`Authorization: Bearer sw_…`) or the browser's session.

A token request carries no cookie, so it cannot be forged by another site and needs no CSRF token; a
cookie request can, so the API blueprint is exempt from the global CSRF check only because the hook
below checks it again for every request made with a logged-in cookie session. A request with neither is
nobody's: there is nothing to forge, so it is answered by the operation itself, with 401 where a login is
needed (never a CSRF 400 first). A token that is wrong, revoked or belongs to a disabled account is a 401:
never a fallback to the cookie session.
"""
from __future__ import annotations

from flask import Request, current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.accounts.tokens import user_for_token
from marketplace.api.blueprint import _error, bp
from marketplace.core.authz import UNSAFE_METHODS
from marketplace.core.extensions import csrf, login_manager

API_BLUEPRINT = bp.name


def bearer_token(req: Request) -> str | None:
    """The raw token of a Bearer Authorization header; "" for any other Authorization header; None without one."""
    header = req.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, value = header.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


@login_manager.request_loader
def load_user_from_token(req: Request):
    """Flask-Login's hook for requests without a cookie session; tokens are honoured under /api/v1 only."""
    if req.blueprint != API_BLUEPRINT:
        return None
    return user_for_token(bearer_token(req))


def unauthorized(*, bad_token: bool = False):
    """401 in the API's error shape, telling the client how to authenticate (RFC 6750's challenge)."""
    if bad_token:
        detail = _("This API token is not valid: it may have been revoked. Create a new one in your profile.")
        response = _error(401, _("Please log in to see this page."), detail, code="invalid_token")
        response.headers["WWW-Authenticate"] = 'Bearer realm="api", error="invalid_token"'
        return response
    detail = _("Log in, or send a personal API token: Authorization: Bearer sw_…")
    response = _error(401, _("Please log in to see this page."), detail, code="login_required")
    response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


csrf.exempt(bp)  # re-checked below for cookie sessions


@bp.before_request
def authenticate():
    """A token, when sent, decides alone who the caller is; without one, a logged-in cookie session needs CSRF."""
    raw = bearer_token(request)
    if raw is not None:
        user = user_for_token(raw)
        if user is None:
            return unauthorized(bad_token=True)
        # Replace whatever the cookie session may have loaded: the token wins, and a failed token
        # has already ended the request above.
        login_manager._update_request_context_with_user(user)
        return None
    if (request.method in UNSAFE_METHODS and current_user.is_authenticated
            and current_app.config.get("WTF_CSRF_ENABLED", True)):
        csrf.protect()
    return None


def require_login():
    """None when someone is authenticated; otherwise the 401 answer to return."""
    return None if current_user.is_authenticated else unauthorized()
