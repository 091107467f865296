"""JSON endpoints of /api/v1: the public catalogue of needs and its OpenAPI document."""
from __future__ import annotations

from flask import request

from marketplace.api import openapi, schemas
from marketplace.api.blueprint import _bad_request, _json, _not_found, bp
from marketplace.needs import catalogue
from marketplace.core.public_cache import kept_for_visitors
from marketplace.core.urls import external_url


@bp.route("/needs")
@kept_for_visitors
def list_needs():
    try:
        query = schemas.parse_list_query(request.args)
    except schemas.QueryError as error:
        return _bad_request(error.detail, error.problems)
    results = catalogue.search(query.filters, query.origin, page=query.page, per_page=query.per_page,
                               after=query.after, before=query.before)

    def link(page: int | None, **cursor: str | None) -> str | None:
        if page is None:
            return None
        args = {key: value for key, value in query.given.items() if key not in ("after", "before")}
        args.update({key: value for key, value in cursor.items() if value})
        # On PUBLIC_URL, as every absolute address the site hands out (never the request's Host).
        return external_url("api_v1.list_needs", **{**args, "page": page, "per_page": results.per_page})

    if results.has_prev:
        prev = link(results.page - 1, before=results.prev_before)
    elif results.page > 1 and not results.items and results.total:  # past the end: back to the last page
        prev = link(min(results.page - 1, results.last_page))
    else:
        prev = None
    return _json({
        "items": [schemas.need_json(need, results.distances.get(need.id)) for need in results.items],
        "page": results.page,
        "per_page": results.per_page,
        "total": results.total,
        "total_exact": results.exact,
        "pages": results.pages,
        "next": link(results.next_num, after=results.next_after),
        "prev": prev,
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
