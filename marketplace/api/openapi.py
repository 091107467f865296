"""The OpenAPI 3.1 document of /api/v1, built from the same parameter definitions the views validate with."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from marketplace.api.openapi_claims import claim_paths, claim_request_schemas, claim_schemas, security_schemes
from marketplace.api.openapi_shapes import error_response, language_header, nullable, ref
from marketplace.api.schemas import CURRENCY, LIST_PARAMETERS, ORIGIN_PARAMETERS, ORIGIN_REQUIRES
from marketplace.geo.regions import REGIONS
from marketplace.needs import catalogue, labels
from marketplace.needs.models import Category, Urgency
from marketplace.needs.models import PUBLIC_STATES, NeedStatus

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"

def _need_parts() -> dict[str, Any]:
    """Shapes inside a need: its money, goods and volunteers."""
    minor = _("in KZT minor units (tiyn): 2500000 is 25 000 ₸")
    formatted = {"type": "string", "description": _("formatted for the request's language, e.g. “25 000 ₸”")}
    return {
        "Money": {
            "type": "object",
            "required": ["goal", "raised", "missing", "currency", "formatted"],
            "properties": {
                "goal": {"type": "integer", "minimum": 1, "description": minor},
                "raised": {"type": "integer", "minimum": 0, "description": minor},
                "missing": {"type": "integer", "minimum": 0, "description": minor},
                "currency": {"type": "string", "const": CURRENCY},
                "formatted": {
                    "type": "object", "required": ["goal", "raised", "missing"],
                    "properties": {"goal": formatted, "raised": formatted, "missing": formatted},
                },
            },
        },
        "GoodsLine": {
            "type": "object",
            "required": ["name", "quantity", "pledged", "missing", "unit"],
            "properties": {
                "name": {"type": "string"},
                "quantity": {"type": "integer", "minimum": 1},
                "pledged": {"type": "integer", "minimum": 0},
                "missing": {"type": "integer", "minimum": 0},
                "unit": nullable({"type": "string"}),
            },
        },
        "Volunteers": {
            "type": "object",
            "required": ["slots", "filled", "hours_each"],
            "properties": {
                "slots": {"type": "integer", "minimum": 1},
                "filled": {"type": "integer", "minimum": 0},
                "hours_each": nullable({"type": "number", "minimum": 0}),
            },
        },
    }


def _place_schemas() -> dict[str, Any]:
    """Where a need is and who verified it."""
    return {
        "Location": {
            "type": "object",
            "description": _("The need's public point: its settlement, or a point rounded to about a kilometre "
                             "(two decimals). Never a family's home."),
            "required": ["lat", "lon"],
            "properties": {
                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                "lon": {"type": "number", "minimum": -180, "maximum": 180},
            },
        },
        "Region": {
            "type": "object",
            "required": ["code", "name"],
            "properties": {
                "code": {"type": "string", "enum": [region.code for region in REGIONS]},
                "name": nullable({"type": "string"}),
            },
        },
        "Verified": {
            "type": "object",
            "required": ["office", "at"],
            "properties": {
                "office": nullable({"type": "string", "description": _(
                    "the name of the office that verified it, in the request's language")}),
                "at": nullable({"type": "string", "format": "date-time"}),
            },
        },
    }


def _need_schema() -> dict[str, Any]:
    """A need as the catalogue lists it."""
    return {
        "Need": {
            "type": "object",
            "required": ["id", "title", "description", "category", "category_name", "kinds", "urgency",
                         "urgency_name", "status", "status_name", "deadline", "settlement", "region", "location",
                         "money", "goods", "volunteers", "verified", "url"],
            "properties": {
                "id": {"type": "integer", "minimum": 1},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "category": {"type": "string", "enum": [category.value for category in Category]},
                "category_name": {"type": "string"},
                "kinds": {"type": "array", "items": {"type": "string", "enum": list(labels.KINDS)},
                          "uniqueItems": True},
                "urgency": {"type": "string", "enum": [urgency.value for urgency in Urgency]},
                "urgency_name": {"type": "string"},
                "status": {"type": "string", "enum": [status.value for status in NeedStatus if status in PUBLIC_STATES]},
                "status_name": {"type": "string"},
                "deadline": nullable({"type": "string", "format": "date"}),
                "settlement": nullable({"type": "string"}),
                "region": nullable(ref("Region")),
                "location": nullable(ref("Location")),
                "distance_km": {"type": "number", "minimum": 0,
                                "description": _("Kilometres from lat/lon to the public point; only when both "
                                                 "were given.")},
                "money": nullable(ref("Money")),
                "goods": {"type": "array", "items": ref("GoodsLine")},
                "volunteers": nullable(ref("Volunteers")),
                "verified": ref("Verified"),
                "url": {"type": "string", "format": "uri", "description": _("the need's page")},
            },
        },
    }


def _need_detail_schemas() -> dict[str, Any]:
    """The office to contact, a need's detail and a page of needs."""
    return {
        "Office": {
            "type": "object",
            "description": _("The reception office to contact to help with this need."),
            "required": ["name", "names", "settlement", "address", "phone", "email", "opening_hours", "url"],
            "properties": {
                "name": {"type": "string", "description": _(
                    "the office's name in the request's language; the Russian one when it has none in it")},
                "names": {
                    "type": "object",
                    "description": _("the office's name in each language; null where it has none (then the "
                                     "Russian one is shown)"),
                    "required": ["ru", "kk", "en"],
                    "properties": {"ru": {"type": "string"}, "kk": nullable({"type": "string"}),
                                   "en": nullable({"type": "string"})},
                },
                "settlement": {"type": "string"},
                "address": {"type": "string"},
                "phone": nullable({"type": "string"}),
                "email": nullable({"type": "string"}),
                "opening_hours": nullable({"type": "string"}),
                "url": nullable({"type": "string", "format": "uri"}),
            },
        },
        "NeedDetail": {
            "allOf": [
                ref("Need"),
                {
                    "type": "object",
                    "required": ["office", "outcome_note"],
                    "properties": {
                        "office": nullable(ref("Office")),
                        "outcome_note": nullable({"type": "string", "description": _(
                            "what the office recorded when the need was met")}),
                    },
                },
            ],
        },
        "NeedList": {
            "type": "object",
            "required": ["items", "page", "per_page", "total", "total_exact", "pages", "next", "prev"],
            "properties": {
                "items": {"type": "array", "items": ref("Need")},
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1, "maximum": catalogue.MAX_PER_PAGE},
                "total": {"type": "integer", "minimum": 0, "maximum": catalogue.COUNT_CAP, "description": _(
                    "how many needs match, counted up to 1,000")},
                "total_exact": {"type": "boolean", "description": _(
                    "false when more needs match than `total` says")},
                "pages": nullable({"type": "integer", "minimum": 0, "description": _(
                    "how many pages, when the count is exact")}),
                "next": nullable({"type": "string", "format": "uri"}),
                "prev": nullable({"type": "string", "format": "uri"}),
            },
        },
    }


