"""What the audit log calls a flag (a complaint), its actions and states, and hiding an account."""
from __future__ import annotations

import re

from flask import url_for
from flask_babel import lazy_gettext as _l

from marketplace.core.audit import labels
from marketplace.core.roles import Role, has_role
from marketplace.moderation.labels import FLAG_STATUS_LABELS
from marketplace.moderation.lifecycle import FLAG_LIFECYCLE

FLAG = FLAG_LIFECYCLE.logged_as


def _flag_url(flag_id: int, reader) -> str | None:
    return url_for("moderation.flag", flag_id=flag_id) if has_role(reader, Role.STAFF, Role.ADMIN) else None


labels.register_object_type(FLAG, _l("Complaint"), url=_flag_url)
labels.register_state_labels(FLAG, FLAG_STATUS_LABELS)
# An account hidden by moderation: the log keeps "hidden" and "visible" as its states.
labels.register_state_labels("user", {"hidden": _l("Hidden from public pages"), "visible": _l("Visible")})
labels.register_actions({
    "flag.create": _l("Complaint made"),
    "flag.resolved": _l("Complaint resolved: something was done"),
    "flag.dismissed": _l("Complaint dismissed: nothing wrong"),
    "user.hide": _l("Account hidden from public pages"),
    "user.unhide": _l("Account shown on public pages again"),
})

# What a complaint was about, written as text before the log kept details.
labels.register_machine_reason(re.compile(r"(?P<kind>need|user) #(?P<id>\d+)"),
                               lambda groups: {f"{groups['kind']}_id": int(groups["id"])}, actions=["flag.create"])
