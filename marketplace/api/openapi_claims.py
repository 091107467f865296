"""The claim endpoints' part of the OpenAPI document: their shapes, paths and ways to authenticate."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from marketplace.api.bodies import MAX_REASON
from marketplace.api.openapi_shapes import error_response, language_header, nullable, ref
from marketplace.volunteering.models import ClaimStatus
from marketplace.volunteering.reports import MAX_HOURS, MAX_NOTE, MIN_HOURS


def claim_schemas() -> dict[str, Any]:
    """Shapes of the volunteers' claims (the phone app)."""
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
        "ClaimResult": {"type": "object", "required": ["claim"], "properties": {"claim": ref("Claim")}},
        "FamilyContact": {
            "type": "object",
            "description": _("The family's address and phone: only while the claim is accepted and not yet "
                             "confirmed. Every time it is sent, the reveal is written to the audit log."),
            "required": ["address", "phone", "settlement"],
            "properties": {"address": nullable({"type": "string"}), "phone": nullable({"type": "string"}),
                           "settlement": nullable({"type": "string"})},
        },
        "MyClaim": {
            "allOf": [
                ref("Claim"),
                {
                    "type": "object",
                    "required": ["need_title", "settlement", "done_at", "confirmed_at", "hours", "report_note",
                                 "contact"],
                    "properties": {
                        "need_title": {"type": "string"},
                        "settlement": nullable({"type": "string"}),
                        "done_at": nullable(moment),
                        "confirmed_at": nullable(moment),
                        "hours": nullable({"type": "number"}),
                        "report_note": nullable({"type": "string"}),
                        "contact": nullable(ref("FamilyContact")),
                    },
                },
            ],
        },
        "MyClaimList": {"type": "object", "required": ["items"],
                        "properties": {"items": {"type": "array", "items": ref("MyClaim")}}},
    }


def claim_request_schemas() -> dict[str, Any]:
    """Bodies the claim endpoints accept; the report's limits are volunteering.reports'."""
    return {
        "ReleaseRequest": {
            "type": "object",
            "properties": {"reason": {"type": "string", "maxLength": MAX_REASON}},
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


def security_schemes() -> dict[str, Any]:
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


def _auth_errors() -> dict[str, Any]:
    challenge = {"WWW-Authenticate": {"description": _("How to authenticate: a Bearer token"), "required": True,
                                      "schema": {"type": "string"}}}
    return {
        "401": {**error_response(_("Not logged in (code login_required), or the API token is wrong or revoked "
                                   "(code invalid_token)")), "headers": challenge},
        "403": error_response(_("Only volunteers can do this")),
    }


def _claim_id() -> dict:
    return {"name": "claim_id", "in": "path", "required": True, "description": _("The claim's id"),
            "schema": {"type": "integer", "minimum": 1}}


def _body(schema: str, required: bool) -> dict:
    return {"required": required, "content": {
        "application/json": {"schema": ref(schema)},
        "application/x-www-form-urlencoded": {"schema": ref(schema)},
    }}


def _security() -> list[dict]:
    return [{"bearerAuth": []}, {"cookieSession": []}]


def _ok() -> dict[str, Any]:
    return {"content": {"application/json": {"schema": ref("ClaimResult")}}}


def _claim_errors() -> dict[str, Any]:
    return {
        **_auth_errors(),
        "404": error_response(_("No claim of yours has this id")),
        "409": error_response(_("Not possible in the claim's current state (code illegal_transition)")),
    }


def claim_paths() -> dict[str, Any]:
    """The volunteers' claim endpoints."""
    return {**_claim_need_path(), **_own_claim_paths()}


def _claim_need_path() -> dict[str, Any]:
    return {
        "/needs/{need_id}/claims": {
            "post": {
                "operationId": "claimNeed",
                "summary": _("Take a volunteer place of a need"),
                "security": _security(),
                "parameters": [{"name": "need_id", "in": "path", "required": True, "description": _("The need's id"),
                                "schema": {"type": "integer", "minimum": 1}}, language_header()],
                "responses": {
                    "201": {"description": _("The place is yours"), **_ok()},
                    "400": error_response(_("The session cookie was sent without its CSRF token (code csrf_failed)")),
                    **_auth_errors(),
                    "404": error_response(_("No need has this id")),
                    "409": error_response(_("Refused, with a code: already_taken, already_yours, not_open, "
                                             "no_profile, vetting_required, parent_consent_missing…")),
                },
            },
        },
    }


def _own_claim_paths() -> dict[str, Any]:
    return {
        "/claims/{claim_id}/release": {
            "post": {
                "operationId": "releaseClaim",
                "summary": _("Give a task back"),
                "security": _security(),
                "parameters": [_claim_id(), language_header()],
                "requestBody": _body("ReleaseRequest", False),
                "responses": {
                    "200": {"description": _("Released; the place is free again"), **_ok()},
                    "400": error_response(_(
                        "The body is not a JSON object or a form, or the reason is not text of at most %(max)s "
                        "characters (code invalid_body); or the session cookie was sent without its CSRF token "
                        "(code csrf_failed)", max=MAX_REASON)),
                    **_claim_errors(),
                },
            },
        },
        "/claims/{claim_id}/complete": {
            "post": {
                "operationId": "completeClaim",
                "summary": _("Report a task done"),
                "description": _("From claimed or in progress to done; the family or the office then confirms it."),
                "security": _security(),
                "parameters": [_claim_id(), language_header()],
                "requestBody": _body("CompleteRequest", True),
                "responses": {
                    "200": {"description": _("Reported done"), **_ok()},
                    "400": error_response(_(
                        "Hours missing, not a number or outside %(low)s–%(high)s, or the note not text of at most "
                        "%(max)s characters (code invalid_body); or the session cookie was sent without its CSRF "
                        "token (code csrf_failed)", low=format(MIN_HOURS, "g"), high=format(MAX_HOURS, "g"),
                        max=MAX_NOTE)),
                    **_claim_errors(),
                },
            },
        },
        "/me/claims": {
            "get": {
                "operationId": "listMyClaims",
                "summary": _("My tasks, newest first"),
                "security": _security(),
                "parameters": [language_header()],
                "responses": {
                    "200": {"description": _("The caller's claims"),
                            "content": {"application/json": {"schema": ref("MyClaimList")}}},
                    **_auth_errors(),
                },
            },
        },
    }
