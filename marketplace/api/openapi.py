"""The OpenAPI 3.1 document of /api/v1, built from the same parameter definitions the views validate with."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from marketplace.api.schemas import CURRENCY, LIST_PARAMETERS
from marketplace.geo.regions import REGIONS
from marketplace.needs import catalogue, labels
from marketplace.needs.models import Category, Urgency
from marketplace.needs.models import PUBLIC_STATES, NeedStatus

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
                "status": {"type": "string", "enum": [status.value for status in NeedStatus if status in PUBLIC_STATES]},
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
                        "code": {"type": "string", "description": _(
                            "why a claim was refused or a change is not possible now, e.g. already_taken, "
                            "vetting_required, illegal_transition")},
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


def _claim_schemas() -> dict[str, Any]:
    """Shapes of the volunteers' claim endpoints (the phone app)."""
    from marketplace.api.claims import MAX_HOURS, MAX_NOTE, MIN_HOURS
    from marketplace.volunteering.models import ClaimStatus

    moment = {"type": "string", "format": "date-time"}
    return {
        "Claim": {
            "type": "object",
            "required": ["id", "need_id", "status", "created_at"],
            "properties": {
                "id": {"type": "integer", "minimum": 1},
                "need_id": {"type": "integer", "minimum": 1},
                "status": {"type": "string", "enum": [status.value for status in ClaimStatus]},
                "created_at": moment,
            },
        },
        "ClaimResult": {"type": "object", "required": ["claim"], "properties": {"claim": _ref("Claim")}},
        "FamilyContact": {
            "type": "object",
            "description": _("The family's address and phone: only while the claim is accepted and not yet "
                             "confirmed. Every time it is sent, the reveal is written to the audit log."),
            "required": ["address", "phone", "settlement"],
            "properties": {"address": _nullable({"type": "string"}), "phone": _nullable({"type": "string"}),
                           "settlement": _nullable({"type": "string"})},
        },
        "MyClaim": {
            "allOf": [
                _ref("Claim"),
                {
                    "type": "object",
                    "required": ["need_title", "settlement", "done_at", "confirmed_at", "hours", "report_note",
                                 "contact"],
                    "properties": {
                        "need_title": {"type": "string"},
                        "settlement": _nullable({"type": "string"}),
                        "done_at": _nullable(moment),
                        "confirmed_at": _nullable(moment),
                        "hours": _nullable({"type": "number"}),
                        "report_note": _nullable({"type": "string"}),
                        "contact": _nullable(_ref("FamilyContact")),
                    },
                },
            ],
        },
        "MyClaimList": {"type": "object", "required": ["items"],
                        "properties": {"items": {"type": "array", "items": _ref("MyClaim")}}},
        "ReleaseRequest": {
            "type": "object",
            "properties": {"reason": {"type": "string", "maxLength": 1000}},
        },
        "CompleteRequest": {
            "type": "object",
            "required": ["hours"],
            "properties": {
                "hours": {"type": "number", "minimum": MIN_HOURS, "maximum": MAX_HOURS,
                          "description": _("hours spent on the task")},
                "note": {"type": "string", "maxLength": MAX_NOTE, "description": _("what was done")},
            },
        },
    }


def _security_schemes() -> dict[str, Any]:
    return {
        "bearerAuth": {
            "type": "http", "scheme": "bearer", "bearerFormat": "sw_…",
            "description": _("A personal API token that a volunteer creates (and revokes) on their profile's "
                             "API tokens page. A wrong or revoked token is answered with 401, whatever cookie "
                             "is sent. No CSRF token is needed."),
        },
        "cookieSession": {
            "type": "apiKey", "in": "cookie", "name": "session",
            "description": _("The website's login session. Requests that change something must also send the "
                             "page's CSRF token in the X-CSRFToken header."),
        },
    }


def _claim_paths() -> dict[str, Any]:
    security = [{"bearerAuth": []}, {"cookieSession": []}]
    ok = {"content": {"application/json": {"schema": _ref("ClaimResult")}}}
    auth_errors = {
        "401": _error_response(_("Not logged in, or the API token is wrong or revoked")),
        "403": _error_response(_("Only volunteers can do this")),
    }
    claim_errors = {
        **auth_errors,
        "404": _error_response(_("No claim of yours has this id")),
        "409": _error_response(_("Not possible in the claim's current state (code illegal_transition)")),
    }

    def claim_id() -> dict:
        return {"name": "claim_id", "in": "path", "required": True, "description": _("The claim's id"),
                "schema": {"type": "integer", "minimum": 1}}

    def body(schema: str, required: bool) -> dict:
        return {"required": required, "content": {
            "application/json": {"schema": _ref(schema)},
            "application/x-www-form-urlencoded": {"schema": _ref(schema)},
        }}

    return {
        "/needs/{need_id}/claims": {
            "post": {
                "operationId": "claimNeed",
                "summary": _("Take a volunteer place of a need"),
                "security": security,
                "parameters": [{"name": "need_id", "in": "path", "required": True, "description": _("The need's id"),
                                "schema": {"type": "integer", "minimum": 1}}, _language_header()],
                "responses": {
                    "201": {"description": _("The place is yours"), **ok},
                    **auth_errors,
                    "404": _error_response(_("No need has this id")),
                    "409": _error_response(_("Refused, with a code: already_taken, already_yours, not_open, "
                                             "no_profile, vetting_required, parent_consent_missing…")),
                },
            },
        },
        "/claims/{claim_id}/release": {
            "post": {
                "operationId": "releaseClaim",
                "summary": _("Give a task back"),
                "security": security,
                "parameters": [claim_id(), _language_header()],
                "requestBody": body("ReleaseRequest", False),
                "responses": {"200": {"description": _("Released; the place is free again"), **ok}, **claim_errors},
            },
        },
        "/claims/{claim_id}/complete": {
            "post": {
                "operationId": "completeClaim",
                "summary": _("Report a task done"),
                "description": _("From claimed or in progress to done; the family or the office then confirms it."),
                "security": security,
                "parameters": [claim_id(), _language_header()],
                "requestBody": body("CompleteRequest", True),
                "responses": {
                    "200": {"description": _("Reported done"), **ok},
                    "400": _error_response(_("Hours missing or outside 0.5–24, or the note too long")),
                    **claim_errors,
                },
            },
        },
        "/me/claims": {
            "get": {
                "operationId": "listMyClaims",
                "summary": _("My tasks, newest first"),
                "security": security,
                "parameters": [_language_header()],
                "responses": {
                    "200": {"description": _("The caller's claims"),
                            "content": {"application/json": {"schema": _ref("MyClaimList")}}},
                    **auth_errors,
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
                "parameters are answered with 400 and an explanation. The volunteers' claim endpoints need a "
                "login: a personal API token (bearerAuth) or the website's session cookie with its CSRF token."),
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
            **_claim_paths(),
        },
        "components": {"schemas": {**_component_schemas(), **_claim_schemas()},
                       "securitySchemes": _security_schemes()},
    }
