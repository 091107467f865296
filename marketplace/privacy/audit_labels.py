"""What the audit log calls a family's export and erasure."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.core.audit import labels

labels.register_actions({
    "household.export": _l("The family's data downloaded"),
    "household.erasure_requested": _l("The family asked to erase its data"),
    "household.erase": _l("The family's data erased"),
})
labels.register_note("erasure_requested", _l("At the family's request"))
labels.register_note("erased_by_staff", _l("Decided by the office"))
labels.register_note("family_data_erased", _l("The family's data was erased"))
labels.register_machine_reason("erasure requested", {"note": "erasure_requested"}, actions=["household.erase"])
labels.register_machine_reason("erased by staff", {"note": "erased_by_staff"}, actions=["household.erase"])
# A request cancelled by the erasure keeps this as its reason.
labels.register_machine_reason("the family's data was erased", {"note": "family_data_erased"})
