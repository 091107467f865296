"""The /api/v1 blueprint, its JSON answer and its error shapes; it imports nothing of the API, so that every
API module can import it.

Every error an API operation answers has the same shape, in the caller's language, with a stable machine
`code`: the helpers below, and the handlers that turn an `abort()` or a failed CSRF check inside the API into
that shape (the site's own handler would answer without a code).
"""
from __future__ import annotations

import json

from flask import Blueprint, Response
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")

PUBLIC_CACHE = "public, max-age=60"


def _json(payload: dict, status: int = 200, *, cache: bool = True) -> Response:
    """UTF-8 JSON (Cyrillic and Kazakh letters as they are, not as \\u escapes)."""
    response = Response(json.dumps(payload, ensure_ascii=False, separators=(",", ":")), status=status,
                        mimetype="application/json")
    if cache:
        response.headers["Cache-Control"] = PUBLIC_CACHE
    # Names, amounts and messages follow the request's language.
    response.vary.add("Accept-Language")
    return response


def _error(status: int, title: str, detail: str, **extra) -> Response:
    """An error in the API's shape: {"error": {status, title, detail, ...}}; never cached."""
    return _json({"error": {"status": status, "title": title, "detail": detail, **extra}}, status, cache=False)


def _not_found() -> Response:
    # The same answer for a need that does not exist and one that is not public.
    return _error(404, _("Page not found"), _("There is no public request for help with this number."),
                  code="not_found")


def _bad_request(detail: str, problems: list[tuple[str, str]], code: str = "invalid_parameters") -> Response:
    """400 with each (parameter or field, reason) that was wrong."""
    return _error(400, _("The request could not be understood"), detail, code=code,
                  invalid_params=[{"name": name, "reason": reason} for name, reason in problems])


@bp.errorhandler(CSRFError)
def _csrf_failed(error: CSRFError) -> Response:
    return _error(400, _("The request could not be understood"),
                  _("A request made with the website's session cookie must send the page's CSRF token in the "
                    "X-CSRFToken header. A personal API token needs none."), code="csrf_failed")


@bp.errorhandler(403)
def _forbidden(error) -> Response:
    return _error(403, _("You do not have access to this page"),
                  _("If you think this is a mistake, contact your reception office."), code="forbidden")


@bp.errorhandler(404)
def _no_such_object(error) -> Response:
    # An object that does not exist and one that is not the caller's get the same answer.
    return _error(404, _("Page not found"), _("The page may have moved, or the link is mistyped."),
                  code="not_found")
