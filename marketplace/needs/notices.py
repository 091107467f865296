"""What a family is told when one of its requests changes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.needs.lifecycle import NEED_LIFECYCLE
from marketplace.notifications import notify, register_message
from marketplace.core.urls import path_for

register_message("need.verify", _l("Your request has been verified"),
                 _l("Your request “%(title)s” has been verified and is now visible to volunteers and patrons."))
register_message("need.reject", _l("Your request was not accepted"),
                 _l("Your request “%(title)s” was not accepted. Reason: %(reason)s"))
register_message("need.ask_info", _l("The office has a question about your request"),
                 _l("About your request “%(title)s”: %(reason)s"))
register_message("need.fulfil", _l("Your request has been fulfilled"),
                 _l("Help for “%(title)s” has been delivered. Please confirm that it arrived."))
register_message("need.cancel", _l("Your request was cancelled"),
                 _l("Your request “%(title)s” was cancelled. Reason: %(reason)s"))
register_message("need.expire", _l("Your request has expired"),
                 _l("Your request “%(title)s” passed its deadline and was closed."))

NEED_NOTICES = {"verify", "reject", "ask_info", "fulfil", "cancel", "expire"}


@NEED_LIFECYCLE.signal.connect
def tell_family_about_need(need, *, transition, actor, reason, before) -> None:
    family = need.household.user
    if transition.name not in NEED_NOTICES or getattr(actor, "id", None) == family.id:
        return
    notify(family, f"need.{transition.name}", params={"title": need.title, "reason": reason or ""},
           link=path_for("families.need_detail", need_id=need.id))
