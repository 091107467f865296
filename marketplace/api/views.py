"""JSON endpoints of /api/v1: the public catalogue of needs and its OpenAPI document."""
from __future__ import annotations

from flask import request

from marketplace.api import openapi, schemas
from marketplace.api.blueprint import _bad_request, _json, _not_found, bp
from marketplace.needs import catalogue
from marketplace.core.urls import external_url


@bp.route("/needs")
def list_needs():
    try:
        query = schemas.parse_list_query(request.args)
    except schemas.QueryError as error:
        return _bad_request(error.detail, error.problems)
    results = catalogue.search(query.filters, query.origin, page=query.page, per_page=query.per_page)

    def link(page: int | None) -> str | None:
        if page is None:
            return None
        # On PUBLIC_URL, as every absolute address the site hands out (never the request's Host).
        return external_url("api_v1.list_needs", **{**query.given, "page": page, "per_page": results.per_page})

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
