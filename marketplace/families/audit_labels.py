"""What the audit log calls a household, its actions, states and fields, and why its data was opened."""
from __future__ import annotations

import re

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.core.audit import labels
from marketplace.core.roles import Role, has_role
from marketplace.families.lifecycle import HOUSEHOLD_LIFECYCLE
from marketplace.families.models import HouseholdStatus as S
from marketplace.families.services import consent_month

HOUSEHOLD = HOUSEHOLD_LIFECYCLE.logged_as

# Why someone other than the family opened its personal data (`read_personal(purpose=...)`).
READ_PURPOSES = {
    "verification": _l("To verify the family"),
    "duplicate_check": _l("To check for the same family asking twice"),
    "need_review": _l("To review a request"),
    "flag_review": _l("To review a complaint"),
    "outcome_photo": _l("To see a photo of the help delivered"),
    "file": _l("To open a file"),
    "volunteer_task": _l("For a volunteer's task"),
}
# The texts the purposes were written as before the log kept details.
OLD_PURPOSES = {"verification": "verification", "duplicate check": "duplicate_check", "need review": "need_review",
                "flag review": "flag_review", "outcome photo": "outcome_photo", "file": "file"}


def _household_url(household_id: int, reader) -> str | None:
    if has_role(reader, Role.STAFF, Role.ADMIN):
        return url_for("moderation.household", household_id=household_id)
    return None


def _purpose(value, _details, _type) -> str | None:
    label = READ_PURPOSES.get(value)
    return str(label) if label is not None else None


def _consent_version(value, _details, _type) -> str:
    return _("Consent text of %(month)s", month=consent_month(value))


labels.register_object_type(HOUSEHOLD, _l("Family"), url=_household_url)
labels.register_state_labels(HOUSEHOLD, {
    S.DRAFT: _l("Being filled in"),
    S.SUBMITTED: _l("Waiting for the office"),
    S.NEEDS_INFO: _l("Waiting for the family"),
    S.VERIFIED: _l("Verified"),
    S.REJECTED: _l("Not verified"),
})
PLACE = _l("Place on the map")
labels.register_field_labels(HOUSEHOLD, {
    "adults": _l("Adults"), "children": _l("Children"), "children_signature": _l("Children"),
    "single_parent": _l("Single parent"), "disability": _l("Disability in the household"),
    "other_circumstances": _l("Other circumstances"), "phone": _l("Phone"), "phone_digits": _l("Phone"),
    "address": _l("Address"), "latitude": PLACE, "longitude": PLACE, "public_latitude": PLACE,
    "public_longitude": PLACE, "settlement": _l("Settlement"), "region_code": _l("Region"), "office_id": _l("Office"),
})
labels.register_actions({
    "household.create": _l("Family profile started"),
    "household.update": _l("Family profile changed"),
    "household.consent": _l("Consent to the processing of personal data given"),
    "household.read_personal": _l("The family's personal data opened"),
    "household.submit": _l("Family profile sent for verification"),
    "household.ask_info": _l("The office asked the family a question"),
    "household.resubmit": _l("Family profile sent again"),
    "household.verify": _l("Family verified"),
    "household.reject": _l("Family not verified"),
    "household.reopen": _l("Changes sent for verification"),
})
labels.register_detail("purpose", _purpose)
labels.register_detail("consent_version", _consent_version)

# Reasons written as text before the log kept details.
for text, purpose in OLD_PURPOSES.items():
    labels.register_machine_reason(text, {"purpose": purpose}, actions=["household.read_personal"])
labels.register_machine_reason(re.compile(r"volunteer task, claim #(?P<claim>\d+)"),
                               lambda groups: {"purpose": "volunteer_task", "claim_id": int(groups["claim"])},
                               actions=["household.read_personal"])
labels.register_machine_reason(re.compile(r"(?P<version>\d{4}-\d{2})"), lambda groups: {"consent_version": groups["version"]},
                               actions=["household.consent"])
