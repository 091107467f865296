"""What caches may keep. A response to someone logged in (by session or API token) can carry personal data — a
family's address, a receipt, a staff queue — so no browser, proxy or CDN may store it: `Cache-Control:
no-store`. The few anonymous pages that carry personal data (a reset or confirmation link's page, "check your
e-mail") say so with `personal_response()`. Anonymous public pages keep whatever their view set.
"""
from __future__ import annotations

from flask import Flask, Response, g, request
from flask_login import current_user

NO_STORE = "no-store"


def personal_response() -> None:
    """Mark this request's answer as personal, though nobody is logged in."""
    g.personal_response = True


def _is_personal() -> bool:
    if g.get("personal_response") or request.headers.get("Authorization"):
        return True
    # `current_user` is loaded lazily: touching it here for a static file would read the session for nothing.
    return request.endpoint != "static" and bool(current_user and current_user.is_authenticated)


def _forbid_storing_personal_responses(response: Response) -> Response:
    if _is_personal():
        response.headers["Cache-Control"] = NO_STORE
        response.headers.pop("Expires", None)
    return response


def register_cache_rules(app: Flask) -> None:
    app.after_request(_forbid_storing_personal_responses)
