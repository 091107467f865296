"""JSON endpoints of /api/v1: the public catalogue of needs and its OpenAPI document."""
from __future__ import annotations

import json

from flask import Blueprint, Response, request, url_for
from flask_babel import gettext as _

from marketplace.api import openapi, schemas
from marketplace.needs import catalogue

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


def _not_found() -> Response:
    # The same answer for a need that does not exist and one that is not public.
    return _json({"error": {"status": 404, "title": _("Page not found"),
                            "detail": _("There is no public request for help with this number.")}}, 404, cache=False)


def _bad_request(error: schemas.QueryError) -> Response:
    return _json({"error": {
        "status": 400,
        "title": _("The request could not be understood"),
        "detail": error.detail,
        "invalid_params": [{"name": name, "reason": reason} for name, reason in error.problems],
    }}, 400, cache=False)


@bp.route("/needs")
def list_needs():
    try:
        query = schemas.parse_list_query(request.args)
    except schemas.QueryError as error:
        return _bad_request(error)
    results = catalogue.search(query.filters, query.origin, page=query.page, per_page=query.per_page)

    def link(page: int | None) -> str | None:
        if page is None:
            return None
        return url_for("api_v1.list_needs", _external=True, **{**query.given, "page": page,
                                                               "per_page": results.per_page})

    prev_page = min(results.page - 1, results.pages) if results.page > 1 and results.pages else None
    return _json({
        "items": [schemas.need_json(need, results.distances.get(need.id)) for need in results.items],
        "page": results.page,
        "per_page": results.per_page,
        "total": results.total,
        "pages": results.pages,
        "next": link(results.next_num),
        "prev": link(prev_page),
    })


@bp.route("/needs/<int:need_id>")
def get_need(need_id: int):
    need = catalogue.public_need(need_id)
    if need is None:
        return _not_found()
    return _json(schemas.need_detail_json(need))


@bp.route("/openapi.json")
def openapi_document():
    return _json(openapi.build_document(request.script_root + bp.url_prefix))
