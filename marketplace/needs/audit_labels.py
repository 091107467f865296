"""What the audit log calls a need (a "request"), its actions and states, and the notes its code records."""
from __future__ import annotations

import re
from datetime import date

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.core.audit import labels
from marketplace.core.i18n import format_day
from marketplace.core.roles import Role, has_role
from marketplace.needs.labels import STATUS_LABELS
from marketplace.needs.lifecycle import NEED_LIFECYCLE

NEED = NEED_LIFECYCLE.logged_as


def _need_url(need_id: int, reader) -> str | None:
    if has_role(reader, Role.STAFF, Role.ADMIN):
        return url_for("moderation.need", need_id=need_id)
    return None


def _deadline_passed(details) -> str:
    try:
        when = format_day(date.fromisoformat(str(details.get("deadline"))))
    except ValueError:
        return _("The deadline passed")
    return _("The deadline, %(date)s, passed", date=when)


def _in_home(value, _details, _type) -> str:
    return _("The task is inside the family's home") if value else _("The task is outside the home")


labels.register_object_type(NEED, _l("Request"), url=_need_url)
labels.register_state_labels(NEED, STATUS_LABELS)
labels.register_state_labels(NEED, {"hidden": _l("Hidden from public pages"), "visible": _l("Visible")})
labels.register_actions({
    "need.create": _l("Request written"),
    "need.update": _l("Request changed"),
    "need.submit": _l("Request sent to the office"),
    "need.ask_info": _l("The office asked about the request"),
    "need.resubmit": _l("Request sent again"),
    "need.verify": _l("Request verified"),
    "need.reject": _l("Request not accepted"),
    "need.start": _l("Help started"),
    "need.reopen": _l("Request open for help again"),
    "need.fulfil": _l("Help delivered"),
    "need.close": _l("Help confirmed, request closed"),
    "need.cancel": _l("Request cancelled"),
    "need.expire": _l("Request past its deadline"),
    "need.hide": _l("Request hidden from public pages"),
    "need.unhide": _l("Request shown on public pages again"),
    "need.outcome_photo": _l("Photo of the help delivered added"),
    "need.task_requirements": _l("Volunteer task requirements set"),
})
labels.register_action("need.transfer", _l("Request moved to another office"), states_of="office")
labels.register_detail("in_home", _in_home)
labels.register_note("family_changed_office", _l("The family chose another office"))
labels.register_note("public_place_follows_address",
                     _l("The family moved: the place shown publicly follows the verified address"))
labels.register_note("all_promised", _l("Everything asked for is promised"))
labels.register_note("help_free_again", _l("Part of the help is free again"))
labels.register_note("all_tasks_done", _l("Every volunteer task was done and confirmed."))
labels.register_note("deadline_passed", _deadline_passed)

# Reasons the code writes as text (they are kept on the request too), and ones written before the log kept details.
labels.register_machine_reason("the family changed its office", {"note": "family_changed_office"})
labels.register_machine_reason("the family moved: public place follows the verified address",
                               {"note": "public_place_follows_address"})
labels.register_machine_reason("everything asked for is promised", {"note": "all_promised"})
labels.register_machine_reason("part of the help is free again", {"note": "help_free_again"})
labels.register_machine_reason("Every volunteer task was done and confirmed.", {"note": "all_tasks_done"})
labels.register_machine_reason(re.compile(r"deadline (?P<deadline>\d{4}-\d{2}-\d{2}) passed"),
                               lambda groups: {"note": "deadline_passed", **groups})
labels.register_machine_reason(re.compile(r"file #(?P<file>\d+)"), lambda groups: {"file_id": int(groups["file"])},
                               actions=["need.outcome_photo"])


def _requirements(groups: dict[str, str]) -> dict:
    skills = [] if groups["skills"] == "-" else groups["skills"].split(",")
    return {"skills": skills, "in_home": groups["in_home"] == "True"}


labels.register_machine_reason(
    re.compile(r".*; in_home=(True|False) → (?P<skills>[a-z_,-]+); in_home=(?P<in_home>True|False)"), _requirements,
    actions=["need.task_requirements"])
