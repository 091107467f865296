"""Role and status names in the user's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.core.roles import Role

from marketplace.accounts.models import AccountStatus

ROLE_LABELS = {
    Role.FAMILY: _l("Family"),
    Role.VOLUNTEER: _l("Volunteer"),
    Role.PATRON: _l("Patron"),
    Role.PARTNER: _l("NGO partner"),
    Role.STAFF: _l("Office staff"),
    Role.ADMIN: _l("Administrator"),
}

STATUS_LABELS = {
    AccountStatus.UNCONFIRMED: _l("E-mail not confirmed yet"),
    AccountStatus.PENDING_APPROVAL: _l("Waiting for approval"),
    AccountStatus.ACTIVE: _l("Active"),
    AccountStatus.REJECTED: _l("Rejected"),
    AccountStatus.DISABLED: _l("Disabled"),
}

TRANSITION_LABELS = {
    "approve": _l("Approve"),
    "reject": _l("Reject"),
    "disable": _l("Disable"),
    "enable": _l("Enable"),
}
