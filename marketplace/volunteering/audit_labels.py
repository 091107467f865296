"""What the audit log calls a volunteer's task (a claim), the vetting and a volunteer's profile."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from marketplace.core.audit import labels
from marketplace.needs.labels import STATUS_LABELS as NEED_STATUS_LABELS
from marketplace.needs.models import NeedStatus
from marketplace.volunteering.forms import SKILL_LABELS
from marketplace.volunteering.labels import CLAIM_STATUS_LABELS
from marketplace.volunteering.lifecycle import CLAIM_LIFECYCLE, VETTING_LIFECYCLE
from marketplace.volunteering.models import Skill, VettingStatus as V

CLAIM, VETTING, PROFILE = CLAIM_LIFECYCLE.logged_as, VETTING_LIFECYCLE.logged_as, "volunteer_profile"
PLACE = _l("Place on the map")


def _skills(value, _details, _type) -> str:
    names = [str(SKILL_LABELS[Skill(s)]) for s in value or () if s in Skill._value2member_map_]
    return _("Skills: %(skills)s", skills=", ".join(names)) if names else _("No particular skills")


def _days_without_progress(details) -> str:
    days = int(details.get("days") or 0)
    return ngettext("%(num)d day without progress", "%(num)d days without progress", days)


def _request_ended(details) -> str:
    state = details.get("need_state")
    label = NEED_STATUS_LABELS.get(NeedStatus(state)) if state in NeedStatus._value2member_map_ else None
    return _("The request is now: %(state)s", state=label) if label else _("The request ended")


labels.register_object_type(CLAIM, _l("Volunteer task"))
labels.register_object_type(VETTING, _l("Volunteer"))
labels.register_object_type(PROFILE, _l("Volunteer profile"))
labels.register_state_labels(CLAIM, CLAIM_STATUS_LABELS)
labels.register_state_labels(VETTING, {
    V.NOT_REQUESTED: _l("Vetting not asked for"),
    V.REQUESTED: _l("Waiting for the office"),
    V.VETTED: _l("Vetted"),
    V.REFUSED: _l("Not vetted by the office"),
})
labels.register_field_labels(PROFILE, {
    "birth_year": _l("Year of birth"), "settlement": _l("Settlement"), "latitude": PLACE, "longitude": PLACE,
    "radius_km": _l("How far you can travel"), "availability": _l("When you are free"), "skills": _l("Skills"),
    "vetting reset": _l("Vetting started over"),
})
labels.register_actions({
    "claim.claim": _l("Task taken"),
    "claim.invite": _l("Volunteer invited to the task"),
    "claim.accept": _l("Invitation accepted"),
    "claim.decline": _l("Invitation declined"),
    "claim.start": _l("Task started"),
    "claim.report_done": _l("Task reported done"),
    "claim.confirm": _l("Task confirmed done"),
    "claim.not_done": _l("Task marked as not done"),
    "claim.release": _l("Task given back"),
    "claim.expire": _l("Released: no progress"),
    "claim.revoke": _l("Task withdrawn"),
    "volunteer.profile_save": _l("Volunteer profile saved"),
    "volunteer.request": _l("Vetting asked for"),
    "volunteer.vet": _l("Volunteer vetted"),
    "volunteer.refuse": _l("Vetting refused"),
    "volunteer.reset": _l("Vetting started over"),
    "volunteer.parent_consent": _l("A parent's consent recorded"),
})
labels.register_detail("skills", _skills)
labels.register_note("days_without_progress", _days_without_progress)
labels.register_note("request_ended", _request_ended)
labels.register_note("birth_year_changed", _l("The year of birth changed"))

# Reasons the code writes as text (they are kept on the claim too), and ones written before the log kept details.
labels.register_machine_reason(re.compile(r"(?P<days>\d+) days without progress"),
                               lambda groups: {"note": "days_without_progress", **groups}, actions=["claim.expire"])
labels.register_machine_reason(re.compile(r"the request was (?P<need_state>[a-z_]+)"),
                               lambda groups: {"note": "request_ended", **groups}, actions=["claim.revoke"])
labels.register_machine_reason("birth year changed", {"note": "birth_year_changed"}, actions=["volunteer.reset"])
labels.register_machine_reason(re.compile(r"need #(?P<need>\d+)"), lambda groups: {"need_id": int(groups["need"])},
                               actions=["claim.claim", "claim.invite"])
