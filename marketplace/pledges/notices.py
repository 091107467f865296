"""What patrons are told when their pledge changes: the messages, and the two ways of sending them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.core.money import format_money
from marketplace.notifications import notify, register_message
from marketplace.pledges.models import Pledge

register_message("pledge.paid", _l("Thank you: your payment arrived"),
                 _l("Your payment of %(amount)s for “%(title)s” arrived. Your receipt number is %(receipt)s."))
register_message("pledge.refunded", _l("Your payment was returned"),
                 _l("Your payment of %(amount)s for “%(title)s” was returned to you. %(reason)s"))
register_message("pledge.redirected_withdrawn", _l("Your gift went to a similar request"),
                 _l("The request “%(title)s” was withdrawn. As you allowed, your %(amount)s went to a similar "
                    "request of the same office: “%(target)s”."))
register_message("pledge.redirected_expired", _l("Your gift went to a similar request"),
                 _l("The request “%(title)s” reached its deadline. As you allowed, your %(amount)s went to a "
                    "similar request of the same office: “%(target)s”."))
register_message("pledge.cancelled_expired", _l("Your pledge was cancelled"),
                 _l("The request “%(title)s” reached its deadline, so your pledge of %(amount)s was cancelled."))
register_message("pledge.refunding_expired", _l("Your payment is being returned"),
                 _l("The request “%(title)s” reached its deadline, so your %(amount)s is being returned to you. "
                    "A card refund usually reaches your account within a few days; the office returns a transfer "
                    "or cash by hand."))
register_message("pledge.cancelled", _l("Your pledge was cancelled"),
                 _l("Your pledge of %(amount)s for “%(title)s” was cancelled: %(reason)s"))
register_message("pledge.refunding_withdrawn", _l("Your payment is being returned"),
                 _l("The request “%(title)s” was withdrawn, so your %(amount)s is being returned to you. A card "
                    "refund usually reaches your account within a few days; the office returns a transfer or cash "
                    "by hand."))
register_message("pledge.cancelled_withdrawn", _l("Your pledge was cancelled"),
                 _l("The request “%(title)s” was withdrawn, so your pledge of %(amount)s was cancelled."))
register_message("pledge.cancelled_met", _l("Your pledge was cancelled"),
                 _l("The request “%(title)s” has been met, so your pledge of %(amount)s, not paid yet, was "
                    "cancelled. Thank you! You are welcome to support another request."))
register_message("pledge.lapsed", _l("Your pledge lapsed"),
                 _l("No transfer for your pledge of %(amount)s to “%(title)s” arrived in time, so the amount is "
                    "free for others again. You are welcome to pledge again."))
register_message("pledge.delivered", _l("Your goods arrived"),
                 _l("The goods you pledged for “%(title)s” were received. Thank you!"))


def _link(pledge: Pledge, kind: str) -> str:
    return f"/pledges/{pledge.id}/receipt" if kind == "pledge.paid" else f"/pledges/{pledge.id}"


def tell(pledge: Pledge, kind: str) -> None:
    """Tell the patron what the site did to their pledge (a payment, a refund, a closed need): in the app,
    and by e-mail after the commit. The reasons logged for these are the site's, so none is shown."""
    if pledge.patron is None:
        return
    if pledge.is_money:
        what = format_money(pledge.amount)
    else:
        what = f"{pledge.quantity} × {pledge.item.name if pledge.item else ''}"
    params = {"amount": what, "title": pledge.need.title,
              "receipt": pledge.receipt_number or "", "reason": ""}
    notify(pledge.patron, kind, params=params, link=_link(pledge, kind))


def tell_patron(pledge: Pledge, kind: str) -> bool:
    """Tell the patron what the office or the family did (in the app, and by e-mail after the commit), with
    the reason staff wrote; False when the account is gone."""
    if pledge.patron is None:
        return False
    if pledge.is_money:
        what = format_money(pledge.amount)
    else:  # the notices say "your pledge of %(amount)s": for goods, how many of what
        what = f"{pledge.quantity} × {pledge.item.name}" if pledge.item else str(pledge.quantity)
    params = {"amount": what, "title": pledge.need.title, "receipt": pledge.receipt_number or "",
              "reason": pledge.status_reason or ""}
    notify(pledge.patron, kind, params=params, link=_link(pledge, kind))
    return True
