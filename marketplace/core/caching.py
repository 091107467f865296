"""What caches may keep. A response to someone logged in (by session or API token) can carry personal data — a
family's address, a receipt, a staff queue — so no browser, proxy or CDN may store it: `Cache-Control:
no-store`. The few anonymous pages that carry personal data (a reset or confirmation link's page, "check your
e-mail") say so with `personal_response()`. Anonymous public pages keep whatever their view set, and static
files their own long or revalidated life (core/static_files.py).

A visitor who sent no session cookie and still has nothing in the session gets no cookie and no `Vary: Cookie`:
the page is the one every such visitor gets, so a cache in front can keep it (a cache must still pass requests
that carry a cookie to the app, as the README's nginx example does). The session, and its cookie, start only
when something is put in it: a form's CSRF token, a log-in, a chosen language.
"""
from __future__ import annotations

from flask import Flask, Response, g, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_login import current_user

NO_STORE = "no-store"


def personal_response() -> None:
    """Mark this request's answer as personal, though nobody is logged in."""
    g.personal_response = True


def _is_personal() -> bool:
    if request.endpoint == "static":  # the same bytes for everyone
        return False
    if g.get("personal_response") or request.headers.get("Authorization"):
        return True
    # `current_user` is loaded lazily, from the session or an API token.
    return bool(current_user and current_user.is_authenticated)


def _forbid_storing_personal_responses(response: Response) -> Response:
    if _is_personal():
        response.headers["Cache-Control"] = NO_STORE
        response.headers.pop("Expires", None)
    return response


class VisitorSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, silent for static files and for visitors with no session at all."""

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if request.endpoint == "static":
            return
        if not session and self.get_cookie_name(app) not in request.cookies:
            return  # nothing to set or delete: the page is the one every visitor without the cookie gets
        super().save_session(app, session, response)


def register_cache_rules(app: Flask) -> None:
    app.session_interface = VisitorSessionInterface()
    app.after_request(_forbid_storing_personal_responses)