def _error_schema() -> dict[str, Any]:
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["status", "title", "detail"],
                    "properties": {
                        "status": {"type": "integer"},
                        "title": {"type": "string"},
                        "detail": {"type": "string", "description": _("what was wrong, in the request's language")},
                        "code": {"type": "string", "description": _(
                            "what went wrong, for programs: the same in every language. invalid_parameters, "
                            "invalid_body, login_required, invalid_token, csrf_failed, forbidden, not_found, "
                            "illegal_transition, or why a claim was refused (already_taken, vetting_required…)")},
                        "invalid_params": {
                            "type": "array",
                            "items": {
                                "type": "object", "required": ["name", "reason"],
                                "properties": {"name": {"type": "string"}, "reason": {"type": "string"}},
                            },
                        },
                    },
                },
            },
        },
    }


def list_parameters() -> list[dict]:
    """The list endpoint's query parameters, straight from the definitions its view validates with.

    `lat`, `lon` and `radius_km` are one object parameter sent as `lat=…&lon=…&radius_km=…` (style form,
    exploded): OpenAPI has no rule between separate parameters, but an object's schema can say which
    properties need which (`dependentRequired`)."""
    origin = [parameter for parameter in LIST_PARAMETERS if parameter.name in ORIGIN_PARAMETERS]
    return [
        {"name": "origin", "in": "query", "required": False, "style": "form", "explode": True,
         "description": _("Where to measure distances from: “lat” and “lon” together, and “radius_km” only with "
                          "both. A missing partner is answered with 400."),
         "schema": {
             "type": "object",
             "properties": {parameter.name: {**parameter.schema(), "description": str(parameter.description)}
                            for parameter in origin},
             "additionalProperties": False,
             "dependentRequired": {name: list(needs) for name, needs in ORIGIN_REQUIRES.items()},
         }},
        *({"name": parameter.name, "in": "query", "required": False, "description": str(parameter.description),
           "schema": parameter.schema()}
          for parameter in LIST_PARAMETERS if parameter.name not in ORIGIN_PARAMETERS),
    ]


def _needs_paths() -> dict[str, Any]:
    """The public catalogue's endpoints."""
    cache = {"Cache-Control": {"description": _("Responses may be cached for a minute."),
                               "schema": {"type": "string"}}}
    return {
        "/needs": {
            "get": {
                "operationId": "listNeeds",
                "summary": _("Open verified needs"),
                "description": _("Most urgent first, then the newest; nearest first when lat and lon are given."),
                "parameters": [*list_parameters(), language_header()],
                "responses": {
                    "200": {"description": _("One page of needs"), "headers": cache,
                            "content": {"application/json": {"schema": ref("NeedList")}}},
                    "400": error_response(_("A parameter that is unknown, repeated, empty where the schema allows "
                                            "no empty value, or malformed; or lat, lon or radius_km without its "
                                            "partner (code invalid_parameters)")),
                },
            },
        },
        "/needs/{need_id}": {
            "get": {
                "operationId": "getNeed",
                "summary": _("One public need"),
                "parameters": [
                    {"name": "need_id", "in": "path", "required": True, "description": _("The need's id"),
                     "schema": {"type": "integer", "minimum": 1}},
                    language_header(),
                ],
                "responses": {
                    "200": {"description": _("The need"), "headers": cache,
                            "content": {"application/json": {"schema": ref("NeedDetail")}}},
                    "404": error_response(_("No public need has this id")),
                },
            },
        },
    }


def build_document(server_url: str = "/api/v1") -> dict:
    """The OpenAPI 3.1 document of the public needs API."""
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": _("Social Window public API"),
            "version": API_VERSION,
            "summary": _("Verified requests for help from families in Kazakhstan."),
            "description": _(
                "Open requests for help that a reception office has verified. Only public fields are published: "
                "never a family's name, phone, address, exact point or documents. Unknown or malformed query "
                "parameters are answered with 400 and an explanation. The volunteers' claim endpoints need a "
                "login: a personal API token (bearerAuth) or the website's session cookie with its CSRF token."),
        },
        "servers": [{"url": server_url}],
        "paths": {**_needs_paths(), **claim_paths()},
        "components": {"schemas": {**_need_parts(), **_place_schemas(), **_need_schema(), **_need_detail_schemas(),
                                   **_error_schema(), **claim_schemas(), **claim_request_schemas()},
                       "securitySchemes": security_schemes()},
    }
