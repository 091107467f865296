"""What the audit log calls offices, their actions, states and fields."""
from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l

from marketplace.core.audit import labels
from marketplace.core.roles import is_admin
from marketplace.offices.queries import office_names


def _office_url(office_id: int, reader) -> str | None:
    return url_for("admin.edit_office", office_id=office_id) if is_admin(reader) else None


labels.register_object_type("office", _l("Office"), url=_office_url, names=office_names)
# The log keeps an office's state as "active" or "closed" (offices.services).
labels.register_state_labels("office", {"active": _l("Open to the public"), "closed": _l("Closed to the public")})
labels.register_field_labels("office", {
    "code": _l("Office code"), "name": _l("Office name"), "region_code": _l("Region"), "settlement": _l("Settlement"),
    "address": _l("Address"), "latitude": _l("Latitude"), "longitude": _l("Longitude"), "phone": _l("Phone"),
    "email": _l("E-mail"), "opening_hours": _l("Opening hours"), "is_active": _l("Open (shown to the public)"),
    "bank_recipient": _l("Recipient"), "bank_bin": _l("Recipient's BIN"), "bank_iban": _l("Account (IBAN)"),
    "bank_name": _l("Bank"), "bank_bic": _l("Bank's BIC"), "bank_kbe": _l("Beneficiary code (Kbe)"),
})
labels.register_actions({
    "office.create": _l("Office added"),
    "office.update": _l("Office details changed"),
    "office.bank_details": _l("Office bank details changed"),
})
