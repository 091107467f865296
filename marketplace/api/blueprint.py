"""The /api/v1 blueprint, its JSON answer and its error shapes; it imports nothing of the API, so that every
API module can import it."""
from __future__ import annotations

import json

from flask import Blueprint, Response
from flask_babel import gettext as _

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
    return _json({"error": {"status": 404, "title": _("Page not found"),
                            "detail": _("There is no public request for help with this number.")}}, 404, cache=False)


def _bad_request(detail: str, problems: list[tuple[str, str]]) -> Response:
    """400 with each (parameter, reason) that was wrong."""
    return _json({"error": {
        "status": 400,
        "title": _("The request could not be understood"),
        "detail": detail,
        "invalid_params": [{"name": name, "reason": reason} for name, reason in problems],
    }}, 400, cache=False)
