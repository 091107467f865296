"""What a family is told when the office decides on its household."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.core.urls import path_for
from marketplace.families.lifecycle import HOUSEHOLD_LIFECYCLE
from marketplace.notifications import notify, register_message

register_message("household.verify", _l("Your household has been verified"),
                 _l("The office has verified your household. Your requests can now be verified and shown to helpers."))
register_message("household.reject", _l("Your household was not verified"),
                 _l("The office could not verify your household. Reason: %(reason)s"))
register_message("household.ask_info", _l("The office has a question"),
                 _l("The office needs more information about your household: %(reason)s"))
HOUSEHOLD_NOTICES = {"verify", "reject", "ask_info"}


@HOUSEHOLD_LIFECYCLE.signal.connect
def tell_family_about_household(household, *, transition, actor, reason, before) -> None:
    if transition.name not in HOUSEHOLD_NOTICES or getattr(actor, "id", None) == household.user_id:
        return
    notify(household.user, f"household.{transition.name}", params={"reason": reason or ""},
           link=path_for("families.household"))
