"""Building blocks of the OpenAPI 3.1 document (JSON Schema 2020-12) that its parts share."""
from __future__ import annotations

from flask_babel import gettext as _


def nullable(schema: dict) -> dict:
    """The schema, or null (JSON Schema 2020-12 spelling; OpenAPI 3.1 has no `nullable`)."""
    return {"anyOf": [schema, {"type": "null"}]}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


def language_header() -> dict:
    return {
        "name": "Accept-Language", "in": "header", "required": False,
        "description": _("Language of names, formatted amounts and error messages: ru (default), kk or en."),
        "schema": {"type": "string"},
    }

