"""What volunteers and families are told when a claim changes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.notifications import notify, register_message
from marketplace.volunteering.lifecycle import CLAIM_LIFECYCLE

register_message("claim.invite", _l("An office invites you to a task"),
                 _l("An office asks whether you can help with “%(title)s”. Accept or decline it on your tasks page."))
register_message("claim.expire", _l("Your task was released"),
                 _l("Your task for “%(title)s” had no progress for %(days)s days and was given back so that "
                    "another volunteer can take it."))
register_message("claim.revoke", _l("Your task was taken back"),
                 _l("The office took back your task for “%(title)s”. Reason: %(reason)s"))
register_message("claim.report_done", _l("A volunteer reports the task done"),
                 _l("The volunteer reports that the task for “%(title)s” is done. Please confirm it."))
register_message("claim.confirm", _l("Your task was confirmed"),
                 _l("Thank you! Your task for “%(title)s” is confirmed and counts towards your hours."))


@CLAIM_LIFECYCLE.signal.connect
def tell_about_claim(claim, *, transition, actor, reason, before) -> None:
    need = claim.need
    params = {"title": need.title, "reason": reason or "", "days": (reason or "").split(" ")[0]}
    if transition.name in ("expire", "revoke", "confirm") and getattr(actor, "id", None) != claim.volunteer_id:
        notify(claim.volunteer, f"claim.{transition.name}", params=params)
    elif transition.name == "report_done":
        notify(need.household.user, "claim.report_done", params=params)
