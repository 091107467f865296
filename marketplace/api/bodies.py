"""What the claim endpoints accept in a request body: a JSON object or a form, each field as the document says.

The limits are the owners' (volunteering.reports for a report, the column for a reason); this module only
checks that what was sent has the documented shape, so that a JSON `"hours": "2"` or `"note": null` is a 400,
as the document promises, and not read as something else.
"""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from marketplace.volunteering.models import Claim
from marketplace.volunteering.reports import MAX_NOTE

MAX_REASON: int = Claim.__table__.c.status_reason.type.length


class BodyInvalid(ValueError):
    """The body cannot be used; `problems` are (field, reason) pairs in the caller's language."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(" ".join(reason for _name, reason in problems))
        self.problems = problems


def _fields() -> dict:
    """The request's fields: a JSON object (an empty body is no fields), or a form."""
    if not request.is_json:
        return request.form.to_dict()
    if not request.get_data():
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BodyInvalid([("body", _("The body must be a JSON object."))])
    return data


def _text(fields: dict, name: str, limit: int, *, not_text: str, too_long: str) -> list[tuple[str, str]]:
    """A problem unless the field is absent or text of at most `limit` characters as sent."""
    if name not in fields:
        return []
    if not isinstance(fields[name], str):
        return [(name, not_text)]
    return [(name, too_long)] if len(fields[name]) > limit else []


def release_reason() -> str | None:
    """Why the volunteer gives the task back, if they said; BodyInvalid unless it is text within the limit."""
    fields = _fields()
    wrong = _("The reason must be text of at most %(max)s characters.", max=MAX_REASON)
    problems = _text(fields, "reason", MAX_REASON, not_text=wrong, too_long=wrong)
    if problems:
        raise BodyInvalid(problems)
    return fields.get("reason")


def report() -> tuple[object, object]:
    """The report's hours and note as sent, for volunteering.reports to check against its limits; BodyInvalid
    for a JSON field of the wrong type (a form sends only text, which the report parses)."""
    fields = _fields()
    problems = _text(fields, "note", MAX_NOTE, not_text=_("The note must be text."),
                     too_long=_("The note is too long (at most %(max)s characters).", max=MAX_NOTE))
    hours = fields.get("hours")
    if request.is_json and "hours" in fields and (isinstance(hours, bool) or not isinstance(hours, (int, float))):
        problems.insert(0, ("hours", _("Give the hours spent as a number, e.g. 2.5.")))
    if problems:
        raise BodyInvalid(problems)
    return hours, fields.get("note")
