"""The OpenAPI 3.1 document of /api/v1, built from the same parameter definitions the views validate with."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from marketplace.api.schemas import CURRENCY, LIST_PARAMETERS
from marketplace.geo.regions import REGIONS
from marketplace.needs import catalogue, labels
from marketplace.needs.models import Category, Urgency
from marketplace.needs.services import PUBLIC_STATES

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"


def _nullable(schema: dict) -> dict:
    """The schema, or null (JSON Schema 2020-12 spelling; OpenAPI 3.1 has no `nullable`)."""
    return {"anyOf": [schema, {"type": "null"}]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _component_schemas() -> dict[str, Any]:
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
                "unit": _nullable({"type": "string"}),
            },
        },
        "Volunteers": {
            "type": "object",
            "required": ["slots", "filled", "hours_each"],
            "properties": {
                "slots": {"type": "integer", "minimum": 1},
                "filled": {"type": "integer", "minimum": 0},
                "hours_each": _nullable({"type": "number", "minimum": 0}),
            },
        },
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
                "name": _nullable({"type": "string"}),
            },
        },
        "Verified": {
            "type": "object",
            "required": ["office", "at"],
            "properties": {
                "office": _nullable({"type": "string", "description": _("the name of the office that verified it")}),
                "at": _nullable({"type": "string", "format": "date-time"}),
            },
        },
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
                "status": {"type": "string", "enum": [status.value for status in PUBLIC_STATES]},
                "status_name": {"type": "string"},
                "deadline": _nullable({"type": "string", "format": "date"}),
                "settlement": _nullable({"type": "string"}),
                "region": _nullable(_ref("Region")),
                "location": _nullable(_ref("Location")),
                "distance_km": {"type": "number", "minimum": 0,
                                "description": _("Kilometres from lat/lon to the public point; only when both "
                                                 "were given.")},
                "money": _nullable(_ref("Money")),
                "goods": {"type": "array", "items": _ref("GoodsLine")},
                "volunteers": _nullable(_ref("Volunteers")),
                "verified": _ref("Verified"),
                "url": {"type": "string", "format": "uri", "description": _("the need's page")},
            },
        },
        "Office": {
            "type": "object",
            "description": _("The reception office to contact to help with this need."),
            "required": ["name", "settlement", "address", "phone", "email", "opening_hours", "url"],
            "properties": {
                "name": {"type": "string"},
                "settlement": {"type": "string"},
                "address": {"type": "string"},
                "phone": _nullable({"type": "string"}),
                "email": _nullable({"type": "string"}),
                "opening_hours": _nullable({"type": "string"}),
                "url": _nullable({"type": "string", "format": "uri"}),
            },
        },
        "NeedDetail": {
            "allOf": [
                _ref("Need"),
                {
                    "type": "object",
                    "required": ["office", "outcome_note"],
                    "properties": {
                        "office": _nullable(_ref("Office")),
                        "outcome_note": _nullable({"type": "string", "description": _(
                            "what the office recorded when the need was met")}),
                    },
                },
            ],
        },
        "NeedList": {
            "type": "object",
            "required": ["items", "page", "per_page", "total", "pages", "next", "prev"],
            "properties": {
                "items": {"type": "array", "items": _ref("Need")},
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1, "maximum": catalogue.MAX_PER_PAGE},
                "total": {"type": "integer", "minimum": 0},
                "pages": {"type": "integer", "minimum": 0},
                "next": _nullable({"type": "string", "format": "uri"}),
                "prev": _nullable({"type": "string", "format": "uri"}),
            },
        },
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


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _language_header() -> dict:
    return {
        "name": "Accept-Language", "in": "header", "required": False,
        "description": _("Language of names, formatted amounts and error messages: ru (default), kk or en."),
        "schema": {"type": "string"},
    }


def list_parameters() -> list[dict]:
    """The list endpoint's query parameters, straight from the definitions its view validates with."""
    return [
        {"name": parameter.name, "in": "query", "required": False, "description": str(parameter.description),
         "schema": parameter.schema()}
        for parameter in LIST_PARAMETERS
    ]


def build_document(server_url: str = "/api/v1") -> dict:
    """The OpenAPI 3.1 document of the public needs API."""
    cache = {"Cache-Control": {"description": _("Responses may be cached for a minute."),
                               "schema": {"type": "string"}}}
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": _("Social Window public API"),
            "version": API_VERSION,
            "summary": _("Verified requests for help from families in Kazakhstan."),
            "description": _(
                "Open requests for help that a reception office has verified. Only public fields are published: "
                "never a family's name, phone, address, exact point or documents. Unknown or malformed query "
                "parameters are answered with 400 and an explanation."),
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/needs": {
                "get": {
                    "operationId": "listNeeds",
                    "summary": _("Open verified needs"),
                    "description": _("Most urgent first, then the newest; nearest first when lat and lon are given."),
                    "parameters": [*list_parameters(), _language_header()],
                    "responses": {
                        "200": {"description": _("One page of needs"), "headers": cache,
                                "content": {"application/json": {"schema": _ref("NeedList")}}},
                        "400": _error_response(_("An unknown or malformed parameter")),
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
                        _language_header(),
                    ],
                    "responses": {
                        "200": {"description": _("The need"), "headers": cache,
                                "content": {"application/json": {"schema": _ref("NeedDetail")}}},
                        "404": _error_response(_("No public need has this id")),
                    },
                },
            },
        },
        "components": {"schemas": _component_schemas()},
    }
